// Compiled as a backends source: the harness (here doctor's header) is above; must not compile.
#include "dpurun/doctor.h"

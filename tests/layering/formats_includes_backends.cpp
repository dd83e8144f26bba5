// Compiled as a formats source: backends sit above formats; must not compile.
#include "dpurun/backends.h"

// Compiled as a core source: a harness public header is above the core; must not compile.
#include "dpurun/eval.h"

// Compiled as a harness source: the formats layer is reached through its public headers
// (dpurun/model.h, dpurun/model_info.h), not its loaders; must not compile.
#include "loaders/loader.h"

// Compiled as a core source: the formats layer sits above the core, so this must not compile.
#include "loaders/loader.h"

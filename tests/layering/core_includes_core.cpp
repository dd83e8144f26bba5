// Compiled as a core source: headers of the core itself are found (the control for the others).
#include "dpurun/runner.h"
#include "graph/graph.h"

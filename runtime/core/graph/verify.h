// Shape inference and the graph verifier: what every loader's graph must satisfy before kernels
// trust it. Loaders compute shapes their own way; this checks them against one rule per op.
#pragma once

#include "graph/graph.h"

namespace dpurun::graph {

// A node's output shape from its inputs' shapes and its parameters (dimension 0 is the batch,
// taken from input 0). Custom ops keep their declared shape. Throws Error(kInvalidModel) naming
// the node when its inputs do not fit its op.
Shape infer_shape(const Graph& g, const Node& n);

// Every node reads values that exist and are produced before it (or are inputs or constants),
// writes one value, has the parameters its op needs, and declares the output shape infer_shape
// gives; integer values carry a fix point. Throws Error(kInvalidModel) naming the graph's source
// and the node.
void verify(const Graph& g);

}  // namespace dpurun::graph

// Graph rewrites for inference. Each keeps the graph's outputs bit-for-bit in exact arithmetic;
// in float they differ only by rounding (folded batch norm rescales the weights).
#pragma once

#include "graph/graph.h"

namespace dpurun::graph {

// Folds Pad into Conv2D padding, bias adds and batch norms into the preceding Conv2D,
// DepthwiseConv2D or FullyConnected, activations into their producer, and a residual Add into
// the Conv2D that produces one of its operands.
void fuse_for_inference(Graph& g);

// After lowering to integers: an int8 eltwise-fix ADD (no activation, or relu) whose operand is
// an int8 Conv2D's output read by nothing else becomes that convolution's residual
// (ConvParams::conv_fix), its other operand then computed before the convolution — the DPU's
// conv-then-add in one kernel, the same integers.
void fuse_int8_residuals(Graph& g);

}  // namespace dpurun::graph

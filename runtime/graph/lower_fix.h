// Lowers a quantized graph (float ops with Fix nodes, as vai_q_tensorflow and the XIR quantizer
// write them) to DPU integer arithmetic: weights quantized once, each op whose inputs are
// integers computes its fixed-point output directly, Quantize at the float input, Dequantize
// where float ops (softmax, the CPU subgraphs) or the outputs read integers.
#pragma once

#include "graph/graph.h"

namespace dpurun::graph {

bool has_fix_ops(const Graph& g);
void lower_fix_to_integer(Graph& g);

}  // namespace dpurun::graph

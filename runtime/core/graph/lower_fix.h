// Lowers a quantized graph (float ops with Fix nodes, as vai_q_tensorflow and the XIR quantizer
// write them) to DPU integer arithmetic: weights quantized once, each op whose inputs are
// integers computes its fixed-point output directly, Quantize at the float input, Dequantize
// where float ops (softmax, the CPU subgraphs) or the outputs read integers.
#pragma once

#include "graph/graph.h"

namespace dpurun::graph {

bool has_fix_ops(const Graph& g);
// Snaps float values to a fix grid: saturate(round(x · 2^fp)) · 2^-fp (weights at load time).
void fake_quantize(std::vector<float>& values, const FixInfo& f);
void lower_fix_to_integer(Graph& g);

}  // namespace dpurun::graph

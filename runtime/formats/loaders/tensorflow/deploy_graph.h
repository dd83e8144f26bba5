// vai_q_tensorflow's deploy_model.pb, the graph DNNDK's compiler takes: weights and biases are
// node attributes (on their fix grids) and every position an attribute, [bit_width, fix point]
// (ipos, opos, wpos, bpos). It is rewritten into the quantize_eval form — Const and FixNeuron
// nodes, a BiasAdd — which the loader runs as DPU integers like any quantized graph.
#pragma once

#include <string>

namespace dpurun::loaders::tf {

class GraphDef;

// Whether some node carries an output position (opos): a deploy graph.
bool is_deploy_graph(const GraphDef& def);
// The same network in the quantize_eval form; each node's name now names its fixed output.
// Throws Error(kInvalidModel) naming the node whose weights or bias lack their position.
GraphDef expand_deploy_graph(const GraphDef& def, const std::string& source);

}  // namespace dpurun::loaders::tf

// What the oneDNN kernels share (conv/, dense/, pool/ *_onednn.cpp): the engine, weights as the
// graph stores them, their one-off packing, the plan's scratchpad and activations as post-ops.
#pragma once

#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "cpu/kernel.h"

namespace dpurun::cpu::onednn {

dnnl::engine& engine();

// The weights of a Conv2D, DepthwiseConv2D or FullyConnected node as the graph stores them
// (HWIO, [KH, KW, C, M] as groups, [K, M]), described for oneDNN.
dnnl::memory::desc graph_weights(const KernelArgs& a, dnnl::memory::data_type type);
// The same dims in any layout, for a primitive to choose.
dnnl::memory::desc any_layout(const dnnl::memory::desc& d);
// Reorders the node's weights once into the layout a primitive chose.
dnnl::memory pack_weights(const KernelArgs& a, const dnnl::memory::desc& user,
                          const dnnl::memory::desc& wanted, dnnl::stream& stream);

// Primitives take their temporary memory from the plan's scratchpad (scratchpad_mode::user).
// oneDNN's default keeps it in thread-local storage, which fails when a primitive is made in one
// thread and run or destroyed in another, as a runner pool does: on aarch64, whose int8
// convolution needs a scratchpad, the run wrote through a null pointer.
dnnl::primitive_attr with_user_scratchpad(dnnl::primitive_attr attr = {});
class ScratchpadArg {
 public:
  ScratchpadArg() = default;
  ScratchpadArg(const dnnl::memory::desc& wanted, const KernelArgs& a);  // reserves its size
  // Adds the plan's buffer to a primitive's arguments (the buffer exists once the plan is made).
  void add_to(std::unordered_map<int, dnnl::memory>& args);

 private:
  dnnl::memory::desc desc_;
  Scratchpad* plan_ = nullptr;
  bool added_ = false;
};

// Maps a fused activation to a oneDNN post-op; false where oneDNN has none.
bool append_activation(dnnl::post_ops& ops, const graph::ActivationParams& act);

}  // namespace dpurun::cpu::onednn

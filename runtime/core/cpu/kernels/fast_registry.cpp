// Chooses a fast kernel for a node: oneDNN where the build has it, then the portable optimized
// kernels; nullptr leaves the node to its reference kernel.
#include "cpu/kernel.h"
#include "cpu/kernels/optimized/optimized.h"
#if DPURUN_HAVE_ONEDNN
#include "cpu/kernels/onednn/onednn.h"
#endif

namespace dpurun::cpu {

std::unique_ptr<Kernel> make_fast_kernel(const KernelArgs& a) {
  using graph::OpType;
  const bool integer = a.graph.value(a.node.outputs[0]).type == DataType::kInt8;
  if (integer && a.node.op == OpType::kBinary) return optimized::make_add_fix(a);
  if (integer && a.node.op == OpType::kQuantize) return optimized::make_quantize(a);
#if DPURUN_HAVE_ONEDNN
  if (integer) {
    switch (a.node.op) {
      case OpType::kConv2D:
      case OpType::kDepthwiseConv2D:
      case OpType::kFullyConnected: return onednn::make_conv_fix(a);
      default: return nullptr;
    }
  }
  for (auto in : a.node.inputs)
    if (a.graph.value(in).type != DataType::kFloat32) return nullptr;
  switch (a.node.op) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D: return onednn::make_conv(a);
    case OpType::kPool: return onednn::make_pool(a);
    case OpType::kFullyConnected: return onednn::make_fully_connected(a);
    default: return nullptr;
  }
#else
  return nullptr;
#endif
}

}  // namespace dpurun::cpu

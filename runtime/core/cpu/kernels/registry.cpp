#include "cpu/kernels/registry.h"

#include "cpu/kernels/kernels.h"

namespace dpurun::cpu {
namespace {

using graph::OpType;
constexpr auto kFloat = DataType::kFloat32;
constexpr auto kInt8 = DataType::kInt8;
constexpr auto kRef = KernelTier::kReference;
constexpr auto kFast = KernelTier::kFast;

[[maybe_unused]] bool float_inputs(const KernelArgs& a) {
  for (auto in : a.node.inputs)
    if (a.graph.value(in).type != DataType::kFloat32) return false;
  return true;
}

// oneDNN divides by the window size; the DPU's factor runs in the reference kernel.
[[maybe_unused]] bool pool_without_dpu_factor(const KernelArgs& a) {
  return float_inputs(a) && !a.node.p<graph::PoolParams>().dpu_factor;
}

}  // namespace

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = {
  // Fast kernels, tried first in this order.
#if DPURUN_HAVE_ONEDNN
    {OpType::kConv2D, kInt8, kFast, "onednn conv int8", nullptr, onednn::make_conv_fix},
    {OpType::kDepthwiseConv2D, kInt8, kFast, "onednn depthwise conv int8", nullptr,
     onednn::make_conv_fix},
    {OpType::kFullyConnected, kInt8, kFast, "onednn inner product int8", nullptr,
     onednn::make_conv_fix},
    {OpType::kConv2D, kFloat, kFast, "onednn conv", float_inputs, onednn::make_conv},
    {OpType::kDepthwiseConv2D, kFloat, kFast, "onednn depthwise conv", float_inputs,
     onednn::make_conv},
    {OpType::kPool, kFloat, kFast, "onednn pool", pool_without_dpu_factor, onednn::make_pool},
    {OpType::kFullyConnected, kFloat, kFast, "onednn inner product", float_inputs,
     onednn::make_fully_connected},
#endif
    {OpType::kBinary, kInt8, kFast, "optimized add int8", optimized::supports_add_fix,
     optimized::make_add_fix},
    {OpType::kQuantize, kInt8, kFast, "optimized quantize", optimized::supports_quantize,
     optimized::make_quantize},
    {OpType::kUnary, kInt8, kFast, "table activation int8", nullptr, optimized::make_unary_fix_table},

    // Reference kernels: DPU integer arithmetic.
    {OpType::kConv2D, kInt8, kRef, "reference conv int8", nullptr, reference::make_conv_fix},
    {OpType::kDepthwiseConv2D, kInt8, kRef, "reference depthwise conv int8", nullptr,
     reference::make_conv_fix},
    {OpType::kFullyConnected, kInt8, kRef, "reference fully connected int8", nullptr,
     reference::make_conv_fix},
    {OpType::kPool, kInt8, kRef, "reference pool int8", nullptr, reference::make_pool_fix},
    {OpType::kMean, kInt8, kRef, "reference mean int8", nullptr, reference::make_pool_fix},
    {OpType::kBinary, kInt8, kRef, "reference add int8", nullptr, reference::make_add_fix},
    {OpType::kUnary, kInt8, kRef, "reference activation int8", nullptr, reference::make_unary_fix},
    {OpType::kQuantize, kInt8, kRef, "reference quantize", nullptr, reference::make_convert},
    {OpType::kConcat, kInt8, kRef, "reference concat int8", nullptr, reference::make_concat},
    {OpType::kPad, kInt8, kRef, "reference pad int8", nullptr, reference::make_pad},
    {OpType::kReshape, kInt8, kRef, "reference reshape int8", nullptr, reference::make_reshape},
    {OpType::kTranspose, kInt8, kRef, "reference transpose int8", nullptr, reference::make_transpose},
    {OpType::kSlice, kInt8, kRef, "reference slice int8", nullptr, reference::make_transpose},

    // Reference kernels: float.
    {OpType::kConv2D, kFloat, kRef, "reference conv", nullptr, reference::make_conv},
    {OpType::kDepthwiseConv2D, kFloat, kRef, "reference depthwise conv", nullptr,
     reference::make_conv},
    {OpType::kPool, kFloat, kRef, "reference pool", nullptr, reference::make_pool},
    {OpType::kFullyConnected, kFloat, kRef, "reference fully connected", nullptr,
     reference::make_fully_connected},
    {OpType::kBinary, kFloat, kRef, "reference binary", nullptr, reference::make_binary},
    {OpType::kScaleShift, kFloat, kRef, "reference scale-shift", nullptr,
     reference::make_scale_shift},
    {OpType::kUnary, kFloat, kRef, "reference activation", nullptr, reference::make_unary},
    {OpType::kConcat, kFloat, kRef, "reference concat", nullptr, reference::make_concat},
    {OpType::kPad, kFloat, kRef, "reference pad", nullptr, reference::make_pad},
    {OpType::kMean, kFloat, kRef, "reference mean", nullptr, reference::make_mean},
    {OpType::kReshape, kFloat, kRef, "reference reshape", nullptr, reference::make_reshape},
    {OpType::kTranspose, kFloat, kRef, "reference transpose", nullptr, reference::make_transpose},
    {OpType::kSlice, kFloat, kRef, "reference slice", nullptr, reference::make_transpose},
    {OpType::kResize, kFloat, kRef, "reference resize", nullptr, reference::make_resize},
    {OpType::kSoftmax, kFloat, kRef, "reference softmax", nullptr, reference::make_softmax},
    {OpType::kPRelu, kFloat, kRef, "reference prelu", nullptr, reference::make_prelu},
    {OpType::kCustom, kFloat, kRef, "custom op", nullptr, reference::make_custom},
    {OpType::kFix, kFloat, kRef, "reference fix (float simulation)", nullptr,
     reference::make_convert},
    {OpType::kDequantize, kFloat, kRef, "reference dequantize", nullptr, reference::make_convert},
  };
  return table;
}

const KernelEntry* choose_kernel(const KernelArgs& a, KernelChoice choice) {
  const DataType type = a.graph.value(a.node.outputs[0]).type == DataType::kInt8 ? kInt8 : kFloat;
  auto find = [&](KernelTier tier) -> const KernelEntry* {
    for (const auto& e : kernel_table())
      if (e.op == a.node.op && e.type == type && e.tier == tier && (!e.supports || e.supports(a)))
        return &e;
    return nullptr;
  };
  if (choice == KernelChoice::kFast)
    if (const KernelEntry* e = find(kFast)) return e;
  return find(kRef);
}

int inplace_input(const graph::Node& node) {
  switch (node.op) {
    case graph::OpType::kConv2D: {
      const auto& p = node.p<graph::ConvParams>();
      return p.has_residual ? static_cast<int>(node.inputs.size()) - 1 : -1;
    }
    case graph::OpType::kUnary:
    case graph::OpType::kScaleShift:
    case graph::OpType::kReshape:
      return 0;
    default:
      return -1;
  }
}

}  // namespace dpurun::cpu

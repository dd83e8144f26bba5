#include "cpu/kernels/reference/reference.h"

namespace dpurun::cpu {

std::unique_ptr<Kernel> make_reference_kernel(const KernelArgs& a) {
  using graph::OpType;
  if (a.graph.value(a.node.outputs[0]).type == DataType::kInt8) {  // integer (DPU) ops
    switch (a.node.op) {
      case OpType::kConv2D:
      case OpType::kDepthwiseConv2D:
      case OpType::kFullyConnected: return reference::make_conv_fix(a);
      case OpType::kPool:
      case OpType::kMean: return reference::make_pool_fix(a);
      case OpType::kBinary: return reference::make_add_fix(a);
      case OpType::kUnary: return reference::make_unary_fix(a);
      case OpType::kQuantize: return reference::make_convert(a);
      case OpType::kConcat: return reference::make_concat(a);
      case OpType::kPad: return reference::make_pad(a);
      case OpType::kReshape: return reference::make_reshape(a);
      default: return nullptr;
    }
  }
  switch (a.node.op) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D: return reference::make_conv(a);
    case OpType::kPool: return reference::make_pool(a);
    case OpType::kFullyConnected: return reference::make_fully_connected(a);
    case OpType::kBinary: return reference::make_binary(a);
    case OpType::kScaleShift: return reference::make_scale_shift(a);
    case OpType::kUnary: return reference::make_unary(a);
    case OpType::kConcat: return reference::make_concat(a);
    case OpType::kPad: return reference::make_pad(a);
    case OpType::kMean: return reference::make_mean(a);
    case OpType::kReshape: return reference::make_reshape(a);
    case OpType::kSoftmax: return reference::make_softmax(a);
    case OpType::kPRelu: return reference::make_prelu(a);
    case OpType::kCustom: return reference::make_custom(a);
    case OpType::kFix:
    case OpType::kDequantize: return reference::make_convert(a);
    case OpType::kQuantize: return nullptr;  // its output always carries a FixInfo
  }
  return nullptr;
}

int inplace_input(const graph::Node& node) {
  switch (node.op) {
    case graph::OpType::kConv2D: {
      const auto& p = node.p<graph::ConvParams>();
      return p.has_residual ? static_cast<int>(node.inputs.size()) - 1 : -1;
    }
    case graph::OpType::kUnary:
    case graph::OpType::kScaleShift:
    case graph::OpType::kReshape: return 0;
    default: return -1;
  }
}

}  // namespace dpurun::cpu

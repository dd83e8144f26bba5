#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu {
namespace onednn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

bool append_activation(dnnl::post_ops& ops, const graph::ActivationParams& act) {
  using graph::Activation;
  using A = dnnl::algorithm;
  switch (act.kind) {
    case Activation::kNone: return true;
    case Activation::kRelu: ops.append_eltwise(1.f, A::eltwise_relu, 0.f, 0.f); return true;
    case Activation::kRelu6: ops.append_eltwise(1.f, A::eltwise_clip, 0.f, 6.f); return true;
    case Activation::kLeakyRelu: ops.append_eltwise(1.f, A::eltwise_relu, act.alpha, 0.f); return true;
    case Activation::kElu: ops.append_eltwise(1.f, A::eltwise_elu, 1.f, 0.f); return true;
    case Activation::kSigmoid: ops.append_eltwise(1.f, A::eltwise_logistic, 0.f, 0.f); return true;
    case Activation::kTanh: ops.append_eltwise(1.f, A::eltwise_tanh, 0.f, 0.f); return true;
  }
  return false;
}

}  // namespace onednn

std::unique_ptr<Kernel> make_fast_kernel(const KernelArgs& a) {
  if (a.graph.value(a.node.outputs[0]).type != DataType::kFloat32) return nullptr;
  for (auto in : a.node.inputs)
    if (a.graph.value(in).type != DataType::kFloat32) return nullptr;
  switch (a.node.op) {
    case graph::OpType::kConv2D:
    case graph::OpType::kDepthwiseConv2D: return onednn::make_conv(a);
    case graph::OpType::kPool: return onednn::make_pool(a);
    case graph::OpType::kFullyConnected: return onednn::make_fully_connected(a);
    default: return nullptr;
  }
}

}  // namespace dpurun::cpu

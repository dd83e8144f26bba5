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
    case Activation::kHardSwish: ops.append_eltwise(1.f, A::eltwise_hardswish, 0.f, 0.f); return true;
    case Activation::kHardSigmoid: return false;
  }
  return false;
}

}  // namespace onednn

}  // namespace dpurun::cpu

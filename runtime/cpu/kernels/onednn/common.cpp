#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu {
namespace onednn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::memory::desc graph_weights(const KernelArgs& a, dnnl::memory::data_type type) {
  using dnnl::memory;
  const Shape& ws = a.input_shapes[1];
  if (a.node.op == graph::OpType::kFullyConnected)  // [K, M] is oneDNN's {M, K} in "io"
    return memory::desc({ws[1], ws[0]}, type, memory::format_tag::io);
  memory::dim kh = ws[0], kw = ws[1], c = ws[2];
  if (a.node.op == graph::OpType::kDepthwiseConv2D) {  // groups g = C, o = M, i = 1
    memory::dim m = ws[3];
    return memory::desc({c, m, 1, kh, kw}, type, memory::dims{m, 1, 1, kw * c * m, c * m});
  }
  return memory::desc({ws[3], c, kh, kw}, type, memory::format_tag::hwio);
}

dnnl::memory::desc any_layout(const dnnl::memory::desc& d) {
  return dnnl::memory::desc(d.dims(), d.data_type(), dnnl::memory::format_tag::any);
}

dnnl::memory pack_weights(const KernelArgs& a, const dnnl::memory::desc& user,
                          const dnnl::memory::desc& wanted, dnnl::stream& stream) {
  dnnl::memory from(user, engine(), const_cast<void*>(a.inputs[1]));
  dnnl::memory to(wanted, engine());
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  return to;
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

#include "cpu/kernels/onednn/onednn.h"

#include "dpurun/error.h"

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
  dnnl::reorder::primitive_desc pd(engine(), user, engine(), wanted, with_user_scratchpad());
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  if (pd.scratchpad_desc().get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(pd.scratchpad_desc(), engine());
  dnnl::reorder(pd).execute(stream, args);
  stream.wait();
  return to;
}

dnnl::primitive_attr with_user_scratchpad(dnnl::primitive_attr attr) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

ScratchpadArg::ScratchpadArg(const dnnl::memory::desc& wanted, const KernelArgs& a)
    : desc_(wanted), plan_(a.scratchpad) {
  if (desc_.get_size() == 0) return;
  if (!plan_) throw Error(ErrorCode::kInternal, "a oneDNN kernel was made without its plan's scratchpad");
  plan_->reserve(desc_.get_size());
}

void ScratchpadArg::add_to(std::unordered_map<int, dnnl::memory>& args) {
  if (added_ || desc_.get_size() == 0) return;
  args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(desc_, engine(), plan_->data());
  added_ = true;
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
    case Activation::kClamp: ops.append_eltwise(1.f, A::eltwise_clip, act.alpha, act.beta); return true;
  }
  return false;
}

}  // namespace onednn

}  // namespace dpurun::cpu

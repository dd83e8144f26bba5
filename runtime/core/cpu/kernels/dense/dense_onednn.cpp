// Float fully connected layers on oneDNN (inner product).
#include <cstring>

#include "cpu/kernels/kernels.h"
#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

class FullyConnected : public Kernel {
 public:
  explicit FullyConnected(const KernelArgs& a) : stream_(engine()) {
    const auto& p = a.node.p<graph::FullyConnectedParams>();
    memory::dim n = a.input_shapes[0][0], k = a.input_shapes[0][1], m = a.output_shape[1];
    memory::desc src_md({n, k}, memory::data_type::f32, tag::nc);
    memory::desc dst_md({n, m}, memory::data_type::f32, tag::nc);
    memory::desc user_w_md = graph_weights(a, memory::data_type::f32);
    memory::desc w_any = any_layout(user_w_md);
    memory::desc bias_md({m}, memory::data_type::f32, tag::x);
    dnnl::post_ops ops;
    append_activation(ops, p.act);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    auto desc = p.has_bias ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference,
                                                               src_md, w_any, bias_md, dst_md)
                           : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference,
                                                               src_md, w_any, dst_md);
    dnnl::inner_product_forward::primitive_desc pd(desc, with_user_scratchpad(attr), engine());
    prim_ = dnnl::inner_product_forward(pd);
    scratchpad_ = ScratchpadArg(pd.scratchpad_desc(), a);
    weights_ = pack_weights(a, user_w_md, pd.weights_desc(), stream_);
    args_ = {{DNNL_ARG_SRC, memory(src_md, engine(), const_cast<void*>(a.inputs[0]))},
             {DNNL_ARG_WEIGHTS, weights_},
             {DNNL_ARG_DST, memory(dst_md, engine(), a.output)}};
    if (p.has_bias) args_[DNNL_ARG_BIAS] = memory(bias_md, engine(), const_cast<void*>(a.inputs[2]));
  }

  void run() override {
    scratchpad_.add_to(args_);
    prim_.execute(stream_, args_);
    stream_.wait();
  }

 private:
  dnnl::stream stream_;
  dnnl::primitive prim_;
  memory weights_;
  std::unordered_map<int, memory> args_;
  ScratchpadArg scratchpad_;
};

}  // namespace

std::unique_ptr<Kernel> make_fully_connected(const KernelArgs& a) {
  return std::make_unique<FullyConnected>(a);
}

}  // namespace dpurun::cpu::onednn

// Float Conv2D and DepthwiseConv2D on oneDNN, with bias, residual sum and activation as post-ops.
#include <cstring>

#include "cpu/kernels/kernels.h"
#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

class Conv : public Kernel {
 public:
  explicit Conv(const KernelArgs& a) : stream_(engine()) {
    const auto& p = a.node.p<graph::ConvParams>();
    const Shape& xs = a.input_shapes[0];
    const Shape& os = a.output_shape;
    memory::dim n = xs[0], c = xs[3], h = xs[1], w = xs[2];
    memory::dim oc = os[3];

    memory::desc src_md({n, c, h, w}, memory::data_type::f32, tag::nhwc);
    memory::desc dst_md({n, oc, os[1], os[2]}, memory::data_type::f32, tag::nhwc);
    memory::desc user_w_md = graph_weights(a, memory::data_type::f32);
    memory::desc w_any = any_layout(user_w_md);
    memory::desc bias_md({oc}, memory::data_type::f32, tag::x);

    dnnl::post_ops ops;
    if (p.has_residual) ops.append_sum(1.f);
    append_activation(ops, p.act);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);

    memory::dims strides{p.stride_h, p.stride_w};
    memory::dims dilates{p.dilation_h - 1, p.dilation_w - 1};
    memory::dims pad_l{p.pad_top, p.pad_left}, pad_r{p.pad_bottom, p.pad_right};
    auto desc = p.has_bias
                    ? dnnl::convolution_forward::desc(
                          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                          src_md, w_any, bias_md, dst_md, strides, dilates, pad_l, pad_r)
                    : dnnl::convolution_forward::desc(
                          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                          src_md, w_any, dst_md, strides, dilates, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, with_user_scratchpad(attr), engine());
    prim_ = dnnl::convolution_forward(pd);
    scratchpad_ = ScratchpadArg(pd.scratchpad_desc(), a);

    weights_ = pack_weights(a, user_w_md, pd.weights_desc(), stream_);

    src_ = memory(src_md, engine(), const_cast<void*>(a.inputs[0]));
    dst_ = memory(dst_md, engine(), a.output);
    args_ = {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst_}};
    std::size_t next = 2;
    if (p.has_bias) {
      bias_ = memory(bias_md, engine(), const_cast<void*>(a.inputs[next++]));
      args_[DNNL_ARG_BIAS] = bias_;
    }
    if (p.has_residual && !a.output_aliases_input) {
      residual_ = a.inputs[next];
      bytes_ = static_cast<std::size_t>(element_count(os)) * sizeof(float);
    }
    out_ = a.output;
  }

  void run() override {
    if (residual_) std::memcpy(out_, residual_, bytes_);
    scratchpad_.add_to(args_);
    prim_.execute(stream_, args_);
    stream_.wait();
  }

 private:
  dnnl::stream stream_;
  dnnl::primitive prim_;
  memory weights_, src_, dst_, bias_;
  std::unordered_map<int, memory> args_;
  ScratchpadArg scratchpad_;
  const void* residual_ = nullptr;
  void* out_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_conv(const KernelArgs& a) { return std::make_unique<Conv>(a); }

}  // namespace dpurun::cpu::onednn

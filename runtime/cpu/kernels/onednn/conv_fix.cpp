// Integer convolutions and fully connected layers: oneDNN computes the exact s8 × s8 → s32
// accumulation, then the DPU's requantization runs over the int32 results (bias in the
// accumulator's scale, shift to the output fix point, activation, round, saturate).
#include <cmath>

#include "cpu/kernels/fix_math.h"
#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

const graph::FixInfo& fix_of(const KernelArgs& a, std::size_t input) {
  return *a.graph.value(a.node.inputs[input]).fix;
}

class ConvFix : public Kernel {
 public:
  explicit ConvFix(const KernelArgs& a) : stream_(engine()), out_(static_cast<std::int8_t*>(a.output)) {
    fo_ = *a.graph.value(a.node.outputs[0]).fix;
    const int fi = fix_of(a, 0).fix_point, fw = fix_of(a, 1).fix_point;
    scale_ = std::ldexp(1.0, fo_.fix_point - fi - fw);
    bool has_bias;
    memory::desc src_md, dst_md, user_w_md, w_any;
    dnnl::primitive_desc_base pd_base;
    if (a.node.op == graph::OpType::kFullyConnected) {
      const auto& p = a.node.p<graph::FullyConnectedParams>();
      act_ = p.act.kind;
      has_bias = p.has_bias;
      memory::dim n = a.input_shapes[0][0], k = a.input_shapes[0][1], m = a.output_shape[1];
      channels_ = m;
      src_md = memory::desc({n, k}, dt::s8, tag::nc);
      dst_md = memory::desc({n, m}, dt::s32, tag::nc);
      user_w_md = memory::desc({m, k}, dt::s8, tag::io);
      w_any = memory::desc({m, k}, dt::s8, tag::any);
      dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src_md, w_any, dst_md);
      dnnl::inner_product_forward::primitive_desc pd(d, engine());
      prim_ = dnnl::inner_product_forward(pd);
      weights_ = memory(pd.weights_desc(), engine());
    } else {
      const auto& p = a.node.p<graph::ConvParams>();
      act_ = p.act.kind;
      has_bias = p.has_bias;
      const Shape& xs = a.input_shapes[0];
      const Shape& ws = a.input_shapes[1];
      const Shape& os = a.output_shape;
      memory::dim n = xs[0], c = xs[3], h = xs[1], w = xs[2], kh = ws[0], kw = ws[1], oc = os[3];
      channels_ = oc;
      src_md = memory::desc({n, c, h, w}, dt::s8, tag::nhwc);
      dst_md = memory::desc({n, oc, os[1], os[2]}, dt::s32, tag::nhwc);
      memory::dims w_dims;
      if (a.node.op == graph::OpType::kDepthwiseConv2D) {
        memory::dim m = ws[3];
        w_dims = {c, m, 1, kh, kw};
        user_w_md = memory::desc(w_dims, dt::s8, memory::dims{m, 1, 1, kw * c * m, c * m});
      } else {
        w_dims = {oc, c, kh, kw};
        user_w_md = memory::desc(w_dims, dt::s8, tag::hwio);
      }
      w_any = memory::desc(w_dims, dt::s8, tag::any);
      dnnl::convolution_forward::desc d(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_any,
          dst_md, {p.stride_h, p.stride_w}, {p.dilation_h - 1, p.dilation_w - 1},
          {p.pad_top, p.pad_left}, {p.pad_bottom, p.pad_right});
      dnnl::convolution_forward::primitive_desc pd(d, engine());
      prim_ = dnnl::convolution_forward(pd);
      weights_ = memory(pd.weights_desc(), engine());
    }
    memory user_w(user_w_md, engine(), const_cast<void*>(a.inputs[1]));
    dnnl::reorder(user_w, weights_).execute(stream_, user_w, weights_);
    stream_.wait();

    count_ = element_count(a.output_shape);
    acc_.resize(static_cast<std::size_t>(count_));
    args_ = {{DNNL_ARG_SRC, memory(src_md, engine(), const_cast<void*>(a.inputs[0]))},
             {DNNL_ARG_WEIGHTS, weights_},
             {DNNL_ARG_DST, memory(dst_md, engine(), acc_.data())}};
    bias_.assign(static_cast<std::size_t>(channels_), 0.0);
    int bias_shift = 0;
    if (has_bias) {
      const auto* b = static_cast<const std::int8_t*>(a.inputs[2]);
      bias_shift = fi + fw - fix_of(a, 2).fix_point;
      double shift = std::ldexp(1.0, bias_shift);
      for (std::int64_t o = 0; o < channels_; ++o) bias_[static_cast<std::size_t>(o)] = b[o] * shift;
    }
    const int shift = fi + fw - fo_.fix_point;
    integer_ = bias_shift >= 0 && IntegerRequant::applies(act_, fo_.round, shift);
    if (integer_) {
      auto [lo, hi] = fix_range(fo_);
      requant_ = {shift, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), act_};
      bias_i_.resize(bias_.size());
      for (std::size_t o = 0; o < bias_.size(); ++o) bias_i_[o] = static_cast<std::int64_t>(bias_[o]);
    }
  }

  void run() override {
    prim_.execute(stream_, args_);
    stream_.wait();
    const std::int64_t rows = count_ / channels_;
    if (integer_) {
#pragma omp parallel for schedule(static)
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int32_t* acc = acc_.data() + r * channels_;
        std::int8_t* out = out_ + r * channels_;
        for (std::int64_t o = 0; o < channels_; ++o)
          out[o] = static_cast<std::int8_t>(requant_(acc[o] + bias_i_[static_cast<std::size_t>(o)]));
      }
      return;
    }
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t o = 0; o < channels_; ++o) {
        std::int64_t i = r * channels_ + o;
        double v = (double(acc_[static_cast<std::size_t>(i)]) + bias_[static_cast<std::size_t>(o)]) * scale_;
        out_[i] = static_cast<std::int8_t>(quantize_fix(activate_fix(v, act_, fo_.fix_point), fo_));
      }
  }

 private:
  dnnl::stream stream_;
  dnnl::primitive prim_;
  memory weights_;
  std::unordered_map<int, memory> args_;
  std::vector<std::int32_t> acc_;
  std::vector<double> bias_;
  std::vector<std::int64_t> bias_i_;
  bool integer_ = false;
  IntegerRequant requant_;
  std::int8_t* out_;
  graph::FixInfo fo_;
  graph::Activation act_ = graph::Activation::kNone;
  double scale_ = 1;
  std::int64_t count_ = 0, channels_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a) { return std::make_unique<ConvFix>(a); }

}  // namespace dpurun::cpu::onednn

// Integer convolutions and fully connected layers on oneDNN, bit-exact with the DPU.
//
// Fused path: oneDNN writes int8 directly, computing RNE(2^-k · (acc + B + δ)) in float with
// relu as a post-op. B is the bias in the accumulator's scale, on a grid of 2^-f where the bias
// is f bits finer than the product (vai_q_tensorflow's TF1 models), and δ = 2^-(f+1), half of
// that grid's step, where k + f ≥ 1 (else 0: the value is an integer). With t = acc + B on the
// grid, (t + δ)·2^-k is never a tie, and rounding it to nearest gives floor(t·2^-k + ½) =
// DPU_ROUND(t·2^-k); every step is exact in float while (|t| + 1)·2^(f+1) ≤ 2^24, which is
// checked per channel from the weights at plan time. Otherwise (other activations or round
// modes, larger sums): oneDNN computes the exact s32 accumulation and the requantization runs
// over it here.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dpurun/error.h"

#include "graph/fix_math.h"
#include "cpu/kernels/kernels.h"
#include "cpu/kernels/onednn/onednn.h"

namespace dpurun::cpu::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// The post-op chains added for finer biases and fused residuals are proven on x86-64's JIT
// convolutions; under qemu-aarch64, Debian's arm64 oneDNN gave zeros for the residual chain, so
// there those take the exact s32 path.
#if defined(__x86_64__)
constexpr bool kNewPostOps = true;
#else
constexpr bool kNewPostOps = false;
#endif

const graph::FixInfo& fix_of(const KernelArgs& a, std::size_t input) {
  return *a.graph.value(a.node.inputs[input]).fix;
}

class ConvFix : public Kernel {
 public:
  explicit ConvFix(const KernelArgs& a) : stream_(engine()), out_(static_cast<std::int8_t*>(a.output)) {
    fo_ = *a.graph.value(a.node.outputs[0]).fix;
    if (a.node.op == graph::OpType::kConv2D && a.node.p<graph::ConvParams>().has_residual) {
      // A fused residual: fo_ is the convolution's own result, then eltwise-fix ADD.
      const auto& p = a.node.p<graph::ConvParams>();
      fadd_ = fo_;
      fo_ = *p.conv_fix;
      residual_ = static_cast<const std::int8_t*>(a.inputs.back());
      residual_in_place_ = a.output_aliases_input;
      const int fa = fo_.fix_point, fb = fix_of(a, a.inputs.size() - 1).fix_point, fm = std::max(fa, fb);
      add_a_ = fm - fa, add_b_ = fm - fb;
      add_rq_ = {fm - fadd_.fix_point, -128, 127, p.residual_act.kind};
      if (!graph::int8_residual_fits(fo_, fix_of(a, a.inputs.size() - 1), fadd_))
        throw Error(ErrorCode::kInternal, a.node.name + ": a fused int8 residual add with fix points it does not take");
    }
    const int fi = fix_of(a, 0).fix_point, fw = fix_of(a, 1).fix_point;
    scale_ = std::ldexp(1.0, fo_.fix_point - fi - fw);
    const int shift = fi + fw - fo_.fix_point;
    bool has_bias = a.node.op == graph::OpType::kFullyConnected
                        ? a.node.p<graph::FullyConnectedParams>().has_bias
                        : a.node.p<graph::ConvParams>().has_bias;
    act_ = a.node.op == graph::OpType::kFullyConnected ? a.node.p<graph::FullyConnectedParams>().act.kind
                                                       : a.node.p<graph::ConvParams>().act.kind;
    channels_ = a.output_shape.back();
    bias_.assign(static_cast<std::size_t>(channels_), 0.0);
    int bias_shift = 0;
    if (has_bias) {
      const auto* b = static_cast<const std::int8_t*>(a.inputs[2]);
      bias_shift = fi + fw - fix_of(a, 2).fix_point;
      double m = std::ldexp(1.0, bias_shift);
      for (std::int64_t o = 0; o < channels_; ++o) bias_[static_cast<std::size_t>(o)] = b[o] * m;
    }
    const int finer = bias_shift < 0 ? -bias_shift : 0;
    fused_ = fo_.round == graph::RoundMode::kDpu && fo_.bit_width == 8 && fo_.is_signed && finer <= 16 &&
             shift >= -20 && shift <= 30 &&
             (act_ == graph::Activation::kNone || act_ == graph::Activation::kRelu) &&
             (kNewPostOps || (finer == 0 && !residual_)) && sums_fit_float(a, finer);
    const dt dst_type = fused_ ? dt::s8 : dt::s32;
    dnnl::primitive_attr attr;
    if (fused_) {
      attr.set_output_scales(0, {static_cast<float>(scale_)});
      dnnl::post_ops ops;
      if (act_ == graph::Activation::kRelu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      if (residual_) {
        // The convolution's int8 result (rounded, saturated), then the add in the output's
        // scale: t·2^-k + δ with t = q·2^a + r·2^b (the residual r summed from the output
        // buffer) and δ = 2^-(k+1) where the add rounds (k ≥ 1); relu; RNE. Exact in float,
        // and not a tie, as above.
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, act_ == graph::Activation::kRelu ? 0.f : -128.f, 127.f);
        const float delta = add_rq_.shift >= 1 ? std::ldexp(1.f, -(add_rq_.shift + 1)) : 0.f;
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, std::ldexp(1.f, -(add_rq_.shift - add_a_)), delta);
        ops.append_sum(std::ldexp(1.f, -(add_rq_.shift - add_b_)));
        if (add_rq_.act == graph::Activation::kRelu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      }
      attr.set_post_ops(ops);
      fused_bias_.resize(bias_.size());
      const double delta = shift + finer >= 1 ? std::ldexp(1.0, -(finer + 1)) : 0.0;
      for (std::size_t o = 0; o < bias_.size(); ++o) fused_bias_[o] = static_cast<float>(bias_[o] + delta);
    }
    memory::desc bias_md({channels_}, dt::f32, tag::x);
    const memory::desc user_w_md = graph_weights(a, dt::s8);
    const memory::desc w_any = any_layout(user_w_md);
    memory::desc src_md, dst_md;
    if (a.node.op == graph::OpType::kFullyConnected) {
      memory::dim n = a.input_shapes[0][0], k = a.input_shapes[0][1], m = a.output_shape[1];
      src_md = memory::desc({n, k}, dt::s8, tag::nc);
      dst_md = memory::desc({n, m}, dst_type, tag::nc);
      auto d = fused_ ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md,
                                                          w_any, bias_md, dst_md)
                      : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md,
                                                          w_any, dst_md);
      dnnl::inner_product_forward::primitive_desc pd(d, with_user_scratchpad(attr), engine());
      prim_ = dnnl::inner_product_forward(pd);
      scratchpad_ = ScratchpadArg(pd.scratchpad_desc(), a);
      weights_ = pack_weights(a, user_w_md, pd.weights_desc(), stream_);
    } else {
      const auto& p = a.node.p<graph::ConvParams>();
      const Shape& xs = a.input_shapes[0];
      const Shape& os = a.output_shape;
      memory::dim n = xs[0], c = xs[3], h = xs[1], w = xs[2], oc = os[3];
      src_md = memory::desc({n, c, h, w}, dt::s8, tag::nhwc);
      dst_md = memory::desc({n, oc, os[1], os[2]}, dst_type, tag::nhwc);
      memory::dims strides{p.stride_h, p.stride_w}, dil{p.dilation_h - 1, p.dilation_w - 1};
      memory::dims pad_l{p.pad_top, p.pad_left}, pad_r{p.pad_bottom, p.pad_right};
      auto d = fused_ ? dnnl::convolution_forward::desc(
                            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                            src_md, w_any, bias_md, dst_md, strides, dil, pad_l, pad_r)
                      : dnnl::convolution_forward::desc(
                            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                            src_md, w_any, dst_md, strides, dil, pad_l, pad_r);
      dnnl::convolution_forward::primitive_desc pd(d, with_user_scratchpad(attr), engine());
      prim_ = dnnl::convolution_forward(pd);
      scratchpad_ = ScratchpadArg(pd.scratchpad_desc(), a);
      weights_ = pack_weights(a, user_w_md, pd.weights_desc(), stream_);
    }

    count_ = element_count(a.output_shape);
    args_ = {{DNNL_ARG_SRC, memory(src_md, engine(), const_cast<void*>(a.inputs[0]))},
             {DNNL_ARG_WEIGHTS, weights_}};
    if (fused_) {
      args_[DNNL_ARG_DST] = memory(dst_md, engine(), a.output);
      args_[DNNL_ARG_BIAS] = memory(bias_md, engine(), fused_bias_.data());
      return;
    }
    acc_.resize(static_cast<std::size_t>(count_));
    args_[DNNL_ARG_DST] = memory(dst_md, engine(), acc_.data());
    // A bias finer than the product (bias_shift < 0, e.g. vai_q_tensorflow's TF1 models) is
    // added in its own scale: the sums shifted left by `finer_` bits, exactly, in int64.
    finer_ = bias_shift < 0 ? -bias_shift : 0;
    integer_ = finer_ <= 16 && graph::IntegerRequant::applies(act_, fo_.round, shift + finer_);
    if (integer_) {
      auto [lo, hi] = fix_range(fo_);
      requant_ = {shift + finer_, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), act_};
      bias_i_.resize(bias_.size());
      for (std::size_t o = 0; o < bias_.size(); ++o)
        bias_i_[o] = static_cast<std::int64_t>(std::ldexp(bias_[o], finer_));  // the int8 bias, or a multiple
    }
  }

  // Whether (|acc + B| + 1)·2^(finer+1) ≤ 2^24 for every output channel, whatever the int8 input.
  bool sums_fit_float(const KernelArgs& a, int finer) const {
    const auto* w = static_cast<const std::int8_t*>(a.inputs[1]);
    const std::int64_t total = element_count(a.input_shapes[1]);
    std::vector<std::int64_t> abs_sum(static_cast<std::size_t>(channels_), 0);
    // Output channels are the innermost weight index for HWIO, [KH, KW, C, M] and [K, M].
    for (std::int64_t i = 0; i < total; ++i) abs_sum[static_cast<std::size_t>(i % channels_)] += std::abs(int{w[i]});
    for (std::size_t o = 0; o < abs_sum.size(); ++o)
      if (abs_sum[o] * 128 + static_cast<std::int64_t>(std::ceil(std::abs(bias_[o]))) + 1 >= (std::int64_t{1} << (23 - finer)))
        return false;
    return true;
  }

  void run() override {
    if (residual_ && fused_ && !residual_in_place_) std::memcpy(out_, residual_, static_cast<std::size_t>(count_));
    scratchpad_.add_to(args_);
    prim_.execute(stream_, args_);
    stream_.wait();
    if (fused_) return;
    // Each exact sum requantized to the convolution's int8 result; with a residual, then added
    // to it as add_fix does, in the same pass.
    const std::int64_t rows = count_ / channels_;
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t o = 0; o < channels_; ++o) {
        const std::int64_t i = r * channels_ + o;
        const std::int64_t q = requantize(acc_[static_cast<std::size_t>(i)], static_cast<std::size_t>(o));
        out_[i] = static_cast<std::int8_t>(residual_ ? add_rq_((q << add_a_) + (std::int64_t{residual_[i]} << add_b_)) : q);
      }
  }

 private:
  std::int64_t requantize(std::int32_t acc, std::size_t o) const {
    if (integer_) return requant_((std::int64_t{acc} << finer_) + bias_i_[o]);
    const double v = (double(acc) + bias_[o]) * scale_;
    return static_cast<std::int64_t>(quantize_fix(activate_fix(v, act_, fo_.fix_point), fo_));
  }

  dnnl::stream stream_;
  dnnl::primitive prim_;
  memory weights_;
  std::unordered_map<int, memory> args_;
  ScratchpadArg scratchpad_;
  std::vector<std::int32_t> acc_;
  std::vector<double> bias_;
  std::vector<std::int64_t> bias_i_;
  std::vector<float> fused_bias_;
  bool integer_ = false, fused_ = false;
  int finer_ = 0;  // bits the bias is finer than the product
  graph::IntegerRequant requant_;
  std::int8_t* out_;
  graph::FixInfo fo_;
  graph::Activation act_ = graph::Activation::kNone;
  double scale_ = 1;
  std::int64_t count_ = 0, channels_ = 1;
  // A fused residual (graph::fuse_int8_residuals): fo_ is then the convolution's own result.
  const std::int8_t* residual_ = nullptr;
  bool residual_in_place_ = false;
  graph::FixInfo fadd_;
  int add_a_ = 0, add_b_ = 0;  // the shifts aligning the two operands
  graph::IntegerRequant add_rq_;
};

}  // namespace

std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a) { return std::make_unique<ConvFix>(a); }

}  // namespace dpurun::cpu::onednn

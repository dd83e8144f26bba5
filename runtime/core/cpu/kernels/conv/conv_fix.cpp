// conv2d-fix, depthwise-conv2d-fix and the fully connected layer in plain DPU integer arithmetic:
// int8 inputs and weights, exact accumulation, then the DPU's requantization.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/kernels/fix_args.h"
#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::reference {
namespace {

// conv2d-fix, depthwise-conv2d-fix and the fully connected layer:
// out = saturate(round(act((Σ x·w + b · 2^(fi+fw−fb)) · 2^−(fi+fw−fo)))).
// With a fused residual (graph::fuse_int8_residuals) that is the convolution's own result at
// its own fix point, then eltwise-fix ADD with the residual as add_fix.cpp computes it.
class ConvFix : public Kernel {
 public:
  explicit ConvFix(const KernelArgs& a)
      : x_(static_cast<const std::int8_t*>(a.inputs[0])),
        w_(static_cast<const std::int8_t*>(a.inputs[1])),
        out_(static_cast<std::int8_t*>(a.output)),
        fo_(out_fix(a)),
        s_(a) {
    if (a.node.op == graph::OpType::kConv2D && a.node.p<graph::ConvParams>().has_residual) {
      const auto& p = a.node.p<graph::ConvParams>();
      fo_ = *p.conv_fix;
      fadd_ = out_fix(a);
      residual_ = static_cast<const std::int8_t*>(a.inputs.back());
      residual_act_ = p.residual_act.kind;
      const int fa = fo_.fix_point, fb = fix_of(a, a.inputs.size() - 1).fix_point, fm = std::max(fa, fb);
      shift_a_ = std::int64_t{1} << (fm - fa);
      shift_b_ = std::int64_t{1} << (fm - fb);
      add_scale_ = std::ldexp(1.0, fadd_.fix_point - fm);
    }
    const int fi = fix_of(a, 0).fix_point, fw = fix_of(a, 1).fix_point;
    scale_ = std::ldexp(1.0, fo_.fix_point - fi - fw);
    depthwise_ = a.node.op == graph::OpType::kDepthwiseConv2D;
    bool has_bias;
    if (a.node.op == graph::OpType::kFullyConnected) {
      const auto& p = a.node.p<graph::FullyConnectedParams>();
      act_ = p.act.kind;
      has_bias = p.has_bias;
    } else {
      p_ = a.node.p<graph::ConvParams>();
      act_ = p_.act.kind;
      has_bias = p_.has_bias;
    }
    if (has_bias) set_bias(a, 2, fi + fw);
  }

  void run() override {
    // Plain locals, not a structured binding: OpenMP regions cannot capture those (clang 14).
    const std::int64_t n_ = s_.n, h_ = s_.h, w_in_ = s_.w, c_ = s_.c, kh_ = s_.kh, kw_ = s_.kw;
    const std::int64_t oh_ = s_.oh, ow_ = s_.ow, oc_ = s_.oc, mult_ = s_.mult;
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t n = 0; n < n_; ++n)
      for (std::int64_t oy = 0; oy < oh_; ++oy)
        for (std::int64_t ox = 0; ox < ow_; ++ox)
          for (std::int64_t o = 0; o < oc_; ++o) {
            std::int64_t acc = 0;
            for (std::int64_t ky = 0; ky < kh_; ++ky) {
              std::int64_t iy = oy * p_.stride_h - p_.pad_top + ky * p_.dilation_h;
              if (iy < 0 || iy >= h_) continue;
              for (std::int64_t kx = 0; kx < kw_; ++kx) {
                std::int64_t ix = ox * p_.stride_w - p_.pad_left + kx * p_.dilation_w;
                if (ix < 0 || ix >= w_in_) continue;
                const std::int8_t* px = x_ + ((n * h_ + iy) * w_in_ + ix) * c_;
                if (depthwise_) {
                  std::int64_t c = o / mult_;
                  acc += std::int64_t{px[c]} * w_[((ky * kw_ + kx) * c_ + c) * mult_ + o % mult_];
                } else {
                  const std::int8_t* pw = w_ + (ky * kw_ + kx) * c_ * oc_ + o;
                  for (std::int64_t c = 0; c < c_; ++c) acc += std::int64_t{px[c]} * pw[c * oc_];
                }
              }
            }
            double v = (double(acc) + (bias_.empty() ? 0.0 : bias_[static_cast<std::size_t>(o)])) * scale_;
            v = activate_fix(v, act_, fo_.fix_point);
            const std::int64_t at = ((n * oh_ + oy) * ow_ + ox) * oc_ + o;
            const double q = quantize_fix(v, fo_);
            if (!residual_) {
              out_[at] = static_cast<std::int8_t>(q);
              continue;
            }
            const double sum = double(static_cast<std::int64_t>(q) * shift_a_ + residual_[at] * shift_b_) * add_scale_;
            out_[at] = static_cast<std::int8_t>(quantize_fix(activate_fix(sum, residual_act_, fadd_.fix_point), fadd_));
          }
  }

 private:
  // The bias in the accumulator's scale: b · 2^(fi + fw − fb), exact.
  void set_bias(const KernelArgs& a, std::size_t input, int acc_fix) {
    const auto* b = static_cast<const std::int8_t*>(a.inputs[input]);
    double shift = std::ldexp(1.0, acc_fix - fix_of(a, input).fix_point);
    bias_.resize(static_cast<std::size_t>(s_.oc));
    for (std::int64_t o = 0; o < s_.oc; ++o) bias_[static_cast<std::size_t>(o)] = b[o] * shift;
  }

  graph::ConvParams p_;
  graph::Activation act_ = graph::Activation::kNone;
  bool depthwise_ = false;
  const std::int8_t* x_;
  const std::int8_t* w_;
  std::int8_t* out_;
  graph::FixInfo fo_;  // the convolution's own result
  double scale_ = 1;
  // A fused residual: read at each output's index (the output may share its buffer).
  const std::int8_t* residual_ = nullptr;
  graph::FixInfo fadd_;
  graph::Activation residual_act_ = graph::Activation::kNone;
  std::int64_t shift_a_ = 1, shift_b_ = 1;
  double add_scale_ = 1;
  std::vector<double> bias_;
  ConvShape s_;
};

}  // namespace

std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a) { return std::make_unique<ConvFix>(a); }

}  // namespace dpurun::cpu::reference

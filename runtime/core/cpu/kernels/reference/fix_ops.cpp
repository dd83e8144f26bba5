// Plain DPU integer ops (XIR's *-fix ops): int8 inputs and weights, exact integer accumulation,
// then the DPU's requantization — shift to the output fix point, round, saturate.
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/fix_math.h"
#include "cpu/kernels/reference/reference.h"

namespace dpurun::cpu::reference {
namespace {

const graph::FixInfo& fix_of(const KernelArgs& a, std::size_t input) {
  return *a.graph.value(a.node.inputs[input]).fix;
}
const graph::FixInfo& out_fix(const KernelArgs& a) { return *a.graph.value(a.node.outputs[0]).fix; }

// conv2d-fix, depthwise-conv2d-fix and the fully connected layer:
// out = saturate(round(act((Σ x·w + b · 2^(fi+fw−fb)) · 2^−(fi+fw−fo)))).
class ConvFix : public Kernel {
 public:
  explicit ConvFix(const KernelArgs& a)
      : x_(static_cast<const std::int8_t*>(a.inputs[0])),
        w_(static_cast<const std::int8_t*>(a.inputs[1])),
        out_(static_cast<std::int8_t*>(a.output)),
        fo_(out_fix(a)),
        s_(a) {
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
            out_[((n * oh_ + oy) * ow_ + ox) * oc_ + o] = static_cast<std::int8_t>(quantize_fix(v, fo_));
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
  graph::FixInfo fo_;
  double scale_ = 1;
  std::vector<double> bias_;
  ConvShape s_;
};

// pool-fix: MAX starts from −∞ and ignores padding; AVG sums the window (padding counts as zero)
// and multiplies by the DPU's factor F / 2^S in place of 1 / (kh·kw). Mean over H and W is a
// global AVG pool.
class PoolFix : public Kernel {
 public:
  explicit PoolFix(const KernelArgs& a)
      : x_(static_cast<const std::int8_t*>(a.inputs[0])),
        out_(static_cast<std::int8_t*>(a.output)),
        xs_(a.input_shapes[0]),
        fo_(out_fix(a)) {
    if (a.node.op == graph::OpType::kMean) {
      p_.kind = graph::PoolKind::kAverage;
      p_.kernel_h = static_cast<int>(xs_[1]);
      p_.kernel_w = static_cast<int>(xs_[2]);
      oh_ = ow_ = 1;
    } else {
      p_ = a.node.p<graph::PoolParams>();
      oh_ = a.output_shape[1];
      ow_ = a.output_shape[2];
    }
    auto f = graph::dpu_average_factor(p_.kernel_h, p_.kernel_w);
    const int fi = fix_of(a, 0).fix_point;
    if (p_.kind == graph::PoolKind::kAverage)
      scale_ = double(f.multiplier) * std::ldexp(1.0, fo_.fix_point - fi - f.shift);
    else
      scale_ = std::ldexp(1.0, fo_.fix_point - fi);
  }

  void run() override {
    const std::int64_t n_ = xs_[0], h = xs_[1], w = xs_[2], c = xs_[3];
    const bool is_max = p_.kind == graph::PoolKind::kMax;
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t n = 0; n < n_; ++n)
      for (std::int64_t oy = 0; oy < oh_; ++oy)
        for (std::int64_t ox = 0; ox < ow_; ++ox)
          for (std::int64_t ch = 0; ch < c; ++ch) {
            std::int64_t acc = is_max ? std::numeric_limits<std::int64_t>::min() : 0;
            for (std::int64_t ky = 0; ky < p_.kernel_h; ++ky)
              for (std::int64_t kx = 0; kx < p_.kernel_w; ++kx) {
                std::int64_t iy = oy * p_.stride_h - p_.pad_top + ky;
                std::int64_t ix = ox * p_.stride_w - p_.pad_left + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                std::int64_t v = x_[((n * h + iy) * w + ix) * c + ch];
                acc = is_max ? std::max(acc, v) : acc + v;
              }
            out_[((n * oh_ + oy) * ow_ + ox) * c + ch] =
                static_cast<std::int8_t>(quantize_fix(double(acc) * scale_, fo_));
          }
  }

 private:
  graph::PoolParams p_;
  const std::int8_t* x_;
  std::int8_t* out_;
  Shape xs_;
  graph::FixInfo fo_;
  std::int64_t oh_, ow_;
  double scale_;
};

// eltwise-fix ADD: both inputs aligned to the larger fix point with exact shifts, summed,
// rescaled to the output fix point; then the fused activation, round and saturate.
class AddFix : public Kernel {
 public:
  explicit AddFix(const KernelArgs& a)
      : a_(static_cast<const std::int8_t*>(a.inputs[0])),
        b_(static_cast<const std::int8_t*>(a.inputs[1])),
        out_(static_cast<std::int8_t*>(a.output)),
        count_(element_count(a.output_shape)),
        act_(a.node.p<graph::BinaryParams>().act.kind),
        fo_(out_fix(a)) {
    const int fa = fix_of(a, 0).fix_point, fb = fix_of(a, 1).fix_point, fm = std::max(fa, fb);
    shift_a_ = std::int64_t{1} << (fm - fa);
    shift_b_ = std::int64_t{1} << (fm - fb);
    scale_ = std::ldexp(1.0, fo_.fix_point - fm);
  }

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < count_; ++i) {
      double v = double(a_[i] * shift_a_ + b_[i] * shift_b_) * scale_;
      out_[i] = static_cast<std::int8_t>(quantize_fix(activate_fix(v, act_, fo_.fix_point), fo_));
    }
  }

 private:
  const std::int8_t* a_;
  const std::int8_t* b_;
  std::int8_t* out_;
  std::int64_t count_;
  graph::Activation act_;
  graph::FixInfo fo_;
  std::int64_t shift_a_, shift_b_;
  double scale_;
};

// An activation alone on integers (relu, relu6, leaky relu), with a requantizing shift.
class UnaryFix : public Kernel {
 public:
  explicit UnaryFix(const KernelArgs& a)
      : x_(static_cast<const std::int8_t*>(a.inputs[0])),
        out_(static_cast<std::int8_t*>(a.output)),
        count_(element_count(a.output_shape)),
        act_(a.node.p<graph::UnaryParams>().act.kind),
        fo_(out_fix(a)),
        scale_(std::ldexp(1.0, fo_.fix_point - fix_of(a, 0).fix_point)) {}

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < count_; ++i)
      out_[i] = static_cast<std::int8_t>(
          quantize_fix(activate_fix(double(x_[i]) * scale_, act_, fo_.fix_point), fo_));
  }

 private:
  const std::int8_t* x_;
  std::int8_t* out_;
  std::int64_t count_;
  graph::Activation act_;
  graph::FixInfo fo_;
  double scale_;
};

// Float → integer (the model's input), integer → float (its outputs), and the quantizer's
// float simulation of a fix op.
class Convert : public Kernel {
 public:
  explicit Convert(const KernelArgs& a)
      : op_(a.node.op),
        in_(a.inputs[0]),
        out_(a.output),
        count_(element_count(a.output_shape)) {
    if (op_ == graph::OpType::kQuantize) fix_ = out_fix(a);
    else if (op_ == graph::OpType::kDequantize) fix_ = fix_of(a, 0);
    else fix_ = a.node.p<graph::FixParams>().fix;
  }

  void run() override {
    const double up = std::ldexp(1.0, fix_.fix_point), down = std::ldexp(1.0, -fix_.fix_point);
    const auto* f_in = static_cast<const float*>(in_);
    const auto* q_in = static_cast<const std::int8_t*>(in_);
    auto* f_out = static_cast<float*>(out_);
    auto* q_out = static_cast<std::int8_t*>(out_);
    if (op_ == graph::OpType::kQuantize) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i)
        q_out[i] = static_cast<std::int8_t>(quantize_fix(double(f_in[i]) * up, fix_));
    } else if (op_ == graph::OpType::kDequantize) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i) f_out[i] = static_cast<float>(q_in[i] * down);
    } else {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i)
        f_out[i] = static_cast<float>(quantize_fix(double(f_in[i]) * up, fix_) * down);
    }
  }

 private:
  graph::OpType op_;
  const void* in_;
  void* out_;
  std::int64_t count_;
  graph::FixInfo fix_;
};

}  // namespace

std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a) { return std::make_unique<ConvFix>(a); }
std::unique_ptr<Kernel> make_pool_fix(const KernelArgs& a) { return std::make_unique<PoolFix>(a); }
std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a) { return std::make_unique<AddFix>(a); }
std::unique_ptr<Kernel> make_unary_fix(const KernelArgs& a) { return std::make_unique<UnaryFix>(a); }
std::unique_ptr<Kernel> make_convert(const KernelArgs& a) { return std::make_unique<Convert>(a); }

}  // namespace dpurun::cpu::reference

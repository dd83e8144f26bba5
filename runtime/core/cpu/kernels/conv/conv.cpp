// Plain NHWC convolutions: Conv2D (HWIO weights) and DepthwiseConv2D ([KH, KW, C, M] weights).
#include <cstring>

#include "cpu/kernels/activation.h"
#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

class Conv : public Kernel {
 public:
  explicit Conv(const KernelArgs& a)
      : p_(a.node.p<graph::ConvParams>()),
        depthwise_(a.node.op == graph::OpType::kDepthwiseConv2D),
        x_(static_cast<const float*>(a.inputs[0])),
        w_(static_cast<const float*>(a.inputs[1])),
        out_(static_cast<float*>(a.output)),
        s_(a) {
    std::size_t next = 2;
    if (p_.has_bias) bias_ = static_cast<const float*>(a.inputs[next++]);
    if (p_.has_residual) residual_ = static_cast<const float*>(a.inputs[next++]);
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
            double acc = bias_ ? bias_[o] : 0.0;
            for (std::int64_t ky = 0; ky < kh_; ++ky) {
              std::int64_t iy = oy * p_.stride_h - p_.pad_top + ky * p_.dilation_h;
              if (iy < 0 || iy >= h_) continue;
              for (std::int64_t kx = 0; kx < kw_; ++kx) {
                std::int64_t ix = ox * p_.stride_w - p_.pad_left + kx * p_.dilation_w;
                if (ix < 0 || ix >= w_in_) continue;
                const float* px = x_ + ((n * h_ + iy) * w_in_ + ix) * c_;
                if (depthwise_) {
                  std::int64_t c = o / mult_;
                  acc += double(px[c]) * w_[((ky * kw_ + kx) * c_ + c) * mult_ + o % mult_];
                } else {
                  const float* pw = w_ + (ky * kw_ + kx) * c_ * oc_ + o;
                  for (std::int64_t c = 0; c < c_; ++c) acc += double(px[c]) * pw[c * oc_];
                }
              }
            }
            std::int64_t at = ((n * oh_ + oy) * ow_ + ox) * oc_ + o;
            if (residual_) acc += residual_[at];
            out_[at] = activate(static_cast<float>(acc), p_.act);
          }
  }

 private:
  graph::ConvParams p_;
  bool depthwise_;
  const float* x_;
  const float* w_;
  const float* bias_ = nullptr;
  const float* residual_ = nullptr;
  float* out_;
  ConvShape s_;
};

}  // namespace

std::unique_ptr<Kernel> make_conv(const KernelArgs& a) { return std::make_unique<Conv>(a); }

}  // namespace dpurun::cpu::reference

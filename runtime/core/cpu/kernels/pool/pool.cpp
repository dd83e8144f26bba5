// Plain NHWC max and average pooling.
#include <limits>

#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::reference {
namespace {

class Pool : public Kernel {
 public:
  explicit Pool(const KernelArgs& a)
      : p_(a.node.p<graph::PoolParams>()),
        x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        xs_(a.input_shapes[0]),
        os_(a.output_shape) {}

  void run() override {
    const std::int64_t n_ = xs_[0], h = xs_[1], w = xs_[2], c = xs_[3], oh = os_[1], ow = os_[2];
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t n = 0; n < n_; ++n)
      for (std::int64_t oy = 0; oy < oh; ++oy)
        for (std::int64_t ox = 0; ox < ow; ++ox)
          for (std::int64_t ch = 0; ch < c; ++ch) {
            bool is_max = p_.kind == graph::PoolKind::kMax;
            double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
            std::int64_t count = 0;
            for (std::int64_t ky = 0; ky < p_.kernel_h; ++ky)
              for (std::int64_t kx = 0; kx < p_.kernel_w; ++kx) {
                std::int64_t iy = oy * p_.stride_h - p_.pad_top + ky;
                std::int64_t ix = ox * p_.stride_w - p_.pad_left + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                float v = x_[((n * h + iy) * w + ix) * c + ch];
                acc = is_max ? std::max(acc, double(v)) : acc + v;
                ++count;
              }
            if (!is_max && p_.dpu_factor) {  // exact: int8 values on a fix grid, times F / 2^S
              const auto f = graph::dpu_average_factor(p_.kernel_h, p_.kernel_w);
              acc = acc * double(f.multiplier) * std::ldexp(1.0, -f.shift);
            } else if (!is_max) {
              std::int64_t div = p_.count_include_pad ? std::int64_t{p_.kernel_h} * p_.kernel_w : count;
              acc = div ? acc / double(div) : 0.0;
            }
            out_[((n * oh + oy) * ow + ox) * c + ch] = static_cast<float>(acc);
          }
  }

 private:
  graph::PoolParams p_;
  const float* x_;
  float* out_;
  Shape xs_, os_;
};

}  // namespace

std::unique_ptr<Kernel> make_pool(const KernelArgs& a) { return std::make_unique<Pool>(a); }

}  // namespace dpurun::cpu::reference

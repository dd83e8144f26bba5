// pool-fix in plain DPU integer arithmetic (and Mean over H and W as a global average pool).
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/kernels/fix_args.h"
#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::reference {
namespace {

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
    const bool same_scale_max = is_max && scale_ == 1.0 && fo_.bit_width == 8 && fo_.is_signed;
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
                same_scale_max ? static_cast<std::int8_t>(acc)  // an int8 of the input, unchanged
                               : static_cast<std::int8_t>(quantize_fix(double(acc) * scale_, fo_));
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

}  // namespace

std::unique_ptr<Kernel> make_pool_fix(const KernelArgs& a) { return std::make_unique<PoolFix>(a); }

}  // namespace dpurun::cpu::reference

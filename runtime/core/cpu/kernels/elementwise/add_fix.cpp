// eltwise-fix ADD in plain DPU integer arithmetic.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/kernels/fix_args.h"
#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::reference {
namespace {

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

}  // namespace

std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a) { return std::make_unique<AddFix>(a); }

}  // namespace dpurun::cpu::reference

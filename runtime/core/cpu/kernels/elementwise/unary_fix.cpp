// Activations alone on integers, in plain DPU integer arithmetic.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/kernels/fix_args.h"
#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::reference {
namespace {

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

}  // namespace

std::unique_ptr<Kernel> make_unary_fix(const KernelArgs& a) { return std::make_unique<UnaryFix>(a); }

}  // namespace dpurun::cpu::reference

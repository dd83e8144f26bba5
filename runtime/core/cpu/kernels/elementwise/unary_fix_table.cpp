// An activation alone on int8: one of 256 values, so a table made by the reference arithmetic
// (unary_fix.cpp's, entry for entry) and one lookup per element.
#include <array>
#include <cmath>

#include "cpu/kernels/fix_args.h"
#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::optimized {
namespace {

class UnaryFixTable : public Kernel {
 public:
  explicit UnaryFixTable(const KernelArgs& a)
      : x_(static_cast<const std::int8_t*>(a.inputs[0])),
        out_(static_cast<std::int8_t*>(a.output)),
        count_(element_count(a.output_shape)) {
    const auto act = a.node.p<graph::UnaryParams>().act.kind;
    const graph::FixInfo fo = out_fix(a);
    const double scale = std::ldexp(1.0, fo.fix_point - fix_of(a, 0).fix_point);
    for (int v = -128; v < 128; ++v)
      table_[static_cast<std::size_t>(v + 128)] = static_cast<std::int8_t>(
          graph::quantize_fix(graph::activate_fix(double(v) * scale, act, fo.fix_point), fo));
  }

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < count_; ++i)
      out_[i] = table_[static_cast<std::size_t>(x_[i] + 128)];
  }

 private:
  const std::int8_t* x_;
  std::int8_t* out_;
  std::int64_t count_;
  std::array<std::int8_t, 256> table_{};
};

}  // namespace

std::unique_ptr<Kernel> make_unary_fix_table(const KernelArgs& a) {
  return std::make_unique<UnaryFixTable>(a);
}

}  // namespace dpurun::cpu::optimized

// Conversions at the edges of the integer graph: Quantize, Dequantize and the quantizer's float
// simulation of a fix op (Fix).
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/kernels/fix_args.h"
#include "cpu/kernels/kernels.h"
#include "graph/fix_math.h"

namespace dpurun::cpu::reference {
namespace {

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
    // quantize_fix with its range taken once (it is per format, not per element).
    const auto range = graph::fix_range(fix_);  // not a structured binding: clang 14 cannot capture one
    const double lo = range.first, hi = range.second;
    const graph::RoundMode mode = fix_.round;
    auto q = [lo, hi, mode](double x) {
      if (std::isnan(x)) return 0.0;
      const double r = graph::round_fix(x, mode);
      return r < lo ? lo : (r > hi ? hi : r);
    };
    if (op_ == graph::OpType::kQuantize) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i) q_out[i] = static_cast<std::int8_t>(q(double(f_in[i]) * up));
    } else if (op_ == graph::OpType::kDequantize) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i) f_out[i] = static_cast<float>(q_in[i] * down);
    } else {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i) f_out[i] = static_cast<float>(q(double(f_in[i]) * up) * down);
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

std::unique_ptr<Kernel> make_convert(const KernelArgs& a) { return std::make_unique<Convert>(a); }

}  // namespace dpurun::cpu::reference

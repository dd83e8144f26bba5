// Float → int8 at a fix point with DPU_ROUND, in float: x · 2^fp is exact (a power of two),
// and floor(v + ½) is exact in float for |v| < 2^22; larger values saturate either way.
#include <algorithm>
#include <cmath>

#include "graph/fix_math.h"
#include "cpu/kernels/optimized/optimized.h"

namespace dpurun::cpu::optimized {
namespace {

class Quantize : public Kernel {
 public:
  explicit Quantize(const KernelArgs& a)
      : x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<std::int8_t*>(a.output)),
        count_(element_count(a.output_shape)),
        scale_(std::ldexp(1.f, a.graph.value(a.node.outputs[0]).fix->fix_point)) {}

  void run() override {
    const float* x = x_;
    std::int8_t* out = out_;
    const float scale = scale_;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < count_; ++i) {
      float v = std::floor(x[i] * scale + 0.5f);
      v = std::min(std::max(v, -128.f), 127.f);  // NaN stays NaN here; the cast below makes it 0
      out[i] = static_cast<std::int8_t>(v == v ? v : 0.f);
    }
  }

 private:
  const float* x_;
  std::int8_t* out_;
  std::int64_t count_;
  float scale_;
};

}  // namespace

std::unique_ptr<Kernel> make_quantize(const KernelArgs& a) {
  const auto& f = *a.graph.value(a.node.outputs[0]).fix;
  if (f.round != graph::RoundMode::kDpu || f.bit_width != 8 || !f.is_signed ||
      f.fix_point < -60 || f.fix_point > 60)
    return nullptr;
  return std::make_unique<Quantize>(a);
}

}  // namespace dpurun::cpu::optimized

// The graph's Quantize (float → int8 at a fix point, DPU_ROUND) by graph::quantize_dpu_input, the
// runners' input conversion: one quantizer for both.
#include <algorithm>
#include <cmath>

#include "graph/fix_math.h"
#include "cpu/kernels/kernels.h"

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
    constexpr std::int64_t kChunk = 4096;
    const std::int64_t chunks = (count_ + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::int64_t begin = c * kChunk, n = std::min(kChunk, count_ - begin);
      graph::quantize_dpu_input(x_ + begin, static_cast<std::size_t>(n), scale_, out_ + begin);
    }
  }

 private:
  const float* x_;
  std::int8_t* out_;
  std::int64_t count_;
  float scale_;
};

}  // namespace

bool supports_quantize(const KernelArgs& a) {
  const auto& f = *a.graph.value(a.node.outputs[0]).fix;
  return f.round == graph::RoundMode::kDpu && f.bit_width == 8 && f.is_signed && f.fix_point >= -60 &&
         f.fix_point <= 60;
}

std::unique_ptr<Kernel> make_quantize(const KernelArgs& a) { return std::make_unique<Quantize>(a); }

}  // namespace dpurun::cpu::optimized

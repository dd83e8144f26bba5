// eltwise-fix ADD in integers (add_fix.cpp is the plain form): inputs aligned to
// the larger fix point by shifts, then IntegerRequant to the output fix point.
#include <algorithm>

#include "graph/fix_math.h"
#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::optimized {
namespace {

// The int32 loop of AddFix, also compiled for AVX-512 and AVX2 and picked by the CPU at load
// time: the x86-64 baseline has no packed int32 min/max, and the residual adds of an int8
// ResNet took a third of its time in that emulation.
// Not under a sanitizer: the clones' resolver runs at relocation, before TSan's runtime is up.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__) && \
    !defined(__SANITIZE_ADDRESS__)
#define DPURUN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DPURUN_CLONES
#endif
DPURUN_CLONES void add_requant(const std::int8_t* a, const std::int8_t* b, std::int8_t* out, std::int64_t n, int sa,
                               int sb, int k, std::int32_t half, std::int32_t lo, std::int32_t hi) {
  for (std::int64_t i = 0; i < n; ++i) {
    std::int32_t t = (std::int32_t{a[i]} << sa) + (std::int32_t{b[i]} << sb);
    std::int32_t q = (t + half) >> k;
    out[i] = static_cast<std::int8_t>(std::min(std::max(q, lo), hi));
  }
}

class AddFix : public Kernel {
 public:
  AddFix(const KernelArgs& a, int shift_a, int shift_b, graph::IntegerRequant rq)
      : a_(static_cast<const std::int8_t*>(a.inputs[0])),
        b_(static_cast<const std::int8_t*>(a.inputs[1])),
        out_(static_cast<std::int8_t*>(a.output)),
        count_(element_count(a.output_shape)),
        sa_(shift_a),
        sb_(shift_b),
        rq_(rq),
        int32_(shift_a <= 16 && shift_b <= 16 && rq.shift <= 16 &&
               rq.act != graph::Activation::kLeakyRelu) {}

  void run() override {
    if (!int32_) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count_; ++i)
        out_[i] = static_cast<std::int8_t>(
            rq_((std::int64_t{a_[i]} << sa_) + (std::int64_t{b_[i]} << sb_)));
      return;
    }
    // Shifts ≤ 16 keep every step in int32, branch-free, so the loop vectorizes. Relu after
    // DPU rounding equals relu before it.
    const std::int32_t half = rq_.shift > 0 ? std::int32_t{1} << (rq_.shift - 1) : 0;
    const std::int32_t lo = rq_.act == graph::Activation::kRelu ? 0 : static_cast<std::int32_t>(rq_.lo);
    const std::int32_t hi = static_cast<std::int32_t>(rq_.hi);
    constexpr std::int64_t kBlock = 1 << 14;
    const std::int64_t blocks = (count_ + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
    for (std::int64_t blk = 0; blk < blocks; ++blk) {
      const std::int64_t at = blk * kBlock;
      add_requant(a_ + at, b_ + at, out_ + at, std::min(kBlock, count_ - at), sa_, sb_, rq_.shift, half, lo, hi);
    }
  }

 private:
  const std::int8_t* a_;
  const std::int8_t* b_;
  std::int8_t* out_;
  std::int64_t count_;
  int sa_, sb_;
  graph::IntegerRequant rq_;
  bool int32_;
};

}  // namespace

bool supports_add_fix(const KernelArgs& a) {
  const auto& fa = *a.graph.value(a.node.inputs[0]).fix;
  const auto& fb = *a.graph.value(a.node.inputs[1]).fix;
  const auto& fo = *a.graph.value(a.node.outputs[0]).fix;
  const int fm = std::max(fa.fix_point, fb.fix_point);
  return graph::IntegerRequant::applies(a.node.p<graph::BinaryParams>().act.kind, fo.round, fm - fo.fix_point);
}

std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a) {
  const auto& fa = *a.graph.value(a.node.inputs[0]).fix;
  const auto& fb = *a.graph.value(a.node.inputs[1]).fix;
  const auto& fo = *a.graph.value(a.node.outputs[0]).fix;
  const int fm = std::max(fa.fix_point, fb.fix_point);
  const auto act = a.node.p<graph::BinaryParams>().act.kind;
  auto [lo, hi] = fix_range(fo);
  graph::IntegerRequant rq{fm - fo.fix_point, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), act};
  return std::make_unique<AddFix>(a, fm - fa.fix_point, fm - fb.fix_point, rq);
}

}  // namespace dpurun::cpu::optimized

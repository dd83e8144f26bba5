// DPU fixed-point arithmetic shared by the integer kernels: rounding, saturation, and the
// DPU's average-pooling factors. All intermediate values are exact in double (|x| < 2^53).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "graph/graph.h"

namespace dpurun::graph {

inline double round_fix(double x, RoundMode mode) {
  switch (mode) {
    case graph::RoundMode::kDpu: return std::floor(x + 0.5);
    case graph::RoundMode::kStd: return std::round(x);  // half away from zero
    case graph::RoundMode::kPy3: {                       // half to even
      double f = std::floor(x), d = x - f;
      if (d > 0.5) return f + 1;
      if (d < 0.5) return f;
      return std::fmod(f, 2.0) == 0.0 ? f : f + 1;
    }
  }
  return x;
}

inline std::pair<double, double> fix_range(const graph::FixInfo& f) {
  double lo = f.is_signed ? -std::ldexp(1.0, f.bit_width - 1) : 0.0;
  double hi = f.is_signed ? std::ldexp(1.0, f.bit_width - 1) - 1 : std::ldexp(1.0, f.bit_width) - 1;
  return {lo, hi};
}

// round, then saturate to the format's integer range; NaN becomes 0.
inline double quantize_fix(double x, const graph::FixInfo& f) {
  if (std::isnan(x)) return 0.0;
  auto [lo, hi] = fix_range(f);
  double r = round_fix(x, f.round);
  return r < lo ? lo : (r > hi ? hi : r);
}

// The DPU divides a window sum by kh·kw with a multiply by F / 2^S: fixed factors for the
// common windows, exact for powers of two, otherwise the closest F / 2^S.
struct AvgFactor {
  std::int64_t multiplier;
  int shift;
};
inline AvgFactor dpu_average_factor(int kh, int kw) {
  if (kh == 3 && kw == 3) return {7, 6};
  if (kh == 5 && kw == 5) return {10, 8};
  if (kh == 6 && kw == 6) return {7, 8};
  if (kh == 7 && kw == 7) return {21, 10};
  if (kh == 14 && kw == 14) return {21, 12};
  const double count = double(kh) * kw;
  const double rec = 1.0 / count;
  const int max_shift = static_cast<int>(std::ceil(std::log2(count * 128.0)));
  AvgFactor best{1, 0};
  double best_diff = 1.0;
  for (int s = 0; s <= max_shift; ++s) {
    double f = std::round(std::ldexp(rec, s));
    double diff = std::abs(f / std::ldexp(1.0, s) - rec);
    if (diff < best_diff) {
      best = {static_cast<std::int64_t>(f), s};
      best_diff = diff;
    }
  }
  return best;
}

// Float → int8 as the DPU takes its input: floor(x · scale + ½) in float, saturated to
// [-128, 127], NaN → 0 (scale = 2^fix_point). The one implementation the runners' input
// conversion and the fast Quantize kernel share; quantize_fix (in double) is its oracle. Written
// without libm's floor so that it vectorizes (with -fno-trapping-math: runtime/CMakeLists.txt).
inline void quantize_dpu_input(const float* x, std::size_t count, float scale, std::int8_t* out) {
  for (std::size_t i = 0; i < count; ++i) {
    float v = x[i] * scale + 0.5f;
    v = v == v ? v : 0.5f;
    v = v > 127.f ? 127.f : v < -128.f ? -128.f : v;
    int t = static_cast<int>(v);  // toward zero, then down for negative non-integers
    out[i] = static_cast<std::int8_t>(t - (static_cast<float>(t) > v));
  }
}

// An activation fused into a fix op, applied to a value already in the output scale.
inline double activate_fix(double v, graph::Activation a, int fix_out) {
  switch (a) {
    case graph::Activation::kNone: return v;
    case graph::Activation::kRelu: return v < 0 ? 0 : v;
    case graph::Activation::kRelu6: {
      double six = std::ldexp(6.0, fix_out);
      return v < 0 ? 0 : (v > six ? six : v);
    }
    case graph::Activation::kLeakyRelu: return v < 0 ? v * 26.0 / 256.0 : v;  // the DPU's slope
    case graph::Activation::kHardSigmoid:
    case graph::Activation::kHardSwish: {
      // The DPU's hard sigmoid: relu6(x + 3) · 2731 / 2^14 (2731 / 2^14 ≈ 1/6), on real values.
      double x = std::ldexp(v, -fix_out);
      double hs = std::min(std::max(x + 3.0, 0.0), 6.0) * 2731.0 / 16384.0;
      return std::ldexp(a == graph::Activation::kHardSigmoid ? hs : x * hs, fix_out);
    }
    default: return v;  // others are refused when the graph is lowered to integers
  }
}

// Whether eltwise-fix ADD of a convolution's result (fix point a) and a residual (b) into
// `out` fuses into the convolution (graph::fuse_int8_residuals): 8-bit DPU-rounded operands and
// result, and shifts every kernel takes exactly.
inline bool int8_residual_fits(const graph::FixInfo& a, const graph::FixInfo& b, const graph::FixInfo& out) {
  auto dpu8 = [](const graph::FixInfo& f) {
    return f.bit_width == 8 && f.is_signed && f.round == graph::RoundMode::kDpu;
  };
  const int m = std::max(a.fix_point, b.fix_point);
  return dpu8(a) && dpu8(b) && dpu8(out) && m - a.fix_point <= 16 && m - b.fix_point <= 16 &&
         out.fix_point <= m && m - out.fix_point <= 30;
}

}  // namespace dpurun::graph

namespace dpurun::graph {

// The same requantization in integers, for the fast kernels: t is the exact sum in a scale of
// 2^-shift_in relative to the output (t · 2^-shift = the output value); DPU_ROUND is
// (t + 2^(shift-1)) >> shift with an arithmetic shift. Valid for relu, none and the DPU's
// leaky relu (t · 26 / 256); other activations and round modes take the double path.
struct IntegerRequant {
  int shift = 0;  // ≥ 0
  std::int64_t lo = -128, hi = 127;
  graph::Activation act = graph::Activation::kNone;

  static bool applies(graph::Activation a, graph::RoundMode r, int shift) {
    return r == graph::RoundMode::kDpu && shift >= 0 && shift <= 40 &&
           (a == graph::Activation::kNone || a == graph::Activation::kRelu ||
            a == graph::Activation::kLeakyRelu);
  }

  std::int64_t operator()(std::int64_t t) const {
    std::int64_t q;
    if (t < 0 && act == graph::Activation::kRelu) {
      q = 0;
    } else if (t < 0 && act == graph::Activation::kLeakyRelu) {
      const int s = shift + 8;
      q = (t * 26 + (std::int64_t{1} << (s - 1))) >> s;
    } else {
      q = shift > 0 ? (t + (std::int64_t{1} << (shift - 1))) >> shift : t;
    }
    return q < lo ? lo : (q > hi ? hi : q);
  }
};

}  // namespace dpurun::graph

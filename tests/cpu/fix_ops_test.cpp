// DPU integer ops against an independent naive integer implementation written here: exact
// rational arithmetic on int64 numerators, no doubles. Awkward sizes, rounding ties and
// saturation are hit on purpose (and counted, so a test that misses them fails).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>

#include "graph/fix_math.h"
#include "cpu/plan.h"
#include "graph/graph.h"
#include "graph/passes.h"

namespace dpurun {
namespace {

using namespace graph;

// floor(n / 2^k) for any sign, k ≥ 0.
std::int64_t floor_shift(std::int64_t n, int k) {
  std::int64_t d = std::int64_t{1} << k;
  return n >= 0 ? n / d : -((-n + d - 1) / d);
}

struct Stats {
  int ties = 0, saturated = 0;
};

// value = n · 2^-e in the output scale (e ≥ 0); DPU_ROUND then saturate to int8.
std::int8_t oracle_round(std::int64_t n, int e, Stats& st) {
  std::int64_t q = e == 0 ? n : floor_shift(2 * n + (std::int64_t{1} << e), e + 1);
  if (e > 0 && (n & ((std::int64_t{1} << e) - 1)) == (std::int64_t{1} << (e - 1))) st.ties++;
  if (q > 127 || q < -128) st.saturated++;
  return static_cast<std::int8_t>(std::clamp<std::int64_t>(q, -128, 127));
}

std::vector<std::int8_t> random_int8(std::size_t n, unsigned seed, int lo = -128, int hi = 127) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = static_cast<std::int8_t>(d(rng));
  return v;
}

ValueId int8_constant(Graph& g, const std::string& name, Shape shape,
                      const std::vector<std::int8_t>& q, int fix) {
  std::vector<std::byte> bytes(q.size());
  std::memcpy(bytes.data(), q.data(), q.size());
  ValueId v = g.add_constant(name, DataType::kInt8, std::move(shape), std::move(bytes));
  g.value(v).fix = FixInfo{fix};
  return v;
}

// input (int8 data fed as float integers) → Quantize at fix 0 → op → Dequantize at fix 0.
// Feeding integer-valued floats at fix point 0 makes Quantize exact, so the op sees exactly
// the test's integers; the op's own input fix point is then declared on the quantized value.
struct IntGraph {
  Graph g;
  ValueId x_int;
  ValueId out_int;

  IntGraph(Shape in_shape, int fix_in) {
    ValueId x = g.add_value("x", DataType::kFloat32, in_shape);
    g.inputs = {x};
    x_int = g.add_value("x_int", DataType::kInt8, in_shape);
    g.value(x_int).fix = FixInfo{fix_in};
    Node q;
    q.name = "quantize";
    q.op = OpType::kQuantize;
    q.inputs = {x};
    q.outputs = {x_int};
    g.add_node(q);
  }

  // Adds `op` writing an int8 value of `shape` at `fix_out`, then the dequantized output.
  void finish(Node op, Shape shape, int fix_out, RoundMode round = RoundMode::kDpu) {
    out_int = g.add_value("y_int", DataType::kInt8, shape);
    g.value(out_int).fix = FixInfo{fix_out, 8, true, round};
    op.outputs = {out_int};
    g.add_node(op);
    ValueId y = g.add_value("y", DataType::kFloat32, shape);
    Node d;
    d.name = "dequantize";
    d.op = OpType::kDequantize;
    d.inputs = {out_int};
    d.outputs = {y};
    g.add_node(d);
    g.outputs = {y};
    g.finalize();
  }

  // Runs with the given kernels; returns the int8 results (undoing Dequantize exactly).
  std::vector<std::int8_t> run(const std::vector<std::int8_t>& x, int batch, KernelChoice k) {
    const int fix_in = g.value(g.nodes[0].outputs[0]).fix->fix_point;
    std::vector<float> in(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) in[i] = std::ldexp(float(x[i]), -fix_in);
    const Value& yv = g.value(g.outputs[0]);
    std::vector<float> out(static_cast<std::size_t>(element_count(yv.shape, batch)));
    cpu::Plan(g, batch, k).run(in.data(), out.data());
    int fix_out = 0;
    for (const auto& n : g.nodes)
      if (n.op == OpType::kDequantize) fix_out = g.value(n.inputs[0]).fix->fix_point;
    std::vector<std::int8_t> q(out.size());
    for (std::size_t i = 0; i < out.size(); ++i)
      q[i] = static_cast<std::int8_t>(std::ldexp(double(out[i]), fix_out));
    return q;
  }
};

struct ConvCase {
  std::string name;
  int n, h, w, c, kh, kw, oc, stride, pad, mult;  // mult > 0: depthwise
  int fi, fw, fb, fo;
  Activation act;
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

class ConvFixTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvFixTest, MatchesNaiveIntegerOracleBitForBit) {
  const ConvCase& t = GetParam();
  const bool dw = t.mult > 0;
  const int oc = dw ? t.c * t.mult : t.oc;
  const int oh = (t.h + 2 * t.pad - t.kh) / t.stride + 1, ow = (t.w + 2 * t.pad - t.kw) / t.stride + 1;
  IntGraph ig({-1, t.h, t.w, t.c}, t.fi);
  Shape ws = dw ? Shape{t.kh, t.kw, t.c, t.mult} : Shape{t.kh, t.kw, t.c, t.oc};
  auto w = random_int8(static_cast<std::size_t>(element_count(ws)), 11);
  auto b = random_int8(static_cast<std::size_t>(oc), 12);
  auto x = random_int8(static_cast<std::size_t>(t.n * t.h * t.w * t.c), 13);
  Node conv;
  conv.name = "conv";
  conv.op = dw ? OpType::kDepthwiseConv2D : OpType::kConv2D;
  ConvParams p;
  p.stride_h = p.stride_w = t.stride;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = t.pad;
  p.act.kind = t.act;
  p.has_bias = true;
  conv.params = p;
  conv.inputs = {ig.x_int, int8_constant(ig.g, "w", ws, w, t.fw), int8_constant(ig.g, "b", {oc}, b, t.fb)};
  ig.finish(conv, {-1, oh, ow, oc}, t.fo);

  // Oracle: value · 2^fo = (acc · 2^-(fi+fw) + b · 2^-fb) · 2^fo. With E = max(fi+fw, fb):
  // numerator N = acc · 2^(E−fi−fw) + b · 2^(E−fb), value · 2^fo = N · 2^(fo−E).
  const int E = std::max(t.fi + t.fw, t.fb);
  Stats st;
  std::vector<std::int8_t> want;
  for (int n = 0; n < t.n; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < oc; ++o) {
          std::int64_t acc = 0;
          for (int ky = 0; ky < t.kh; ++ky)
            for (int kx = 0; kx < t.kw; ++kx) {
              int iy = oy * t.stride - t.pad + ky, ix = ox * t.stride - t.pad + kx;
              if (iy < 0 || iy >= t.h || ix < 0 || ix >= t.w) continue;
              auto at = [&](int c) { return x[static_cast<std::size_t>(((n * t.h + iy) * t.w + ix) * t.c + c)]; };
              if (dw) {
                int c = o / t.mult;
                acc += at(c) * w[static_cast<std::size_t>(((ky * t.kw + kx) * t.c + c) * t.mult + o % t.mult)];
              } else {
                for (int c = 0; c < t.c; ++c)
                  acc += at(c) * w[static_cast<std::size_t>(((ky * t.kw + kx) * t.c + c) * t.oc + o)];
              }
            }
          std::int64_t N = acc * (std::int64_t{1} << (E - t.fi - t.fw)) + b[static_cast<std::size_t>(o)] * (std::int64_t{1} << (E - t.fb));
          int e = E - t.fo;  // value·2^fo = N · 2^-e
          if (t.act == Activation::kHardSigmoid || t.act == Activation::kHardSwish) {
            // x = N · 2^-(e+fo); relu6(x + 3) = C · 2^-(e+fo); the DPU's 1/6 is 2731 / 2^14.
            const int s = e + t.fo;
            std::int64_t C = std::clamp<std::int64_t>(N + 3 * (std::int64_t{1} << s), 0, 6 * (std::int64_t{1} << s));
            if (t.act == Activation::kHardSigmoid) {
              want.push_back(oracle_round(C * 2731, e + 14, st));  // hs · 2^fo = C·2731 · 2^-(e+14)
            } else {
              want.push_back(oracle_round(N * C * 2731, 2 * e + t.fo + 14, st));  // x · hs · 2^fo
            }
            continue;
          }
          if (t.act == Activation::kRelu && N < 0) N = 0;
          if (t.act == Activation::kLeakyRelu && N < 0) {
            N *= 26;
            e += 8;
          }
          if (e < 0) {
            N <<= -e;
            e = 0;
          }
          want.push_back(oracle_round(N, e, st));
        }
  auto ref = ig.run(x, t.n, KernelChoice::kReference);
  auto fast = ig.run(x, t.n, KernelChoice::kFast);
  EXPECT_EQ(ref, want) << "reference kernel vs oracle";
  EXPECT_EQ(fast, want) << "fast kernel vs oracle";
  // (hard swish shifts by 2e + fo + 14 bits: ties there are too rare to hit on purpose)
  if (t.fo < E && t.act != Activation::kHardSwish) EXPECT_GT(st.ties, 0) << "no rounding tie was exercised";
  EXPECT_GT(st.saturated, 0) << "no saturation was exercised";
}

INSTANTIATE_TEST_SUITE_P(
    Fix, ConvFixTest,
    ::testing::Values(
        //        name                         n  h   w  c kh kw oc s p m  fi fw fb  fo act
        ConvCase{"conv3x3_pad1_relu", 2, 13, 11, 5, 3, 3, 7, 1, 1, 0, 4, 7, 8, 4, Activation::kRelu},
        ConvCase{"conv5x5_stride2_none", 3, 17, 15, 3, 5, 5, 9, 2, 2, 0, 6, 7, 11, 5, Activation::kNone},
        ConvCase{"conv1x1_leaky", 2, 7, 9, 16, 1, 1, 6, 1, 0, 0, 3, 7, 9, 3, Activation::kLeakyRelu},
        ConvCase{"conv2x2_bias_finer_than_acc", 2, 8, 8, 4, 2, 2, 24, 2, 0, 0, 2, 3, 9, 5, Activation::kRelu},
        ConvCase{"conv3x3_output_finer_left_shift", 1, 6, 5, 2, 3, 3, 3, 1, 1, 0, 0, 1, 0, 3, Activation::kNone},
        ConvCase{"depthwise3x3_mult2_stride2", 2, 13, 13, 5, 3, 3, 0, 2, 1, 2, 5, 6, 8, 3, Activation::kRelu},
        ConvCase{"depthwise5x5_leaky", 2, 11, 9, 3, 5, 5, 0, 1, 2, 1, 4, 7, 6, 4, Activation::kLeakyRelu},
        ConvCase{"conv3x3_hard_sigmoid", 2, 9, 7, 4, 3, 3, 6, 1, 1, 0, 2, 4, 5, 7, Activation::kHardSigmoid},
        ConvCase{"conv1x1_hard_swish", 2, 8, 8, 8, 1, 1, 5, 1, 0, 0, 3, 5, 7, 4, Activation::kHardSwish}));

TEST(FixMath, RoundModesOnTies) {
  const double xs[] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51};
  const double dpu[] = {-2, -1, 0, 1, 2, 3, 0, -1};
  const double std_[] = {-3, -2, -1, 1, 2, 3, 0, -1};
  const double py3[] = {-2, -2, -0, 0, 2, 2, 0, -1};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(graph::round_fix(xs[i], RoundMode::kDpu), dpu[i]) << xs[i];
    EXPECT_EQ(graph::round_fix(xs[i], RoundMode::kStd), std_[i]) << xs[i];
    EXPECT_EQ(graph::round_fix(xs[i], RoundMode::kPy3), py3[i]) << xs[i];
  }
  FixInfo f{0};
  EXPECT_EQ(graph::quantize_fix(300.0, f), 127);
  EXPECT_EQ(graph::quantize_fix(-128.4, f), -128);
  EXPECT_EQ(graph::quantize_fix(-128.6, f), -128);
  FixInfo u{0, 8, false};
  EXPECT_EQ(graph::quantize_fix(-3.0, u), 0);
  EXPECT_EQ(graph::quantize_fix(300.0, u), 255);
}

TEST(FixMath, DpuAverageFactors) {
  auto f = [](int k) {
    auto a = graph::dpu_average_factor(k, k);
    return std::make_pair(a.multiplier, a.shift);
  };
  EXPECT_EQ(f(3), std::make_pair(std::int64_t{7}, 6));
  EXPECT_EQ(f(5), std::make_pair(std::int64_t{10}, 8));
  EXPECT_EQ(f(6), std::make_pair(std::int64_t{7}, 8));
  EXPECT_EQ(f(7), std::make_pair(std::int64_t{21}, 10));
  EXPECT_EQ(f(14), std::make_pair(std::int64_t{21}, 12));
  for (int k : {1, 2, 4, 8, 16}) {  // powers of two: exact
    auto a = graph::dpu_average_factor(k, k);
    EXPECT_EQ(double(a.multiplier) / std::ldexp(1.0, a.shift), 1.0 / (k * k)) << k;
  }
  auto odd = graph::dpu_average_factor(3, 5);  // the closest F / 2^S to 1/15
  EXPECT_LT(std::abs(double(odd.multiplier) / std::ldexp(1.0, odd.shift) - 1.0 / 15), 1.0 / 15 / 64);
}

TEST(PoolFix, AverageUsesDpuFactorAndPaddingCountsAsZero) {
  const int h = 7, w = 6, c = 3, fi = 3, fo = 6;
  IntGraph ig({-1, h, w, c}, fi);
  Node pool;
  pool.name = "pool";
  pool.op = OpType::kPool;
  PoolParams p;
  p.kind = PoolKind::kAverage;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  pool.params = p;
  pool.inputs = {ig.x_int};
  const int oh = (h + 2 - 3) / 2 + 1, ow = (w + 2 - 3) / 2 + 1;
  ig.finish(pool, {-1, oh, ow, c}, fo);
  auto x = random_int8(2 * h * w * c, 21);
  Stats st;
  std::vector<std::int8_t> want;
  for (int n = 0; n < 2; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int ch = 0; ch < c; ++ch) {
          std::int64_t sum = 0;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) sum += x[static_cast<std::size_t>(((n * h + iy) * w + ix) * c + ch)];
            }
          // value · 2^fo = sum · 7/64 · 2^(fo − fi) = sum · 7 · 2^-(6 + fi − fo)
          want.push_back(oracle_round(sum * 7, 6 + fi - fo, st));
        }
  EXPECT_EQ(ig.run(x, 2, KernelChoice::kReference), want);
  EXPECT_EQ(ig.run(x, 2, KernelChoice::kFast), want);
  EXPECT_GT(st.ties, 0);
}

TEST(PoolFix, MaxKeepsIntegersAndIgnoresPadding) {
  IntGraph ig({-1, 5, 5, 2}, 4);
  Node pool;
  pool.name = "pool";
  pool.op = OpType::kPool;
  PoolParams p;
  p.kind = PoolKind::kMax;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  p.pad_bottom = p.pad_right = 1;
  pool.params = p;
  pool.inputs = {ig.x_int};
  ig.finish(pool, {-1, 3, 3, 2}, 4);
  auto x = random_int8(50, 22, -128, -1);  // all negative: padding must not win with 0
  auto got = ig.run(x, 1, KernelChoice::kReference);
  EXPECT_EQ(ig.run(x, 1, KernelChoice::kFast), got);
  for (int oy = 0; oy < 3; ++oy)
    for (int ox = 0; ox < 3; ++ox)
      for (int ch = 0; ch < 2; ++ch) {
        int m = -129;
        for (int ky = 0; ky < 2; ++ky)
          for (int kx = 0; kx < 2; ++kx) {
            int iy = oy * 2 + ky, ix = ox * 2 + kx;
            if (iy < 5 && ix < 5) m = std::max(m, int(x[static_cast<std::size_t>((iy * 5 + ix) * 2 + ch)]));
          }
        EXPECT_EQ(got[static_cast<std::size_t>((oy * 3 + ox) * 2 + ch)], m);
      }
}

// An activation alone on int8, for all 256 inputs: the fast kernel's table against the DPU's
// arithmetic written out (relu6(x + 3) · 2731 / 2^14 for the hard sigmoid; the leaky slope 26/256).
TEST(UnaryFix, EveryInt8InputOfEveryActivationAsTheDpuComputesIt) {
  for (Activation act : {Activation::kRelu, Activation::kRelu6, Activation::kLeakyRelu, Activation::kHardSigmoid,
                         Activation::kHardSwish}) {
    for (int fo : {3, 5, 7}) {
      IntGraph ig({-1, 256}, 5);
      Node u;
      u.name = "act";
      u.op = OpType::kUnary;
      UnaryParams p;
      p.act.kind = act;
      p.act.alpha = 26.f / 256.f;
      u.params = p;
      u.inputs = {ig.x_int};
      ig.finish(u, {-1, 256}, fo);
      std::vector<std::int8_t> x(256);
      for (int v = 0; v < 256; ++v) x[static_cast<std::size_t>(v)] = static_cast<std::int8_t>(v - 128);
      auto fast = ig.run(x, 1, KernelChoice::kFast);
      EXPECT_EQ(fast, ig.run(x, 1, KernelChoice::kReference)) << to_string(act) << " fo " << fo;
      for (int v = -128; v < 128; ++v) {
        const double real = v / 32.0;  // the input's fix point is 5
        double y = real;
        switch (act) {
          case Activation::kRelu: y = std::max(real, 0.0); break;
          case Activation::kRelu6: y = std::clamp(real, 0.0, 6.0); break;
          case Activation::kLeakyRelu: y = real < 0 ? real * 26 / 256 : real; break;
          case Activation::kHardSigmoid: y = std::clamp(real + 3, 0.0, 6.0) * 2731 / 16384; break;
          case Activation::kHardSwish: y = real * std::clamp(real + 3, 0.0, 6.0) * 2731 / 16384; break;
          default: break;
        }
        const double want = std::clamp(std::floor(y * std::ldexp(1.0, fo) + 0.5), -128.0, 127.0);
        EXPECT_EQ(fast[static_cast<std::size_t>(v + 128)], want) << to_string(act) << " fo " << fo << " input " << v;
      }
    }
  }
}

class AddFixTest : public ::testing::TestWithParam<std::tuple<int, int, int, Activation>> {};

TEST_P(AddFixTest, AlignsToTheLargerFixPointThenRescales) {
  auto [fa, fb, fo, act] = GetParam();
  const Shape s{-1, 5, 7, 3};
  IntGraph ig(s, fa);
  // The second operand: its own quantize from the same input would tie it to x, so it is a
  // constant-free second input built by a unary rescale of x to fix fb.
  ValueId y_in = ig.g.add_value("x_b", DataType::kInt8, s);
  ig.g.value(y_in).fix = FixInfo{fb};
  Node rescale;
  rescale.name = "rescale";
  rescale.op = OpType::kUnary;
  rescale.params = UnaryParams{};
  rescale.inputs = {ig.x_int};
  rescale.outputs = {y_in};
  ig.g.add_node(rescale);
  Node add;
  add.name = "add";
  add.op = OpType::kBinary;
  BinaryParams bp;
  bp.act.kind = act;
  add.params = bp;
  add.inputs = {ig.x_int, y_in};
  ig.finish(add, s, fo);
  auto x = random_int8(2 * 5 * 7 * 3, 31);

  Stats st;
  std::vector<std::int8_t> want;
  const int fm = std::max(fa, fb);
  for (auto v : x) {
    // b = x rescaled from fa to fb with DPU rounding and saturation.
    std::int64_t bq;
    if (fb >= fa) bq = std::clamp<std::int64_t>(std::int64_t{v} << (fb - fa), -128, 127);
    else bq = std::clamp<std::int64_t>(floor_shift(2 * v + (std::int64_t{1} << (fa - fb)), fa - fb + 1), -128, 127);
    std::int64_t N = (std::int64_t{v} << (fm - fa)) + (bq << (fm - fb));
    int e = fm - fo;
    if (act == Activation::kRelu && N < 0) N = 0;
    if (e < 0) {
      N <<= -e;
      e = 0;
    }
    want.push_back(oracle_round(N, e, st));
  }
  EXPECT_EQ(ig.run(x, 2, KernelChoice::kReference), want);
  EXPECT_EQ(ig.run(x, 2, KernelChoice::kFast), want);
  EXPECT_GT(st.saturated + st.ties, 0);
}

INSTANTIATE_TEST_SUITE_P(Fix, AddFixTest,
                         ::testing::Values(std::make_tuple(4, 2, 3, Activation::kRelu),
                                           std::make_tuple(2, 5, 1, Activation::kNone),
                                           std::make_tuple(3, 3, 4, Activation::kRelu),
                                           std::make_tuple(6, 1, 2, Activation::kNone)));

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// Quantize (the model's float input): DPU_ROUND on exact ties, saturation, and NaN → 0, the
// fast float kernel against the plain double one and the formula.
TEST(QuantizeFix, TiesSaturationAndNan) {
  using namespace graph;
  const int fp = 4, n = 4001;
  Graph g;
  ValueId x = g.add_value("x", DataType::kFloat32, {-1, n});
  ValueId q = g.add_value("q", DataType::kInt8, {-1, n});
  g.value(q).fix = FixInfo{fp};
  ValueId y = g.add_value("y", DataType::kFloat32, {-1, n});
  Node qn;
  qn.name = "quantize";
  qn.op = OpType::kQuantize;
  qn.inputs = {x};
  qn.outputs = {q};
  g.add_node(qn);
  Node dn;
  dn.name = "dequantize";
  dn.op = OpType::kDequantize;
  dn.inputs = {q};
  dn.outputs = {y};
  g.add_node(dn);
  g.inputs = {x};
  g.outputs = {y};
  g.finalize();
  std::vector<float> in(n);
  for (int i = 0; i < n - 1; ++i) in[static_cast<std::size_t>(i)] = float(i - 2000) / 32.f;  // every other value a tie
  in[n - 1] = std::nanf("");
  std::vector<float> fast(n), ref(n);
  cpu::Plan(g, 1, KernelChoice::kFast).run(in.data(), fast.data());
  cpu::Plan(g, 1, KernelChoice::kReference).run(in.data(), ref.data());
  for (int i = 0; i < n - 1; ++i) {
    double want = std::clamp(std::floor(double(in[static_cast<std::size_t>(i)]) * 16 + 0.5), -128.0, 127.0) / 16;
    ASSERT_EQ(fast[static_cast<std::size_t>(i)], want) << in[static_cast<std::size_t>(i)];
    ASSERT_EQ(ref[static_cast<std::size_t>(i)], want) << in[static_cast<std::size_t>(i)];
  }
  EXPECT_EQ(fast[n - 1], 0.f) << "NaN input";
  EXPECT_EQ(ref[n - 1], 0.f) << "NaN input";
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

using namespace graph;

// graph::fuse_int8_residuals: conv-fix then eltwise-fix ADD as one node gives the integers of
// the two nodes, with both kernel sets; the residual is either the block's input (which the
// convolution also reads: no sharing) or a value only the add reads (the output takes its
// buffer). Fix points cover aligning either operand, rounding and saturating both steps.
struct ResidualCase {
  int fi, fw, fb, fc, fr, fo;
  Activation conv_act, add_act;
  bool residual_is_input;
};

class FusedResidualTest : public ::testing::TestWithParam<ResidualCase> {};

TEST_P(FusedResidualTest, EqualsTheConvolutionThenTheAdd) {
  const ResidualCase t = GetParam();
  const int h = 6, w = 5, c = 8;
  auto build = [&](bool fuse) {
    auto ig = std::make_unique<IntGraph>(Shape{-1, h, w, c}, t.fi);
    Graph& g = ig->g;
    ValueId r = ig->x_int;
    if (!t.residual_is_input) {  // a second value from the input, read only by the add
      r = g.add_value("r", DataType::kInt8, {-1, h, w, c});
      g.value(r).fix = FixInfo{t.fr};
      Node u;
      u.name = "rescale";
      u.op = OpType::kUnary;
      u.params = UnaryParams{};
      u.inputs = {ig->x_int};
      u.outputs = {r};
      g.add_node(u);
    }
    ValueId y = g.add_value("conv_out", DataType::kInt8, {-1, h, w, c});
    g.value(y).fix = FixInfo{t.fc};
    Node conv;
    conv.name = "conv";
    conv.op = OpType::kConv2D;
    ConvParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    p.act.kind = t.conv_act;
    p.has_bias = true;
    conv.params = p;
    conv.inputs = {ig->x_int, int8_constant(g, "w", {3, 3, c, c}, random_int8(9 * c * c, 41), t.fw),
                   int8_constant(g, "b", {c}, random_int8(c, 42), t.fb)};
    conv.outputs = {y};
    g.add_node(conv);
    Node add;
    add.name = "add";
    add.op = OpType::kBinary;
    BinaryParams bp;
    bp.act.kind = t.add_act;
    add.params = bp;
    add.inputs = {y, r};
    ig->finish(add, {-1, h, w, c}, t.fo);
    if (fuse) fuse_int8_residuals(g);
    return ig;
  };
  auto plain = build(false), fused = build(true);
  ASSERT_EQ(fused->g.nodes.size() + 1, plain->g.nodes.size()) << "the add was not fused";
  auto x = random_int8(3 * h * w * c, 43);
  const auto want = plain->run(x, 3, KernelChoice::kReference);
  EXPECT_EQ(plain->run(x, 3, KernelChoice::kFast), want) << "unfused, fast kernels";
  EXPECT_EQ(fused->run(x, 3, KernelChoice::kReference), want) << "fused, reference kernel";
  EXPECT_EQ(fused->run(x, 3, KernelChoice::kFast), want) << "fused, fast kernel";
  int saturated = 0, zero = 0;
  for (auto v : want) saturated += v == 127 || v == -128, zero += v == 0;
  EXPECT_GT(saturated + zero, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Fix, FusedResidualTest,
    ::testing::Values(ResidualCase{5, 6, 7, 4, 5, 3, Activation::kNone, Activation::kRelu, true},
                      ResidualCase{5, 6, 7, 4, 6, 4, Activation::kNone, Activation::kRelu, false},
                      ResidualCase{4, 7, 9, 5, 2, 2, Activation::kRelu, Activation::kNone, false},
                      ResidualCase{6, 5, 8, 2, 6, 2, Activation::kNone, Activation::kNone, true},
                      ResidualCase{3, 6, 12, 3, 3, 3, Activation::kNone, Activation::kRelu, false}));

}  // namespace
}  // namespace dpurun

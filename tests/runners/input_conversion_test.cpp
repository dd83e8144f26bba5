// quantize_input with each InputConversion, against hand-computed values at the edges (ties,
// int8's limits, NaN, infinities) and against the language constructs the modes stand for.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "dpurun/error.h"
#include "dpurun/runner.h"

namespace dpurun {
namespace {

std::vector<int> convert(const std::vector<float>& x, const std::string& mode, int fix_point = 0) {
  std::vector<std::int8_t> q(x.size());
  quantize_input(x.data(), x.size(), fix_point, q.data(), parse_input_conversion(mode));
  return {q.begin(), q.end()};
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
// The edge cases, then ties between integers, then values past int8 and int32.
const std::vector<float> kEdges{0.5f, -0.5f, 127.5f, -127.5f, 128.5f,  -128.5f, kNaN,
                                1.5f, 2.5f,  -2.5f,  200.7f,  -129.9f, 3e9f,    -kInf};

TEST(InputConversion, HandComputedEdges) {
  // Worked by hand, in kEdges' order: round = floor(v + 0.5); truncate toward zero; half-even =
  // NumPy's round; half-away = C's round; then clamp to [-128, 127], or keep the low 8 bits
  // (-wrap: 128 → -128, 200 → -56, -129 → 127; NaN and 3e9, past int32, → 0 as x86 gives).
  EXPECT_EQ(convert(kEdges, "round"),
            (std::vector<int>{1, 0, 127, -127, 127, -128, 0, 2, 3, -2, 127, -128, 127, -128}));
  EXPECT_EQ(convert(kEdges, "truncate"),
            (std::vector<int>{0, 0, 127, -127, 127, -128, 0, 1, 2, -2, 127, -128, 127, -128}));
  EXPECT_EQ(convert(kEdges, "truncate-wrap"),
            (std::vector<int>{0, 0, 127, -127, -128, -128, 0, 1, 2, -2, -56, 127, 0, 0}));
  EXPECT_EQ(convert(kEdges, "half-even"),
            (std::vector<int>{0, 0, 127, -128, 127, -128, 0, 2, 2, -2, 127, -128, 127, -128}));
  EXPECT_EQ(convert(kEdges, "half-even-wrap"),
            (std::vector<int>{0, 0, -128, -128, -128, -128, 0, 2, 2, -2, -55, 126, 0, 0}));
  EXPECT_EQ(convert(kEdges, "half-away"),
            (std::vector<int>{1, -1, 127, -128, 127, -128, 0, 2, 3, -3, 127, -128, 127, -128}));
  EXPECT_EQ(convert(kEdges, "round-wrap"),
            (std::vector<int>{1, 0, -128, -127, -127, -128, 0, 2, 3, -2, -55, 126, 0, 0}));
}

TEST(InputConversion, DefaultIsTheDpuRoundingAsBefore) {
  auto x = std::vector<float>{0.49f, 0.5f, -0.5f, -0.51f, 15.9375f, -16.0625f, 100.f, -100.f, kNaN};
  std::vector<std::int8_t> plain(x.size()), with(x.size());
  quantize_input(x.data(), x.size(), 3, plain.data());
  quantize_input(x.data(), x.size(), 3, with.data(), InputConversion{});
  EXPECT_EQ(plain, with);
  EXPECT_EQ(convert(x, "round", 3), (std::vector<int>{4, 4, -4, -4, 127, -128, 127, -128, 0}));
}

// Each mode against the construct it stands for, over values on a quarter-step grid (ties and
// overflows included) and random values, at fix points 6 (v = x · 64) and -2 (v = x / 4).
TEST(InputConversion, AgreesWithTheLanguageConstructs) {
  std::vector<float> x;
  for (int k = -4 * 600; k <= 4 * 600; ++k)
    x.push_back(float(k) / 4.f / 64.f);  // v = k / 4 at fix point 6
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-6.f, 6.f);
  for (int k = 0; k < 20000; ++k) x.push_back(u(rng));
  for (int fp : {6, -2}) {
    const float s = std::ldexp(1.f, fp);
    auto check = [&](const std::string& mode, auto expect) {
      auto got = convert(x, mode, fp);
      for (std::size_t i = 0; i < x.size(); ++i)
        ASSERT_EQ(got[i], expect(x[i] * s))
            << mode << " at v = " << x[i] * s << " (fix point " << fp << ")";
    };
    auto sat = [](double r) { return int(std::clamp(r, -128.0, 127.0)); };
    // C++20: a conversion to a narrower signed type is modulo 2^8, as (char)(int)v in C apps.
    auto wrap = [](double r) { return int(static_cast<std::int8_t>(static_cast<int>(r))); };
    check("truncate", [&](float v) { return sat(static_cast<int>(v)); });  // the C++ cast, clamped
    check("truncate-wrap", [&](float v) { return wrap(v); });              // (int8_t)(int)v
    check("half-even", [&](float v) { return sat(std::nearbyint(double(v))); });  // FE_TONEAREST
    check("half-even-wrap", [&](float v) { return wrap(std::nearbyint(double(v))); });
    check("half-away", [&](float v) { return sat(std::round(double(v))); });
    check("round", [&](float v) { return sat(std::floor(double(v) + 0.5)); });
  }
}

TEST(InputConversion, NamesParseAndPrintBack) {
  for (const char* name : {"round", "truncate", "half-even", "half-away", "round-wrap",
                           "truncate-wrap", "half-even-wrap", "half-away-wrap"})
    EXPECT_EQ(to_string(parse_input_conversion(name)), name);
  EXPECT_EQ(parse_input_conversion("round"), InputConversion{});
  for (const char* bad :
       {"", "-wrap", "wrap", "floor", "Round", "truncate-saturate", "truncate-wrap-wrap"}) {
    try {
      parse_input_conversion(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("truncate-wrap"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dpurun

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dpurun/eval.h"

namespace dpurun {
namespace {

TEST(Summarize, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // any order
  std::shuffle(v.begin(), v.end(), std::mt19937(7));
  LatencyStats s = summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p90, 90);
  EXPECT_DOUBLE_EQ(s.p95, 95);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.max, 100);
}

TEST(Summarize, SmallAndEmpty) {
  EXPECT_EQ(summarize({}).count, 0u);
  LatencyStats one = summarize({3.5});
  EXPECT_DOUBLE_EQ(one.p50, 3.5);
  EXPECT_DOUBLE_EQ(one.p99, 3.5);
  LatencyStats three = summarize({1, 2, 10});
  EXPECT_DOUBLE_EQ(three.p50, 2);
  EXPECT_DOUBLE_EQ(three.p90, 10);
}

}  // namespace
}  // namespace dpurun

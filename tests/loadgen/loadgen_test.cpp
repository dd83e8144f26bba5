// The load generator's scenarios, stopping rules, arrivals and percentiles, driven by a simulated
// device in simulated time: every expected number follows from the device's latencies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dpurun/error.h"
#include "dpurun/loadgen.h"

namespace dpurun {
namespace {

ScenarioSettings settings(Scenario sc, std::size_t min_count, double min_duration_s, double warmup_s = 0) {
  ScenarioSettings s;
  s.scenario = sc;
  s.min_count = min_count;
  s.min_duration_s = min_duration_s;
  s.warmup_s = warmup_s;
  return s;
}

TEST(Percentile, NearestRank) {
  std::vector<double> v(100);
  std::iota(v.begin(), v.end(), 1.0);  // 1 … 100
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 99.5), 100);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile(v, 0.1), 1);
  EXPECT_EQ(percentile({7.0}, 99), 7);
  EXPECT_EQ(percentile({1.0, 2.0, 3.0}, 50), 2);  // rank ceil(1.5) = 2
  EXPECT_EQ(percentile({}, 50), 0);
}

// Two runners of 4 images, 10 ms a job: 800 queries/s with every batch full.
TEST(Offline, ThroughputIsTheDevicesAndTheCountRuleStops) {
  auto run = simulate(settings(Scenario::kOffline, 1000, 1.0), {2, 4, 10, 0});
  const auto& r = run.result;
  // After 1 s only 800 were issued: the count rule keeps issuing to 1000, then both hold.
  EXPECT_EQ(r.issued, 1000u);
  EXPECT_EQ(r.measured, 1000u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_NEAR(r.measured_seconds, 1.25, 1e-9);  // 125 rounds of 8 images, 10 ms each
  EXPECT_NEAR(r.queries_per_second, 800, 1e-6);
  for (auto n : run.batch_sizes) EXPECT_EQ(n, 4u);
  EXPECT_EQ(run.jobs_per_runner[0], run.jobs_per_runner[1]);
}

TEST(Offline, TheDurationRuleKeepsItGoing) {
  auto run = simulate(settings(Scenario::kOffline, 10, 2.0), {1, 8, 4, 0});  // 2,000 queries/s
  EXPECT_GE(run.result.measured_seconds, 2.0);
  EXPECT_LE(run.result.measured_seconds, 2.0 + 0.004 + 1e-9);  // stops within one job of 2 s
  EXPECT_NEAR(run.result.queries_per_second, 2000, 1e-6);
}

TEST(Offline, WarmUpQueriesRunButAreNotMeasured) {
  auto run = simulate(settings(Scenario::kOffline, 100, 0.5, 0.3), {1, 1, 1, 0});  // 1 ms each
  const auto& r = run.result;
  EXPECT_EQ(r.completed, r.issued);
  EXPECT_EQ(r.issued - r.measured, 300u);  // the first 0.3 s: 300 queries of 1 ms
  EXPECT_NEAR(r.measured_seconds, 0.5, 1e-9);
  EXPECT_NEAR(run.end_s, 0.8, 1e-9);
}

TEST(Offline, MaxCountCapsTheRun) {
  auto s = settings(Scenario::kOffline, 10, 100.0);
  s.max_count = 64;
  auto run = simulate(s, {2, 4, 1, 0});
  EXPECT_EQ(run.result.issued, 64u);
  EXPECT_LT(run.end_s, 100.0);
}

// One query at a time whatever the runners: every latency is the device's batch-1 latency.
TEST(SingleStream, OneQueryAtATimeAndItsLatency) {
  auto run = simulate(settings(Scenario::kSingleStream, 200, 0.1), {3, 8, 3, 0.5});
  const auto& r = run.result;
  EXPECT_EQ(r.measured, 200u);  // 200 × 3.5 ms = 0.7 s > 0.1 s: the count rule decides
  for (auto n : run.batch_sizes) EXPECT_EQ(n, 1u);
  for (double l : r.latency_ms) EXPECT_NEAR(l, 3.5, 1e-9);
  EXPECT_NEAR(r.queries_per_second, 1000 / 3.5, 1e-6);
}

// Arrivals of a Poisson process: exponential gaps of mean 1/λ (coefficient of variation 1,
// median ln 2 / λ), the same for the same seed. 20,000 gaps put the mean within ±2.1 % and the
// median fraction within ±1 % at three standard deviations; the bounds used are those.
TEST(Server, ArrivalsArePoissonAndRepeatable) {
  auto arrivals = [](std::uint64_t seed) {
    auto s = settings(Scenario::kServer, 20000, 0);
    s.target_qps = 250;
    s.latency_bound_ms = 10;
    s.seed = seed;
    LoadGen lg(s, 0.0);
    std::size_t first = 0;
    std::vector<double> t;
    while (std::size_t n = lg.take(1e9, 1000, first))
      for (std::size_t q = first; q < first + n; ++q) t.push_back(lg.arrival(q));
    return t;
  };
  auto t = arrivals(7);
  ASSERT_EQ(t.size(), 20000u);
  std::vector<double> gaps(t.size());
  std::adjacent_difference(t.begin(), t.end(), gaps.begin());
  ASSERT_TRUE(std::all_of(gaps.begin(), gaps.end(), [](double g) { return g >= 0; }));
  double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / double(gaps.size());
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  double cv = std::sqrt(var / double(gaps.size())) / mean;
  EXPECT_NEAR(mean, 1.0 / 250, 0.021 / 250);
  EXPECT_NEAR(cv, 1.0, 0.05);
  double below_median = double(std::count_if(gaps.begin(), gaps.end(), [](double g) { return g < std::log(2.0) / 250; })) /
                        double(gaps.size());
  EXPECT_NEAR(below_median, 0.5, 0.011);
  EXPECT_EQ(arrivals(7), t);
  EXPECT_NE(arrivals(8), t);
}

// One runner, 1 ms a query, λ = 500/s: an M/D/1 queue at load 0.5, whose mean latency is
// D + ρD / (2(1 − ρ)) = 1.5 ms. 40,000 queries bring the simulated mean within 3 % of it.
TEST(Server, QueueingMatchesTheMD1Queue) {
  auto s = settings(Scenario::kServer, 40000, 0);
  s.target_qps = 500;
  s.latency_bound_ms = 10;
  auto run = simulate(s, {1, 1, 1, 0});
  const auto& r = run.result;
  ASSERT_EQ(r.measured, 40000u);
  double mean = std::accumulate(r.latency_ms.begin(), r.latency_ms.end(), 0.0) / double(r.measured);
  EXPECT_NEAR(mean, 1.5, 0.045);
  EXPECT_GE(*std::min_element(r.latency_ms.begin(), r.latency_ms.end()), 1.0 - 1e-9);
  EXPECT_NEAR(r.offered_qps, 500, 500 * 0.02);
  EXPECT_TRUE(r.latency_bound_held);
}

TEST(Server, AnOverloadedDeviceMissesTheBound) {
  auto s = settings(Scenario::kServer, 2000, 0);
  s.target_qps = 2000;  // the device does 1,000 a second
  s.latency_bound_ms = 10;
  auto run = simulate(s, {1, 1, 1, 0});
  EXPECT_FALSE(run.result.latency_bound_held);
  EXPECT_GT(run.result.latency_at_percentile_ms, 10);
  EXPECT_LT(run.result.queries_per_second, 1000 * 1.001);
}

// A batching device catches up under load: a batch holds what has arrived, up to its size.
TEST(Server, BatchesHoldWhatHasArrived) {
  auto s = settings(Scenario::kServer, 5000, 0);
  s.target_qps = 3000;
  s.latency_bound_ms = 20;
  auto run = simulate(s, {1, 8, 2, 0.1});  // 8 images in 2.8 ms
  EXPECT_TRUE(std::any_of(run.batch_sizes.begin(), run.batch_sizes.end(), [](auto n) { return n > 1; }));
  EXPECT_TRUE(std::all_of(run.batch_sizes.begin(), run.batch_sizes.end(), [](auto n) { return n >= 1 && n <= 8; }));
  EXPECT_EQ(std::accumulate(run.batch_sizes.begin(), run.batch_sizes.end(), std::size_t{0}), run.result.issued);
}

TEST(Server, AFailedQueryBreaksTheBound) {
  auto s = settings(Scenario::kServer, 3, 0);
  s.target_qps = 100;
  s.latency_bound_ms = 1000;
  LoadGen lg(s, 0.0);
  std::size_t first = 0;
  ASSERT_EQ(lg.take(1e6, 10, first), 3u);
  lg.complete(0, lg.arrival(0) + 0.001, true);
  lg.complete(1, lg.arrival(1) + 0.001, false);
  lg.complete(2, lg.arrival(2) + 0.001, true);
  EXPECT_TRUE(lg.done());
  auto r = lg.result();
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.measured, 2u);
  EXPECT_FALSE(r.latency_bound_held);
  EXPECT_THROW(lg.complete(2, 1.0, true), Error);
}

TEST(ScenarioSettings, WhatCannotRunIsRefused) {
  auto s = settings(Scenario::kServer, 10, 1);
  EXPECT_THROW(validate(s), Error);  // no target rate
  s.target_qps = 10;
  EXPECT_THROW(validate(s), Error);  // no latency bound
  s.latency_bound_ms = 5;
  EXPECT_NO_THROW(validate(s));
  EXPECT_THROW(validate(settings(Scenario::kOffline, 0, 0)), Error);
  EXPECT_THROW(parse_scenario("online"), Error);
  EXPECT_EQ(parse_scenario("single-stream"), Scenario::kSingleStream);
}

}  // namespace
}  // namespace dpurun

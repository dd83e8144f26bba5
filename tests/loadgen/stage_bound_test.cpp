// Which stage bounds a bench point: capacities from stage times and threads, and the report's
// verdict — runners, the host (decode or preprocess), the harness itself, or the scenario.
#include <gtest/gtest.h>

#include "dpurun/bench.h"

namespace dpurun {
namespace {

BenchPoint point(double measured, int runners, int batch, double runner_ms, int host_threads,
                 double decode_ms, double preprocess_ms) {
  BenchPoint p;
  p.threads = runners;
  p.batch = batch;
  p.host_threads = host_threads;
  p.scenario.queries_per_second = measured;
  p.runner_ms.mean = runner_ms;
  p.decode_ms.mean = decode_ms;
  p.preprocess_ms.mean = preprocess_ms;
  return p;
}

TEST(StageBound, RunnersHostHarnessAndScenario) {
  // 2 runners × 32 images per 16 ms job: 4,000 images/s; 2 host threads at 0.05 ms: 40,000.
  StageBound b = stage_bound(point(3900, 2, 32, 16, 2, 0.04, 0.01), Scenario::kOffline);
  EXPECT_EQ(b.stage, "runner");
  EXPECT_DOUBLE_EQ(b.runner, 4000);
  EXPECT_DOUBLE_EQ(b.host, 40000);
  EXPECT_DOUBLE_EQ(b.decode, 50000);
  EXPECT_DOUBLE_EQ(b.preprocess, 200000);
  EXPECT_NE(b.summary.find("10.0× more"), std::string::npos) << b.summary;

  // A fast DPU (4 runners × 10 images per 0.5 ms: 80,000/s) behind 2 slow host threads.
  b = stage_bound(point(35000, 4, 10, 0.5, 2, 0.04, 0.01), Scenario::kOffline);
  EXPECT_EQ(b.stage, "decode");
  EXPECT_NE(b.summary.find("host-bound (decode)"), std::string::npos) << b.summary;
  EXPECT_NE(b.summary.find("2.0× more"), std::string::npos) << b.summary;
  b = stage_bound(point(35000, 4, 10, 0.5, 2, 0.01, 0.04), Scenario::kOffline);
  EXPECT_EQ(b.stage, "preprocess");

  // Both stages could do 4,000/s, the run did 2,000: the pool's own overhead bounds it.
  b = stage_bound(point(2000, 2, 32, 16, 2, 0.4, 0.1), Scenario::kOffline);
  EXPECT_EQ(b.stage, "harness");
  EXPECT_NE(b.summary.find("50% of the slowest stage"), std::string::npos) << b.summary;

  // An input cache of tensors: no host stage measured; the runners bound.
  b = stage_bound(point(3900, 2, 32, 16, 2, 0, 0), Scenario::kOffline);
  EXPECT_EQ(b.stage, "runner");
  EXPECT_EQ(b.host, 0);

  // One query at a time: the scenario, not a stage, sets the rate.
  b = stage_bound(point(300, 1, 1, 1, 2, 0.04, 0.01), Scenario::kSingleStream);
  EXPECT_EQ(b.stage, "scenario");
  EXPECT_NE(b.summary.find("single"), std::string::npos) << b.summary;
}

}  // namespace
}  // namespace dpurun

// The load generator feeding the runner pool (test backend, real threads): what reaches the
// runners and when the run ends. Counts only; no assertion on wall-clock time.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "dpurun/runner.h"
#include "dpurun/test_backend.h"
#include "loadgen/loadgen_feed.h"

namespace dpurun {
namespace {

struct FedPool {
  std::vector<std::unique_ptr<Runner>> owned;
  std::vector<Runner*> runners;
  std::atomic<int> in_flight{0}, max_in_flight{0};
  std::mutex mutex;
  std::multiset<std::size_t> delivered;

  FedPool(int n, TestRunnerOptions o) {
    for (int i = 0; i < n; ++i) owned.push_back(make_test_runner(o));
    for (auto& r : owned) runners.push_back(r.get());
  }
  PoolStats go(LoadGenFeed& feed, PoolOptions po = {}) {
    po.preprocess_threads = 2;
    po.on_failure = [&](const ImageFailure& f) {
      in_flight--;
      feed.complete(f.image, false);
    };
    ImageLoader load = [&](std::size_t q, const TensorInfo&, std::byte* dst) {
      int now = ++in_flight;
      int seen = max_in_flight.load();
      while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {}
      reinterpret_cast<float*>(dst)[0] = float(q);
    };
    ResultSink sink = [&](std::size_t q, const float*, std::size_t) {
      {
        std::lock_guard lock(mutex);
        delivered.insert(q);
      }
      in_flight--;
      feed.complete(q, true);
    };
    return run_pool(runners, feed, load, sink, po);
  }
};

ScenarioSettings scenario(Scenario sc, std::size_t count) {
  ScenarioSettings s;
  s.scenario = sc;
  s.warmup_s = 0;
  s.min_duration_s = 0;
  s.min_count = count;
  return s;
}

TEST(LoadGenFeed, SingleStreamHasOneQueryInFlightWhateverTheRunners) {
  TestRunnerOptions o;
  o.latency_ms = 0.2;
  FedPool run(3, o);
  LoadGenFeed feed(scenario(Scenario::kSingleStream, 40), nullptr);
  PoolStats ps = run.go(feed);
  EXPECT_TRUE(ps.complete()) << ps.stop_reason;
  EXPECT_EQ(run.max_in_flight.load(), 1);
  auto r = feed.loadgen().result();
  EXPECT_EQ(r.issued, 40u);
  EXPECT_EQ(r.measured, 40u);
  EXPECT_EQ(run.delivered.size(), 40u);
  EXPECT_EQ(*run.delivered.rbegin(), 39u);
  EXPECT_TRUE(feed.loadgen().done());
}

TEST(LoadGenFeed, OfflineStopsAtTheCountWithEveryQueryOnce) {
  TestRunnerOptions o;
  o.batch = 4;
  FedPool run(2, o);
  LoadGenFeed feed(scenario(Scenario::kOffline, 301), nullptr);
  PoolStats ps = run.go(feed);
  EXPECT_TRUE(ps.complete()) << ps.stop_reason;
  auto r = feed.loadgen().result();
  EXPECT_EQ(r.issued, 301u);  // the count rule ends issuing mid-batch: the last job is padded
  EXPECT_EQ(r.completed, 301u);
  EXPECT_EQ(ps.jobs, 76u);
  std::set<std::size_t> unique(run.delivered.begin(), run.delivered.end());
  EXPECT_EQ(unique.size(), run.delivered.size());
  EXPECT_EQ(unique.size(), 301u);
}

TEST(LoadGenFeed, ServerArrivalsAllComplete) {
  TestRunnerOptions o;
  o.batch = 2;
  o.latency_ms = 0.1;
  FedPool run(2, o);
  auto s = scenario(Scenario::kServer, 200);
  s.target_qps = 4000;
  s.latency_bound_ms = 1000;
  LoadGenFeed feed(s, nullptr);
  PoolStats ps = run.go(feed);
  EXPECT_TRUE(ps.complete()) << ps.stop_reason;
  auto r = feed.loadgen().result();
  EXPECT_EQ(r.issued, 200u);
  EXPECT_EQ(r.completed, 200u);
  EXPECT_EQ(r.latency_ms.size(), 200u);
  for (double l : r.latency_ms) EXPECT_GE(l, 0);
}

// A failed job completes its queries as failed, so single-stream goes on instead of waiting
// for a result that will never come.
TEST(LoadGenFeed, FailedJobsCompleteTheirQueries) {
  TestRunnerOptions o;
  o.fail_jobs = {2, 5};
  FedPool run(1, o);
  LoadGenFeed feed(scenario(Scenario::kSingleStream, 20), nullptr);
  PoolStats ps = run.go(feed);
  EXPECT_EQ(ps.failures.size(), 2u);
  EXPECT_FALSE(ps.complete());
  auto r = feed.loadgen().result();
  EXPECT_EQ(r.failed, 2u);
  EXPECT_EQ(r.completed, 18u);
  EXPECT_EQ(r.issued, 20u);
  EXPECT_TRUE(feed.loadgen().done());
}

TEST(LoadGenFeed, CancelEndsTheRun) {
  TestRunnerOptions o;
  o.latency_ms = 0.05;
  FedPool run(2, o);
  auto s = scenario(Scenario::kOffline, 1000000000);
  std::atomic<bool> cancel{false};
  LoadGenFeed feed(s, &cancel);
  PoolOptions po;
  po.jobs.cancel = &cancel;
  std::thread stopper([&] {
    while (true) {
      {
        std::lock_guard lock(run.mutex);
        if (run.delivered.size() >= 100) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    cancel = true;
  });
  PoolStats ps = run.go(feed, po);
  stopper.join();
  EXPECT_TRUE(ps.stopped);
  EXPECT_EQ(ps.stop_reason, "cancelled");
  EXPECT_TRUE(feed.ended());
  EXPECT_GE(run.delivered.size(), 100u);
  EXPECT_LT(feed.loadgen().result().issued, 1000000000u);
}

}  // namespace
}  // namespace dpurun

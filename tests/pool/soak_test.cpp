// Soak: a million inferences through the pool (the test backend, no latency) in repeated runs;
// every image comes back exactly once and resident memory stays flat after the first runs.
// Under AddressSanitizer, LeakSanitizer checks at exit that nothing leaked.
#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

#include "dpurun/pool.h"
#include "dpurun/runner.h"
#include "dpurun/test_backend.h"

#if defined(__has_feature)  // clang says so this way, GCC with the macros below
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DPURUN_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(DPURUN_SANITIZED)
// Sanitizers hold freed memory (quarantine, shadow), so resident size says nothing there;
// LeakSanitizer checks for leaks at exit instead.
constexpr bool kMeasureMemory = false;
#else
constexpr bool kMeasureMemory = true;
#endif

namespace dpurun {
namespace {

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

TEST(Soak, AMillionInferencesWithFlatMemory) {
  TestRunnerOptions o;
  o.batch = 8;
  o.image_shape = {4, 4, 3};
  o.outputs = 10;
  std::vector<std::unique_ptr<Runner>> owned;
  for (int i = 0; i < 3; ++i) owned.push_back(make_test_runner(o));
  std::vector<Runner*> runners;
  for (auto& r : owned) runners.push_back(r.get());

  constexpr std::size_t kRuns = 10, kPerRun = 100'000;  // 1,000,000 in all
  std::vector<std::uint8_t> seen(kPerRun);
  auto load = [](std::size_t i, const TensorInfo&, std::byte* out) {
    reinterpret_cast<float*>(out)[0] = float(i);
  };
  std::size_t wrong = 0;
  auto sink = [&](std::size_t i, const float* y, std::size_t) {
    seen[i]++;
    wrong += y[0] != float(i);
  };
  std::size_t after_warmup = 0;
  for (std::size_t run = 0; run < kRuns; ++run) {
    std::fill(seen.begin(), seen.end(), 0);
    PoolStats s = run_pool(runners, kPerRun, load, sink);
    ASSERT_TRUE(s.complete()) << "run " << run << ": " << s.stop_reason;
    ASSERT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(kPerRun)) << "run " << run;
    if (run == 1) after_warmup = resident_bytes();
  }
  EXPECT_EQ(wrong, 0u);
  const std::size_t end = resident_bytes();
  const long growth = static_cast<long>(end) - static_cast<long>(after_warmup);
  RecordProperty("rss_growth_bytes", std::to_string(growth));
  if (kMeasureMemory)
    EXPECT_LT(growth, 1 << 20) << "resident memory grew by " << growth << " bytes over 800,000 inferences";
}

}  // namespace
}  // namespace dpurun

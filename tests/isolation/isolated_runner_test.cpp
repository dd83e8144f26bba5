// Isolated runners: test runners in worker processes that abort, crash or hang on chosen images.
// Every other image completes exactly once with its own output; the lost ones are named with the
// cause; workers restart (a bounded number of times) and the parent's memory and descriptors
// stay flat. No assertion depends on wall-clock speed.
#include <gtest/gtest.h>

#include <dirent.h>

#include <cstddef>

// ASan or TSan, as GCC and clang each say it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DPURUN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DPURUN_SANITIZED 1
#endif
#endif
#ifdef DPURUN_SANITIZED
// The sanitizer runtime's (GCC ships no header for it; clang's is sanitizer/allocator_interface.h).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif
#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "dpurun/error.h"
#include "dpurun/isolation.h"
#include "dpurun/pool.h"
#include "dpurun/test_backend.h"

namespace dpurun {
namespace {

// Image i's first input value is i; the test runner answers i + c for output c.
void load_index(std::size_t image, const TensorInfo&, std::byte* out) {
  reinterpret_cast<float*>(out)[0] = float(image);
}

struct Collected {
  std::mutex mutex;
  std::map<std::size_t, int> times;
  int wrong = 0;
  ResultSink sink() {
    return [this](std::size_t image, const float* y, std::size_t n) {
      std::lock_guard lock(mutex);
      times[image]++;
      for (std::size_t c = 0; c < n; ++c) wrong += y[c] != float(image) + float(c);
    };
  }
};

std::vector<std::unique_ptr<Runner>> isolated(int n, const TestRunnerOptions& o, IsolationOptions io = {}) {
  std::vector<std::unique_ptr<Runner>> r;
  for (int i = 0; i < n; ++i) r.push_back(make_isolated_test_runner(o, io));
  return r;
}

std::vector<Runner*> raw(const std::vector<std::unique_ptr<Runner>>& v) {
  std::vector<Runner*> r;
  for (auto& p : v) r.push_back(p.get());
  return r;
}

std::set<std::size_t> failed_images(const PoolStats& s) {
  std::set<std::size_t> f;
  for (const auto& x : s.failures) f.insert(x.image);
  return f;
}

// Every image not in `lost` delivered exactly once with its own outputs; none of `lost`.
void expect_exactly_once(const Collected& got, std::size_t images, const std::set<std::size_t>& lost) {
  EXPECT_EQ(got.wrong, 0);
  for (std::size_t i = 0; i < images; ++i) {
    auto it = got.times.find(i);
    const int times = it == got.times.end() ? 0 : it->second;
    EXPECT_EQ(times, lost.count(i) ? 0 : 1) << "image " << i;
  }
}

TEST(Isolation, AnIsolatedRunnerGivesWhatTheRunnerGives) {
  TestRunnerOptions o;
  o.batch = 4;
  o.outputs = 3;
  auto runners = isolated(2, o);
  EXPECT_NE(runners[0]->name().find("isolated"), std::string::npos);
  EXPECT_EQ(runners[0]->input_tensors()[0].shape, (Shape{4, 32, 32, 3}));
  Collected got;
  PoolStats s = run_pool(raw(runners), 203, load_index, got.sink());
  EXPECT_TRUE(s.complete()) << s.stop_reason;
  expect_exactly_once(got, 203, {});
}

// Its jobs run on memory the worker maps too: it refuses a caller's memory (buffers_over gives
// null, so the caller allocates) and buffers that are not its own.
TEST(Isolation, AnIsolatedRunnerWorksOnlyOnItsOwnBuffers) {
  TestRunnerOptions o;
  o.batch = 2;
  auto runners = isolated(1, o);
  std::vector<std::byte> in(2 * 32 * 32 * 3 * sizeof(float)), out(2 * o.outputs * sizeof(float));
  EXPECT_EQ(runners[0]->buffers_over({in.data()}, {out.data()}), nullptr);
  JobBuffers foreign;
  foreign.inputs.push_back(TensorBuffer{runners[0]->input_tensors()[0], in.data(), in.size()});
  foreign.outputs.push_back(TensorBuffer{runners[0]->output_tensors()[0], out.data(), out.size()});
  try {
    runners[0]->execute_async(foreign);
    ADD_FAILURE() << "foreign buffers were taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("allocate_buffers"), std::string::npos) << e.what();
  }
  auto own = runners[0]->allocate_buffers();
  EXPECT_EQ(runners[0]->wait(runners[0]->execute_async(*own), 10000).state, JobState::kDone);
}

TEST(Isolation, AnAbortingJobCostsItsImagesAndTheWorkerRestarts) {
  TestRunnerOptions o;
  o.abort_on_values = {7, 23, 24};
  auto runners = isolated(2, o);
  Collected got;
  PoolStats s = run_pool(raw(runners), 100, load_index, got.sink());
  EXPECT_FALSE(s.stopped) << s.stop_reason;
  EXPECT_EQ(failed_images(s), (std::set<std::size_t>{7, 23, 24}));
  for (const auto& f : s.failures)
    EXPECT_NE(f.error.find("killed by signal 6"), std::string::npos) << f.error;
  expect_exactly_once(got, 100, {7, 23, 24});
}

TEST(Isolation, JobsQueuedBehindOneThatKillsItsWorkerRunInTheNextWorker) {
  TestRunnerOptions o;
  o.abort_on_values = {1};
  auto runner = make_isolated_test_runner(o);
  std::vector<std::unique_ptr<JobBuffers>> buffers;
  std::vector<std::uint32_t> jobs;
  for (std::size_t i = 0; i < 4; ++i) {  // all four sent before any is waited for
    buffers.push_back(runner->allocate_buffers());
    load_index(i, buffers[i]->inputs[0].info, buffers[i]->inputs[0].data);
    jobs.push_back(runner->execute_async(*buffers[i]));
  }
  for (std::size_t i = 0; i < 4; ++i) {
    JobStatus s = runner->wait(jobs[i], 10000);
    if (i == 1) {
      EXPECT_EQ(s.state, JobState::kFailed);
      EXPECT_NE(s.error.find("while running job " + std::to_string(jobs[1])), std::string::npos) << s.error;
      continue;
    }
    EXPECT_EQ(s.state, JobState::kDone) << "job " << i << ": " << s.error;
    EXPECT_EQ(reinterpret_cast<const float*>(buffers[i]->outputs[0].data)[0], float(i)) << "job " << i;
  }
}

TEST(Isolation, ACrashingJobCostsItsBatchOnly) {
  TestRunnerOptions o;
  o.batch = 4;
  o.crash_on_values = {10};  // images 8–11 share its batch
  auto runners = isolated(1, o);
  Collected got;
  PoolStats s = run_pool(raw(runners), 40, load_index, got.sink());
  EXPECT_EQ(failed_images(s), (std::set<std::size_t>{8, 9, 10, 11}));
  ASSERT_FALSE(s.failures.empty());
  // A sanitizer build's worker reports the SEGV itself and exits.
  const std::string& why = s.failures[0].error;
  EXPECT_TRUE(why.find("killed by signal 11") != std::string::npos || why.find("SEGV") != std::string::npos) << why;
  expect_exactly_once(got, 40, {8, 9, 10, 11});
}

TEST(Isolation, AJobThatNeverReturnsIsKilledAtTheTimeoutAndTheRunGoesOn) {
  TestRunnerOptions o;
  o.stuck_on_values = {5, 31};
  auto runners = isolated(2, o);
  Collected got;
  PoolOptions po;
  po.jobs.timeout_ms = 300;
  PoolStats s = run_pool(raw(runners), 60, load_index, got.sink(), po);
  EXPECT_FALSE(s.stopped) << s.stop_reason;
  EXPECT_EQ(failed_images(s), (std::set<std::size_t>{5, 31}));
  for (const auto& f : s.failures)
    EXPECT_NE(f.error.find("did not finish within 300 ms; its worker process was killed"), std::string::npos) << f.error;
  expect_exactly_once(got, 60, {5, 31});
}

TEST(Isolation, StopOnErrorEndsTheRunCleanlyAtTheFirstCrash) {
  TestRunnerOptions o;
  o.abort_on_values = {12};
  auto runners = isolated(1, o);
  Collected got;
  PoolOptions po;
  po.jobs.stop_on_error = true;
  PoolStats s = run_pool(raw(runners), 50, load_index, got.sink(), po);
  EXPECT_TRUE(s.stopped);
  EXPECT_FALSE(s.complete());
  EXPECT_EQ(failed_images(s).count(12), 1u);
  EXPECT_EQ(got.times.count(12), 0u);
  EXPECT_EQ(got.wrong, 0);
}

TEST(Isolation, RestartsAreBoundedThenTheRunnerIsLost) {
  TestRunnerOptions o;
  for (int i = 0; i < 20; ++i) o.abort_on_values.push_back(float(i));  // every image
  IsolationOptions io;
  io.max_restarts = 3;
  auto runners = isolated(1, o, io);
  Collected got;
  PoolStats s = run_pool(raw(runners), 20, load_index, got.sink());
  EXPECT_TRUE(s.stopped);
  EXPECT_NE(s.stop_reason.find("lost"), std::string::npos) << s.stop_reason;
  EXPECT_EQ(got.times.size(), 0u);
  // Four workers died with their job; the fifth job found the runner lost (failures are in image
  // order, and the preprocess threads may hand the pool images out of order).
  ASSERT_GE(s.failures.size(), 5u);
  int died = 0, lost = 0;
  for (const auto& f : s.failures) {
    const bool is_lost = f.error.find("restarted 3 times") != std::string::npos;  // names the last death too
    died += !is_lost && f.error.find("killed by signal 6") != std::string::npos;
    lost += is_lost;
  }
  EXPECT_EQ(died, 4);
  EXPECT_GE(lost, 1);
}

TEST(Isolation, AWorkerThatCannotMakeItsRunnerSaysWhy) {
  TestRunnerOptions o;
  o.outputs = 0;
  try {
    make_isolated_test_runner(o);
    FAIL() << "a runner with no outputs was made";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("batch and outputs must be at least 1"), std::string::npos) << e.what();
  }
  try {
    make_isolated_runner(WorkerCommand{"/nonexistent/dpurun-worker", {}});
    FAIL() << "a missing worker program started";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dpurun-worker"), std::string::npos) << e.what();
  }
}

// After giving freed heap back (malloc_trim), so that only memory still in use counts.
std::size_t resident_kib() {
  malloc_trim(0);
  std::ifstream f("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

// Under ASan and TSan, resident memory says little (ASan keeps freed memory in quarantine, up
// to 256 MiB): the sanitizer's count of live heap bytes is measured instead.
#ifdef DPURUN_SANITIZED
std::size_t memory_kib() { return __sanitizer_get_current_allocated_bytes() / 1024; }
const char* const kMemory = "live heap";
#else
std::size_t memory_kib() { return resident_kib(); }
const char* const kMemory = "resident memory";
#endif

std::size_t job_mappings() {
  std::ifstream f("/proc/self/maps");
  std::size_t n = 0;
  for (std::string line; std::getline(f, line);) n += line.find("/memfd:dpurun-job") != std::string::npos;
  return n;
}

// 10,000 jobs, one worker death in every hundred: the parent's descriptors and job memory after
// the run are exactly what they were after a first run of the same kind, and its resident memory
// (live heap under the sanitizers) stays within the allocator's noise (seen here: 5.2–7.2 MiB
// resident over 14 such runs, no trend).
TEST(Isolation, TenThousandJobsAndAHundredRestartsKeepTheParentFlat) {
  TestRunnerOptions o;
  for (int i = 50; i < 10000; i += 100) o.abort_on_values.push_back(float(i));
  IsolationOptions io;
  io.max_restarts = 1000;
  auto runners = isolated(2, o, io);
  auto run = [&](std::size_t images) {
    Collected got;
    PoolStats s = run_pool(raw(runners), images, load_index, got.sink());
    std::set<std::size_t> lost;
    for (std::size_t i = 50; i < images; i += 100) lost.insert(i);
    EXPECT_EQ(failed_images(s), lost);
    for (const auto& f : s.failures)
      if (!lost.count(f.image)) ADD_FAILURE() << "image " << f.image << " failed: " << f.error;
    expect_exactly_once(got, images, lost);
  };
  run(10000);  // warm-up: the pool's and the allocator's own memory
  const std::size_t before = memory_kib(), fds = open_descriptors(), maps = job_mappings();
  run(10000);
  EXPECT_EQ(open_descriptors(), fds);
  EXPECT_EQ(job_mappings(), maps);
  // A leak of a worker's description or channel buffer per restart (≥ 100 × 256 KiB) shows here.
  const std::size_t after = memory_kib();
  EXPECT_LT(after, before + 4096) << kMemory << " grew from " << before << " KiB to " << after << " KiB";
}

}  // namespace
}  // namespace dpurun

// A stand-in device for tests and benchmarks: fixed latency, chosen failures and hangs, and an
// output that says which input it came from.
#include <algorithm>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "dpurun/error.h"
#include "dpurun/test_backend.h"

namespace dpurun {

using Clock = std::chrono::steady_clock;

// When the device is next free (steady clock, ns): one word in shared memory, so that runners
// in worker processes queue for the same device (CLOCK_MONOTONIC is the same in every process).
struct TestDevice {
  std::string name;  // of the POSIX shared memory object
  bool owner = false;
  std::atomic<std::int64_t>* free_at = nullptr;

  ~TestDevice() {
    if (free_at) munmap(free_at, sizeof *free_at);
    if (owner) shm_unlink(name.c_str());
  }

  // Takes the device for `busy` from now or from when it is free; returns when the job ends.
  Clock::time_point take(Clock::duration busy) {
    const std::int64_t now = Clock::now().time_since_epoch().count();
    std::int64_t free = free_at->load();
    std::int64_t done;
    do done = std::max(now, free) + busy.count();
    while (!free_at->compare_exchange_weak(free, done));
    return Clock::time_point(Clock::duration(done));
  }
};

namespace {

std::shared_ptr<TestDevice> map_device(const std::string& name, bool create) {
  static_assert(std::atomic<std::int64_t>::is_always_lock_free);
  auto d = std::make_shared<TestDevice>();
  d->name = name;
  const int fd = shm_open(name.c_str(), O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
  if (fd < 0 || (create && ftruncate(fd, sizeof(std::int64_t)) != 0))
    throw Error(ErrorCode::kIo, "test device " + name + ": " + std::strerror(errno));
  d->owner = create;
  void* p = mmap(nullptr, sizeof(std::int64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) throw Error(ErrorCode::kIo, "test device " + name + ": " + std::strerror(errno));
  // A new object is all zeros (free since boot); one that exists is the creator's, as it is.
  d->free_at = create ? new (p) std::atomic<std::int64_t>(0) : static_cast<std::atomic<std::int64_t>*>(p);
  return d;
}

}  // namespace

std::shared_ptr<TestDevice> make_test_device() {
  static std::atomic<int> count{0};
  return map_device("/dpurun-test-device-" + std::to_string(getpid()) + "-" + std::to_string(count++), true);
}

namespace {

// Sleeps, then spins the last stretch: a device's completion interrupt wakes its waiter within
// microseconds, which a plain sleep (with the kernel's timer slack) would not model.
void wait_until(Clock::time_point t) {
  constexpr auto kSpin = std::chrono::microseconds(80);
  if (t - Clock::now() > kSpin) std::this_thread::sleep_until(t - kSpin);
  while (Clock::now() < t) std::this_thread::yield();
}

class TestRunner : public Runner {
 public:
  explicit TestRunner(const TestRunnerOptions& o) : o_(o) {
    if (o.batch < 1 || o.outputs < 1 || o.image_shape.size() != 3)
      throw Error(ErrorCode::kInvalidArgument, "test runner: batch and outputs must be at least 1, the image shape H×W×C");
    Shape in{o.batch};
    in.insert(in.end(), o.image_shape.begin(), o.image_shape.end());
    inputs_ = {TensorInfo{"test_input", in, o.input_type, o.input_fix_point}};
    outputs_ = {TensorInfo{"test_output", {o.batch, o.outputs}, DataType::kFloat32, std::nullopt}};
    image_elems_ = static_cast<std::size_t>(element_count(o.image_shape));
  }

  std::string name() const override { return "test"; }
  const std::vector<TensorInfo>& input_tensors() const override { return inputs_; }
  const std::vector<TensorInfo>& output_tensors() const override { return outputs_; }

  std::uint32_t execute_async(JobBuffers& b) override {
    std::unique_lock lock(mutex_);
    const std::uint32_t id = next_job_++;
    lock.unlock();
    Job job;
    job.hang = std::count(o_.hang_jobs.begin(), o_.hang_jobs.end(), id) > 0;
    job.fail = std::count(o_.fail_jobs.begin(), o_.fail_jobs.end(), id) > 0;
    float* out = reinterpret_cast<float*>(b.outputs[0].data);
    for (int i = 0; i < o_.batch; ++i) {
      float first = first_value(b.inputs[0], static_cast<std::size_t>(i));
      if (o_.fail_on_value && first == *o_.fail_on_value) job.fail = true;
      auto among = [&](const std::vector<float>& v) { return std::find(v.begin(), v.end(), first) != v.end(); };
      if (among(o_.abort_on_values)) std::abort();
      if (among(o_.crash_on_values)) std::raise(SIGSEGV);
      if (among(o_.stuck_on_values)) job.stuck = true;
      for (int c = 0; c < o_.outputs; ++c) out[i * o_.outputs + c] = first + float(c);
    }
    job.device_ms = o_.latency_ms + o_.latency_ms_per_image * o_.batch;
    const auto busy = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(job.device_ms));
    if (o_.device) {  // queue behind the other runners' jobs
      job.done_at = o_.device->take(busy);
    } else {
      job.done_at = Clock::now() + busy;
    }
    lock.lock();
    jobs_[id] = job;
    return id;
  }

  JobStatus wait(std::uint32_t id, int timeout_ms) override {
    std::unique_lock lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return JobStatus{JobState::kFailed, "test runner: no job " + std::to_string(id), 0};
    Job job = it->second;
    lock.unlock();
    while (job.stuck) std::this_thread::sleep_for(std::chrono::seconds(1));
    if (job.hang) {
      if (timeout_ms < 0) return JobStatus{JobState::kFailed, "test runner: job " + std::to_string(id) + " hangs and no timeout was set", 0};
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return JobStatus{JobState::kTimeout, "job " + std::to_string(id) + " did not finish within " + std::to_string(timeout_ms) + " ms", 0};
    }
    auto deadline = timeout_ms < 0 ? job.done_at : std::min(job.done_at, Clock::now() + std::chrono::milliseconds(timeout_ms));
    wait_until(deadline);
    if (Clock::now() < job.done_at)
      return JobStatus{JobState::kTimeout, "job " + std::to_string(id) + " did not finish within " + std::to_string(timeout_ms) + " ms", 0};
    lock.lock();
    jobs_.erase(id);
    if (job.fail) return JobStatus{JobState::kFailed, "test runner: job " + std::to_string(id) + " failed (as asked)", job.device_ms};
    return JobStatus{JobState::kDone, "", job.device_ms};
  }

 private:
  struct Job {
    Clock::time_point done_at;
    double device_ms = 0;
    bool hang = false, fail = false, stuck = false;
  };

  float first_value(const TensorBuffer& t, std::size_t image) const {
    std::size_t at = image * image_elems_;
    switch (t.info.type) {
      case DataType::kFloat32: return reinterpret_cast<const float*>(t.data)[at];
      case DataType::kInt8: return float(reinterpret_cast<const std::int8_t*>(t.data)[at]);
      case DataType::kUInt8: return float(reinterpret_cast<const std::uint8_t*>(t.data)[at]);
      default: return 0.f;
    }
  }

  TestRunnerOptions o_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::size_t image_elems_ = 0;
  std::mutex mutex_;
  std::uint32_t next_job_ = 0;
  std::map<std::uint32_t, Job> jobs_;
};

}  // namespace

std::unique_ptr<Runner> make_test_runner(const TestRunnerOptions& options) {
  return std::make_unique<TestRunner>(options);
}

namespace {

template <typename T>
std::string joined(const std::vector<T>& v) {
  std::ostringstream o;
  o.precision(9);
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  return o.str();
}

template <typename T>
std::vector<T> split(const std::string& s) {
  std::vector<T> v;
  std::istringstream in(s);
  for (std::string x; std::getline(in, x, ',');) {
    if constexpr (std::is_floating_point_v<T>) v.push_back(static_cast<T>(std::stod(x)));
    else v.push_back(static_cast<T>(std::stoll(x)));
  }
  return v;
}

}  // namespace

std::vector<std::string> to_args(const TestRunnerOptions& o) {
  std::ostringstream f;
  f.precision(17);
  f << o.latency_ms << "," << o.latency_ms_per_image;
  std::vector<std::string> a{"batch=" + std::to_string(o.batch),
                             "shape=" + joined(o.image_shape),
                             "type=" + std::to_string(static_cast<int>(o.input_type)),
                             "outputs=" + std::to_string(o.outputs),
                             "latency=" + f.str(),
                             "fail_jobs=" + joined(o.fail_jobs),
                             "hang_jobs=" + joined(o.hang_jobs),
                             "abort=" + joined(o.abort_on_values),
                             "crash=" + joined(o.crash_on_values),
                             "stuck=" + joined(o.stuck_on_values)};
  if (o.input_fix_point) a.push_back("fix_point=" + std::to_string(*o.input_fix_point));
  if (o.device) a.push_back("device=" + o.device->name);
  if (o.fail_on_value) a.push_back("fail_on=" + joined(std::vector<float>{*o.fail_on_value}));
  return a;
}

TestRunnerOptions test_runner_options(const std::vector<std::string>& args) {
  TestRunnerOptions o;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    const std::string key = arg.substr(0, eq), value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    try {
      if (key == "batch") o.batch = std::stoi(value);
      else if (key == "shape") o.image_shape = split<std::int64_t>(value);
      else if (key == "type") o.input_type = static_cast<DataType>(std::stoi(value));
      else if (key == "outputs") o.outputs = std::stoi(value);
      else if (key == "latency") {
        auto l = split<double>(value);
        o.latency_ms = l.at(0);
        o.latency_ms_per_image = l.at(1);
      } else if (key == "fail_jobs") o.fail_jobs = split<std::uint32_t>(value);
      else if (key == "hang_jobs") o.hang_jobs = split<std::uint32_t>(value);
      else if (key == "abort") o.abort_on_values = split<float>(value);
      else if (key == "crash") o.crash_on_values = split<float>(value);
      else if (key == "stuck") o.stuck_on_values = split<float>(value);
      else if (key == "fix_point") o.input_fix_point = std::stoi(value);
      else if (key == "fail_on") o.fail_on_value = split<float>(value).at(0);
      else if (key == "device") o.device = map_device(value, false);
      else throw Error(ErrorCode::kInvalidArgument, "test runner: unknown argument '" + arg + "'");
    } catch (const std::logic_error&) {
      throw Error(ErrorCode::kInvalidArgument, "test runner: bad argument '" + arg + "'");
    }
  }
  return o;
}

std::unique_ptr<Runner> make_isolated_test_runner(const TestRunnerOptions& options, const IsolationOptions& isolation) {
  const char* env = std::getenv("DPURUN_TEST_WORKER");
  return make_isolated_runner(WorkerCommand{env && *env ? env : DPURUN_TEST_WORKER_PATH, to_args(options)}, isolation);
}

}  // namespace dpurun

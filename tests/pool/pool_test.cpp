// The runner pool with the test backend (latency, failures and hangs under the test's control)
// and with the CPU runners. No assertion depends on wall-clock speed.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "dpurun/pool.h"
#include "dpurun/runner.h"
#include "dpurun/test_backend.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

// Image i's first input value is i (as the input type holds it), the rest zeros.
void load_index(std::size_t image, const TensorInfo& input, std::byte* out) {
  if (input.type == DataType::kFloat32) reinterpret_cast<float*>(out)[0] = float(image);
  else reinterpret_cast<std::int8_t*>(out)[0] = static_cast<std::int8_t>(image % 100);
}

struct Collected {
  std::mutex mutex;
  std::map<std::size_t, std::vector<float>> outputs;
  int duplicates = 0;
  ResultSink sink() {
    return [this](std::size_t image, const float* y, std::size_t n) {
      std::lock_guard lock(mutex);
      if (outputs.count(image)) duplicates++;
      outputs[image] = std::vector<float>(y, y + n);
    };
  }
};

std::vector<std::unique_ptr<Runner>> test_runners(int n, TestRunnerOptions o) {
  std::vector<std::unique_ptr<Runner>> runners;
  for (int i = 0; i < n; ++i) {
    o.latency_ms = 0.2 * (i + 1);  // unequal runners, so that completion order differs
    runners.push_back(make_test_runner(o));
  }
  return runners;
}

std::vector<Runner*> raw(const std::vector<std::unique_ptr<Runner>>& v) {
  std::vector<Runner*> r;
  for (auto& p : v) r.push_back(p.get());
  return r;
}

TEST(Pool, EveryImageOnceWithItsOwnOutputAndAPaddedLastBatch) {
  TestRunnerOptions o;
  o.batch = 8;
  o.outputs = 4;
  auto runners = test_runners(3, o);
  Collected got;
  const std::size_t images = 203;  // 25 full batches and one of 3
  PoolOptions po;
  po.preprocess_threads = 2;
  PoolStats s = run_pool(raw(runners), images, load_index, got.sink(), po);
  EXPECT_TRUE(s.complete()) << s.stop_reason;
  EXPECT_EQ(s.completed, images);
  EXPECT_EQ(s.jobs, 26u);
  EXPECT_EQ(got.duplicates, 0);
  ASSERT_EQ(got.outputs.size(), images);  // padding images never reach the sink
  for (auto& [image, y] : got.outputs) {
    ASSERT_LT(image, images);
    ASSERT_EQ(y.size(), 4u);
    for (int c = 0; c < 4; ++c) ASSERT_EQ(y[c], float(image) + float(c)) << "image " << image;
  }
  std::size_t sum = 0;
  for (auto n : s.images_per_runner) sum += n;
  EXPECT_EQ(sum, images);
  EXPECT_EQ(s.device_ms.size(), s.jobs);
  EXPECT_EQ(s.end_to_end_ms.size(), s.jobs);
  for (std::size_t j = 0; j < s.jobs; ++j) EXPECT_GE(s.end_to_end_ms[j] + 1e-9, s.device_ms[j]);
}

TEST(Pool, Int8InputsAreQuantizedAndOutputsDequantized) {
  std::vector<float> x = {0.f, 0.24f, 0.25f, -0.26f, 100.f, -100.f, std::nanf("")};
  std::vector<std::int8_t> q(x.size());
  quantize_input(x.data(), x.size(), 3, q.data());  // steps of 1/8: half up, saturated, NaN → 0
  EXPECT_EQ(std::vector<int>(q.begin(), q.end()), (std::vector<int>{0, 2, 2, -2, 127, -128, 0}));

  TensorInfo info{"y", {1, 3}, DataType::kInt8, 2};
  std::int8_t raw_values[3] = {-128, 1, 127};
  float y[3];
  dequantize_tensor(info, reinterpret_cast<const std::byte*>(raw_values), 3, y);
  EXPECT_EQ(y[0], -32.f);
  EXPECT_EQ(y[1], 0.25f);
  EXPECT_EQ(y[2], 31.75f);

  TestRunnerOptions o;
  o.batch = 4;
  o.input_type = DataType::kInt8;
  o.input_fix_point = 6;
  auto runners = test_runners(2, o);
  Collected got;
  PoolStats s = run_pool(raw(runners), 50, load_index, got.sink());
  ASSERT_TRUE(s.complete());
  for (auto& [image, out] : got.outputs) ASSERT_EQ(out[0], float(image % 100));
}

TEST(Pool, AFailedJobFailsItsImagesAndTheRunGoesOn) {
  TestRunnerOptions o;
  o.batch = 4;
  o.fail_on_value = 42;  // the job holding image 42: images 40–43
  auto runners = test_runners(2, o);
  Collected got;
  PoolStats s = run_pool(raw(runners), 100, load_index, got.sink());
  EXPECT_FALSE(s.stopped);
  EXPECT_FALSE(s.complete());
  ASSERT_EQ(s.failures.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(s.failures[i].image, 40 + i);
    EXPECT_NE(s.failures[i].error.find("images 40–43"), std::string::npos) << s.failures[i].error;
    EXPECT_NE(s.failures[i].error.find("failed (as asked)"), std::string::npos);
  }
  EXPECT_EQ(s.completed, 96u);
  EXPECT_EQ(got.outputs.size(), 96u);
  EXPECT_EQ(got.outputs.count(42), 0u);
}

TEST(Pool, AChosenJobFailsOnlyItsOwnImages) {
  TestRunnerOptions o;
  o.batch = 4;
  o.fail_jobs = {2};  // the runner's third job: images 8–11, as batches go out in order
  auto runner = make_test_runner(o);
  Collected got;
  PoolOptions po;
  po.preprocess_threads = 1;
  PoolStats s = run_pool({runner.get()}, 20, load_index, got.sink(), po);
  ASSERT_EQ(s.failures.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(s.failures[i].image, 8 + i);
  EXPECT_EQ(s.completed, 16u);
  EXPECT_EQ(s.jobs, 5u);
}

TEST(Pool, StopOnErrorEndsTheRunAndSaysWhere) {
  TestRunnerOptions o;
  o.batch = 1;
  o.fail_on_value = 10;
  auto runners = test_runners(1, o);
  Collected got;
  PoolOptions po;
  po.jobs.stop_on_error = true;
  po.preprocess_threads = 1;
  po.queue_depth = 1;
  PoolStats s = run_pool(raw(runners), 1000, load_index, got.sink(), po);
  EXPECT_TRUE(s.stopped);
  EXPECT_NE(s.stop_reason.find("image 10"), std::string::npos) << s.stop_reason;
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].image, 10u);
  EXPECT_LT(s.completed, 1000u);
  EXPECT_GE(s.completed, 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(got.outputs.count(i), 1u) << "image " << i;
}

TEST(Pool, AnImageThatCannotBeLoadedIsNamedAndTheRestOfItsBatchRuns) {
  TestRunnerOptions o;
  o.batch = 4;
  auto runners = test_runners(2, o);
  Collected got;
  auto load = [](std::size_t image, const TensorInfo& in, std::byte* out) {
    if (image == 7) throw Error(ErrorCode::kInvalidData, "data/img_7.png: cannot be decoded");
    load_index(image, in, out);
  };
  PoolStats s = run_pool(raw(runners), 20, load, got.sink());
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].image, 7u);
  EXPECT_NE(s.failures[0].error.find("img_7.png"), std::string::npos);
  EXPECT_EQ(s.completed, 19u);
  EXPECT_EQ(got.outputs.count(6), 1u);
  EXPECT_EQ(got.outputs.count(7), 0u);
}

// A runner that asks for `jobs` in flight and records how many it had at most.
class CountingRunner : public Runner {
 public:
  CountingRunner(std::unique_ptr<Runner> r, int jobs) : r_(std::move(r)), jobs_(jobs) {}
  std::string name() const override { return r_->name(); }
  const std::vector<TensorInfo>& input_tensors() const override { return r_->input_tensors(); }
  const std::vector<TensorInfo>& output_tensors() const override { return r_->output_tensors(); }
  int jobs_in_flight() const override { return jobs_; }
  std::uint32_t execute_async(JobBuffers& b) override {
    const std::uint32_t id = r_->execute_async(b);
    const int now = ++outstanding;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {}
    return id;
  }
  JobStatus wait(std::uint32_t job, int timeout_ms) override {
    JobStatus s = r_->wait(job, timeout_ms);
    --outstanding;
    return s;
  }
  std::atomic<int> outstanding{0}, most{0};

 private:
  std::unique_ptr<Runner> r_;
  int jobs_;
};

TEST(Pool, EachRunnerHasTheJobsItAsksForSubmittedAtOnce) {
  // 2 ms jobs: the preprocess threads keep far ahead, so the runner's own number is reached.
  for (int jobs : {1, 2, 3}) {
    TestRunnerOptions o;
    o.batch = 1;
    o.latency_ms = 2;
    CountingRunner r(make_test_runner(o), jobs);
    Collected got;
    PoolStats s = run_pool({&r}, 30, load_index, got.sink());
    EXPECT_TRUE(s.complete()) << s.stop_reason;
    EXPECT_EQ(got.outputs.size(), 30u);
    EXPECT_EQ(r.most.load(), jobs) << jobs << " asked for";
  }
  TestRunnerOptions o;
  o.batch = 1;
  o.latency_ms = 2;
  CountingRunner r(make_test_runner(o), 3);
  PoolOptions po;
  po.jobs_per_runner = 2;  // the caller's number wins
  Collected got;
  EXPECT_TRUE(run_pool({&r}, 30, load_index, got.sink(), po).complete());
  EXPECT_EQ(r.most.load(), 2);
}

TEST(Pool, AHungRunnerTimesOutIsRetiredAndTheOthersFinish) {
  TestRunnerOptions o;
  o.batch = 2;
  o.hang_jobs = {1};  // each runner's second job hangs
  auto runners = test_runners(1, o);
  TestRunnerOptions healthy = o;
  healthy.hang_jobs = {};
  runners.push_back(make_test_runner(healthy));
  Collected got;
  PoolOptions po;
  po.jobs.timeout_ms = 50;
  PoolStats s = run_pool(raw(runners), 40, load_index, got.sink(), po);
  EXPECT_FALSE(s.stopped) << s.stop_reason;
  ASSERT_EQ(s.failures.size(), 2u);  // the hung job's two images
  EXPECT_NE(s.failures[0].error.find("did not finish within 50 ms"), std::string::npos) << s.failures[0].error;
  EXPECT_EQ(s.completed, 38u);
  EXPECT_EQ(s.completed + s.failures.size(), 40u);
  EXPECT_EQ(got.duplicates, 0);
}

TEST(Pool, WhenEveryRunnerHangsTheRunStopsAndSaysSo) {
  TestRunnerOptions o;
  o.batch = 1;
  o.hang_jobs = {0};
  auto runners = test_runners(2, o);
  Collected got;
  PoolOptions po;
  po.jobs.timeout_ms = 30;
  PoolStats s = run_pool(raw(runners), 10, load_index, got.sink(), po);
  EXPECT_TRUE(s.stopped);
  EXPECT_NE(s.stop_reason.find("every runner timed out"), std::string::npos) << s.stop_reason;
  EXPECT_EQ(s.completed, 0u);
  EXPECT_EQ(s.failures.size(), 2u);
  EXPECT_FALSE(s.complete());
}

TEST(Pool, CancellingMidRunStopsCleanly) {
  TestRunnerOptions o;
  o.batch = 1;
  o.latency_ms = 1;
  auto runners = test_runners(2, o);
  std::atomic<bool> cancel{false};
  std::atomic<int> seen{0};
  auto sink = [&](std::size_t, const float*, std::size_t) {
    if (++seen == 20) cancel = true;
  };
  PoolOptions po;
  po.jobs.cancel = &cancel;
  PoolStats s = run_pool(raw(runners), 100000, load_index, sink, po);
  EXPECT_TRUE(s.stopped);
  EXPECT_EQ(s.stop_reason, "cancelled");
  EXPECT_GE(s.completed, 20u);
  EXPECT_LT(s.completed, 100000u);
  EXPECT_EQ(s.completed, std::size_t(seen.load()));
}

TEST(Pool, NoImagesIsAnEmptyCompleteRun) {
  auto runners = test_runners(2, TestRunnerOptions{});
  Collected got;
  PoolStats s = run_pool(raw(runners), 0, load_index, got.sink());
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(s.jobs, 0u);
}

TEST(Pool, RunnersThatTakeDifferentTensorsAreRefused) {
  TestRunnerOptions a, b;
  b.batch = 2;
  auto ra = make_test_runner(a), rb = make_test_runner(b);
  Collected got;
  try {
    run_pool({ra.get(), rb.get()}, 10, load_index, got.sink());
    FAIL() << "mismatched runners were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("different tensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run_pool({}, 10, load_index, got.sink()), Error);
}

// The CPU runners in the pool give what the executor gives directly, image for image.
void expect_pool_matches_executor(const std::string& model_file, const std::string& data_dir) {
  Model model = Model::load(model_file);
  Manifest m;
  m.preprocessing.scale = 1.f / 255.f;
  Dataset data = Dataset::open(data_dir);
  const std::size_t n = 37;
  std::vector<float> images = test::load_images(data, m, n);
  std::vector<float> expected = test::run_images(model, images, n);

  std::vector<std::unique_ptr<Runner>> runners;
  for (int i = 0; i < 2; ++i) runners.push_back(make_cpu_runner(model, CpuRunnerOptions{8, CpuOptions{1}}));
  const TensorInfo& in = runners[0]->input_tensors()[0];
  if (model.is_integer()) {
    ASSERT_EQ(in.type, DataType::kInt8);
    ASSERT_TRUE(in.fix_point.has_value());
  }
  const std::size_t per_image = 32 * 32 * 3;
  auto load = [&](std::size_t i, const TensorInfo& t, std::byte* out) {
    const float* x = images.data() + i * per_image;
    if (t.type == DataType::kInt8) quantize_input(x, per_image, *t.fix_point, reinterpret_cast<std::int8_t*>(out));
    else std::memcpy(out, x, per_image * sizeof(float));
  };
  Collected got;
  PoolStats s = run_pool(raw(runners), n, load, got.sink());
  ASSERT_TRUE(s.complete()) << s.stop_reason;
  const std::size_t classes = expected.size() / n;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < classes; ++c)
      ASSERT_EQ(got.outputs[i][c], expected[i * classes + c]) << "image " << i << " class " << c;
}

TEST(Pool, CpuFloatRunnersMatchTheExecutor) {
  const auto model = test::shared("models/tf-resnet56-cifar10/float_frozen.pb");
  DPURUN_REQUIRE_SHARED(model);
  expect_pool_matches_executor(model, test::shared("data/cifar10-test-jpg"));
}

TEST(Pool, CpuInt8RunnersTakeTheDpuInputAndMatchTheExecutor) {
  const auto model = test::shared("models/tf-resnet56-cifar10/quantize_eval_model.pb");
  DPURUN_REQUIRE_SHARED(model);
  expect_pool_matches_executor(model, test::shared("data/cifar10-test-jpg"));
}

}  // namespace
}  // namespace dpurun

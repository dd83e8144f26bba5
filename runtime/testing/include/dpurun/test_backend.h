// The test backend: a stand-in device for tests and benchmarks of the pool and the harness. It
// lives in the dpurun_testing library, not in the one applications link.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/isolation.h"
#include "dpurun/runner.h"

namespace dpurun {

// A device several test runners share: their jobs run one after another on it, as on one DPU.
struct TestDevice;
std::shared_ptr<TestDevice> make_test_device();

// The test backend: a stand-in device whose latency and failures the caller controls.
// Output c of image b is input[b][0] + c (as float), so a test can tell which image it belongs to.
struct TestRunnerOptions {
  int batch = 1;
  Shape image_shape = {32, 32, 3};  // H, W, C
  DataType input_type = DataType::kFloat32;
  std::optional<int> input_fix_point;
  int outputs = 10;
  double latency_ms = 0;            // per job
  double latency_ms_per_image = 0;  // added per image of the batch
  // Jobs (numbered from 0 per runner, in submission order) that fail, or never finish.
  std::vector<std::uint32_t> fail_jobs, hang_jobs;
  // Jobs whose input[b][0] equals this value fail (lets a test fail a chosen image on any runner).
  std::optional<float> fail_on_value;
  // Jobs with an image whose input[b][0] is one of these end the process: abort(), SIGSEGV, or
  // hang forever whatever wait's timeout (a DPU that never answers). For isolated runners.
  std::vector<float> abort_on_values, crash_on_values, stuck_on_values;
  // Shared with other runners: jobs queue for it. Null: this runner has a device of its own.
  std::shared_ptr<TestDevice> device;
};
std::unique_ptr<Runner> make_test_runner(const TestRunnerOptions& options);

// The options as a worker's arguments, and back (a shared `device` is shared memory that the
// worker maps by name).
std::vector<std::string> to_args(const TestRunnerOptions& options);
TestRunnerOptions test_runner_options(const std::vector<std::string>& args);  // throws Error
// A test runner in a worker process (dpurun-test-worker; DPURUN_TEST_WORKER overrides its path).
std::unique_ptr<Runner> make_isolated_test_runner(const TestRunnerOptions& options,
                                                  const IsolationOptions& isolation = {});

}  // namespace dpurun

// The CPU reference backend for float models. One executor serves one thread at a time; create
// one per thread to run in parallel (they share the model's weights).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dpurun/model.h"

namespace dpurun {

enum class KernelChoice {
  kFast,       // oneDNN where available, reference kernels elsewhere
  kReference,  // the plain loops only: the oracle
};

// Threads a CPU executor uses by default: OMP_NUM_THREADS where set, else every core.
int default_cpu_threads();

struct CpuOptions {
  int threads = 0;  // 0: default_cpu_threads()
  KernelChoice kernels = KernelChoice::kFast;
  bool profile = false;  // time each kernel (CpuExecutor::kernel_times)
};

// Where a profiled executor's runs went: per kernel (e.g. "onednn conv int8"), the wall time of
// its steps summed over every run, and of the runs themselves (copies in and out included).
struct KernelTimes {
  std::vector<std::pair<std::string, double>> seconds_by_kernel;  // largest first
  double run_seconds = 0;
  std::int64_t runs = 0;
};

class CpuExecutor {
 public:
  CpuExecutor(const Model& model, const CpuOptions& options = {});
  ~CpuExecutor();
  CpuExecutor(CpuExecutor&&) noexcept;
  CpuExecutor& operator=(CpuExecutor&&) noexcept;

  const TensorInfo& input() const;
  const TensorInfo& output() const;
  std::int64_t input_elements() const;   // per image
  std::int64_t output_elements() const;  // per image

  // input: batch × input_elements() floats (NHWC); output: batch × output_elements().
  // The first call at a batch size plans it (kernels chosen, weights packed, memory laid out).
  void run(const float* input, float* output, int batch);

  // Integer models whose input feeds only the graph's Quantize: the fix point at which they take
  // int8 input, as the DPU does; else nullopt.
  std::optional<int> int8_input_fix_point() const;
  // The same run from int8 input at int8_input_fix_point(), with no float round trip: the values
  // go straight to the Quantize's output. Throws Error where int8_input_fix_point() is nullopt.
  void run(const std::int8_t* input, float* output, int batch);

  // With CpuOptions::profile: the time of every run so far, by kernel; else empty.
  KernelTimes kernel_times() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpurun

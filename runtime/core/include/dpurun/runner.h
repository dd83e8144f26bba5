// The runner: one model instance that runs batches, shaped like VART's vart::Runner (tensor
// descriptions, execute_async returning a job id, wait with a timeout). The CPU reference, the
// VART backend and the test backend implement it; the pool drives several of them in threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/cpu_executor.h"
#include "dpurun/tensor.h"

namespace dpurun {

// Host memory of one tensor for a whole batch; info.shape[0] is the batch.
struct TensorBuffer {
  TensorInfo info;
  std::byte* data = nullptr;
  std::size_t bytes = 0;
};

// The memory of one job: a buffer per input and per output tensor. A runner may hand out memory
// its device reads directly (VART's own tensor buffers); the pool writes the inputs into it.
class JobBuffers {
 public:
  virtual ~JobBuffers() = default;
  std::vector<TensorBuffer> inputs, outputs;
};

// kTimeout: the job may still use its buffers, so its runner takes no more jobs; kLost: the
// runner can run no more jobs (an isolated runner whose worker cannot be restarted).
enum class JobState { kDone, kTimeout, kFailed, kLost };

struct JobStatus {
  JobState state = JobState::kDone;
  std::string error;     // kFailed / kTimeout: what happened
  double device_ms = 0;  // time on the device (the DPU), when the runner knows it; else 0
};

class Runner {
 public:
  virtual ~Runner() = default;
  virtual std::string name() const = 0;  // e.g. "cpu float32", "vart DPUCZDX8G_ISA0_B4096"
  // Dimension 0 of every shape is the batch this runner takes per job.
  virtual const std::vector<TensorInfo>& input_tensors() const = 0;
  virtual const std::vector<TensorInfo>& output_tensors() const = 0;
  int batch() const;
  // Multiply-adds × 2 per image, where the runner knows them (the CPU reference); else 0.
  virtual double flops_per_image() const { return 0; }

  // Jobs to keep submitted so that the device never waits for the host between two: 2 (one
  // running, the next queued); 1 for a runner that does the work in execute_async itself.
  virtual int jobs_in_flight() const { return 2; }

  // Buffers for one job; the default is plain host memory.
  virtual std::unique_ptr<JobBuffers> allocate_buffers();
  // Buffers over memory the caller owns (e.g. shared with another process), one block per tensor
  // in the order of input_tensors() and output_tensors(), each as large as its tensor. The memory
  // must outlive every job on them. Null when the runner needs memory of its own (VART's).
  virtual std::unique_ptr<JobBuffers> buffers_over(const std::vector<std::byte*>& inputs,
                                                   const std::vector<std::byte*>& outputs);
  // Starts a job; `buffers` must stay alive until wait() reports it done or failed (after a
  // timeout the job may still be using them). Throws Error when the job cannot start.
  virtual std::uint32_t execute_async(JobBuffers& buffers) = 0;
  // Waits up to timeout_ms (negative: without limit) for the job.
  virtual JobStatus wait(std::uint32_t job, int timeout_ms) = 0;
};

// Float → int8 at a fix point as the DPU's input takes it: x · 2^fix_point rounded half up
// (DPU_ROUND) and saturated to [-128, 127]; NaN becomes 0.
void quantize_input(const float* x, std::size_t count, int fix_point, std::int8_t* out);
// The same with the rounding and overflow an application uses (see InputConversion).
void quantize_input(const float* x, std::size_t count, int fix_point, std::int8_t* out,
                    InputConversion conversion);
// Tensor values as floats: int8 scaled by 2^-fix_point, float copied.
void dequantize_tensor(const TensorInfo& info, const std::byte* data, std::size_t count, float* out);

// The CPU reference as a runner: float models take float input; quantized models take the int8
// input the DPU takes (with its fix point) and run the bit-exact integer emulation.
struct CpuRunnerOptions {
  int batch = 1;
  CpuOptions cpu;
};
std::unique_ptr<Runner> make_cpu_runner(const Model& model, const CpuRunnerOptions& options);

}  // namespace dpurun

// The CPU executor behind the runner interface. It runs synchronously in execute_async (as VART's
// CPU runner does); wait() only reports the outcome.
#include <chrono>
#include <mutex>

#include "dpurun/error.h"
#include "dpurun/runner.h"
#include "graph/graph.h"

namespace dpurun {
namespace {

// The fix point of the Quantize that reads the graph's input directly: the DPU takes the input
// as int8 at that point.
std::optional<int> input_fix_point(const Model& model) {
  const auto& g = model.graph();
  for (const auto& n : g.nodes)
    if (n.op == graph::OpType::kQuantize && n.inputs[0] == g.inputs[0])
      return g.value(n.outputs[0]).fix->fix_point;
  return std::nullopt;
}

class CpuRunner : public Runner {
 public:
  CpuRunner(const Model& model, const CpuRunnerOptions& o)
      : exec_(model, o.cpu), batch_(o.batch), integer_(model.is_integer()), flops_(model.flops_per_image()) {
    if (o.batch < 1) throw Error(ErrorCode::kInvalidArgument, "the runner's batch must be at least 1");
    TensorInfo in = exec_.input();
    in.shape[0] = o.batch;
    if (integer_) {
      if (auto fp = input_fix_point(model)) {
        in.type = DataType::kInt8;
        in.fix_point = fp;
      }
    }
    TensorInfo out = exec_.output();
    out.shape[0] = o.batch;
    inputs_ = {in};
    outputs_ = {out};
    name_ = integer_ ? "cpu int8 (DPU emulation)" : "cpu float32";
    // int8 input goes straight to the model's Quantize output where the executor can take it;
    // else through float (exact: int8 → float → Quantize gives the int8 back).
    if (inputs_[0].type == DataType::kInt8 && exec_.int8_input_fix_point() != inputs_[0].fix_point)
      float_input_.resize(static_cast<std::size_t>(exec_.input_elements() * o.batch));
  }

  std::string name() const override { return name_; }
  double flops_per_image() const override { return flops_; }
  const std::vector<TensorInfo>& input_tensors() const override { return inputs_; }
  const std::vector<TensorInfo>& output_tensors() const override { return outputs_; }

  int jobs_in_flight() const override { return 1; }  // it runs in execute_async

  std::uint32_t execute_async(JobBuffers& b) override {
    if (b.inputs.size() != 1 || b.outputs.size() != 1 ||
        b.inputs[0].bytes < static_cast<std::size_t>(element_count(inputs_[0].shape)) * size_of(inputs_[0].type) ||
        b.outputs[0].bytes < static_cast<std::size_t>(element_count(outputs_[0].shape)) * sizeof(float))
      throw Error(ErrorCode::kInvalidArgument, name_ + ": job buffers do not match the runner's tensors");
    auto start = std::chrono::steady_clock::now();
    JobStatus status;
    try {
      auto* out = reinterpret_cast<float*>(b.outputs[0].data);
      if (inputs_[0].type == DataType::kInt8 && float_input_.empty()) {
        exec_.run(reinterpret_cast<const std::int8_t*>(b.inputs[0].data), out, batch_);
      } else if (!float_input_.empty()) {
        dequantize_tensor(inputs_[0], b.inputs[0].data, float_input_.size(), float_input_.data());
        exec_.run(float_input_.data(), out, batch_);
      } else {
        exec_.run(reinterpret_cast<const float*>(b.inputs[0].data), out, batch_);
      }
    } catch (const std::exception& e) {
      status.state = JobState::kFailed;
      status.error = e.what();
    }
    status.device_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard lock(mutex_);
    done_.emplace_back(next_job_, std::move(status));
    return next_job_++;
  }

  JobStatus wait(std::uint32_t job, int /*timeout_ms*/) override {
    std::lock_guard lock(mutex_);
    for (auto it = done_.begin(); it != done_.end(); ++it)
      if (it->first == job) {
        JobStatus s = std::move(it->second);
        done_.erase(it);
        return s;
      }
    return JobStatus{JobState::kFailed, name_ + ": no job " + std::to_string(job), 0};
  }

 private:
  CpuExecutor exec_;
  int batch_;
  bool integer_;
  double flops_;
  std::string name_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::vector<float> float_input_;
  std::mutex mutex_;
  std::uint32_t next_job_ = 0;
  std::vector<std::pair<std::uint32_t, JobStatus>> done_;
};

}  // namespace

std::unique_ptr<Runner> make_cpu_runner(const Model& model, const CpuRunnerOptions& options) {
  return std::make_unique<CpuRunner>(model, options);
}

}  // namespace dpurun

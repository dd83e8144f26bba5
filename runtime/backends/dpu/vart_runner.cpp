// A compiled model is a chain of subgraphs: USER (the input), DPU (a vart::Runner each), and CPU
// (fix2float, softmax, custom ops…), which run on dpurun's CPU executor. Tensors pass between
// them by name; DPU runners read and write their own buffers where they provide them.
#include "dpu/vart_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <condition_variable>
#include <deque>
#include <map>
#include <thread>
#include <mutex>
#include <optional>
#include <xir/attrs/attrs.hpp>
#include <xir/graph/graph.hpp>
#include <xir/graph/subgraph.hpp>
#include <vart/mm/host_flat_tensor_buffer.hpp>
#include <vart/runner.hpp>
#include <vart/runner_ext.hpp>

#include "dpu/dpu_check.h"
#include "dpu/partition.h"
#include "dpurun/backends.h"
#include "dpurun/error.h"
#include "dpurun/machine.h"

namespace dpurun::backends::dpu {
namespace {

using Clock = std::chrono::steady_clock;

// Host memory for a tensor as VART sees it; `tensor` must outlive it.
struct OwnedBuffer {
  std::unique_ptr<xir::Tensor> tensor;
  std::unique_ptr<::vart::TensorBuffer> buffer;
};

std::pair<std::byte*, std::size_t> bytes_of(::vart::TensorBuffer* tb) {
  std::vector<std::int32_t> origin(tb->get_tensor()->get_shape().size(), 0);
  auto [addr, size] = tb->data(origin);
  return {reinterpret_cast<std::byte*>(addr), size};
}

bool on_device(::vart::TensorBuffer* tb) {
  return tb->get_location() != ::vart::TensorBuffer::location_t::HOST_VIRT;
}

// One job's memory. Held by the pool's buffer set and by the worker while a job runs on it, so
// that a job that never returns (a hung DPU) never writes into freed memory.
struct Memory {
  std::vector<std::vector<::vart::TensorBuffer*>> in, out;  // per DPU step (empty for others)
  std::vector<std::vector<float>> cpu_in, cpu_out;         // per CPU step
  std::vector<OwnedBuffer> owned;
};

class VartJobBuffers : public JobBuffers {
 public:
  std::shared_ptr<Memory> memory = std::make_shared<Memory>();
};

// What a runner's worker thread uses: the VART runners, the CPU executors, and the job queue.
// Shared with the worker, so that a worker stuck in VART outlives its VartRunner safely.
struct Device {
  std::shared_ptr<Plan> plan;
  std::unique_ptr<xir::Attrs> attrs;
  std::vector<std::unique_ptr<::vart::Runner>> runners;  // per step; null for CPU steps
  std::vector<std::unique_ptr<CpuExecutor>> executors;    // per CPU step, in order
  int batch = 1;
  int timeout_ms = 10000;  // the last wait()'s: how long the destructor lets a running job finish

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::pair<std::uint32_t, std::shared_ptr<Memory>>> queue;
  std::map<std::uint32_t, JobStatus> done;
  bool busy = false, stop = false;

  void work() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;  // stopped
      auto [id, memory] = std::move(queue.front());
      queue.pop_front();
      busy = true;
      lock.unlock();
      JobStatus st;
      try {
        st = run_chain(*memory);
      } catch (const std::exception& e) {
        st = JobStatus{JobState::kFailed, e.what(), 0};
      }
      lock.lock();
      busy = false;
      done[id] = std::move(st);
      cv.notify_all();
    }
  }

  // Where a tensor of the chain is, by name: a DPU buffer (int8) or a CPU step's floats.
  struct Location {
    ::vart::TensorBuffer* dpu = nullptr;
    std::vector<float>* floats = nullptr;
    std::optional<int> fix_point;
  };

  static void copy_to_dpu(const Location& from, ::vart::TensorBuffer* to) {
    auto [dst, size] = bytes_of(to);
    auto fp = fix_point_of(to->get_tensor());
    if (from.dpu) {
      auto [src, n] = bytes_of(from.dpu);
      if (on_device(from.dpu)) from.dpu->sync_for_read(0, n);
      std::memcpy(dst, src, std::min(n, size));
    } else {
      quantize_input(from.floats->data(), std::min(from.floats->size(), size), fp.value_or(0),
                     reinterpret_cast<std::int8_t*>(dst));
    }
  }

  static void to_floats(const Location& from, std::vector<float>& to) {
    if (from.floats) {
      to = *from.floats;
      return;
    }
    auto [src, n] = bytes_of(from.dpu);
    if (on_device(from.dpu)) from.dpu->sync_for_read(0, n);
    const TensorInfo int8{"", {}, DataType::kInt8, from.fix_point.value_or(0)};
    dequantize_tensor(int8, src, std::min(to.size(), n), to.data());
  }

  JobStatus run_chain(Memory& b) {
    std::map<std::string, Location> where;
    double device_ms = 0;
    std::size_t cpu_index = 0;
    for (std::size_t s = 0; s < plan->steps.size(); ++s) {
      const Step& step = plan->steps[s];
      if (step.kind == Step::kDpu) {
        auto* r = runners[s].get();
        for (auto* tb : b.in[s]) {
          auto it = where.find(tb->get_tensor()->get_name());
          if (it != where.end()) copy_to_dpu(it->second, tb);
          if (on_device(tb)) tb->sync_for_write(0, bytes_of(tb).second);
        }
        auto t0 = Clock::now();
        auto [job, rc] = r->execute_async(b.in[s], b.out[s]);
        if (rc != 0)
          return JobStatus{JobState::kFailed, dpu_description(step.subgraph) + ": execute_async returned " + std::to_string(rc), device_ms};
        // VART's DPU runners finish the job in execute_async; the bound is wait()'s, below.
        int w = r->wait(static_cast<int>(job), -1);
        device_ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (w != 0)
          return JobStatus{JobState::kFailed, dpu_description(step.subgraph) + ": wait returned " + std::to_string(w), device_ms};
        for (auto* tb : b.out[s]) where[tb->get_tensor()->get_name()] = Location{tb, nullptr, fix_point_of(tb->get_tensor())};
      } else {
        auto it = where.find(step.inputs[0]->get_name());
        if (it == where.end())
          return JobStatus{JobState::kFailed, "CPU subgraph '" + step.subgraph->get_name() + "' reads '" +
                                                  step.inputs[0]->get_name() + "', which no earlier subgraph wrote", device_ms};
        Location in = it->second;
        if (!in.fix_point) in.fix_point = fix_point_of(step.inputs[0]);
        to_floats(in, b.cpu_in[s]);
        if (step.kind == Step::kDequantize) {
          b.cpu_out[s] = b.cpu_in[s];
        } else {
          executors[cpu_index++]->run(b.cpu_in[s].data(), b.cpu_out[s].data(), batch);
        }
        where[step.outputs[0]->get_name()] = Location{nullptr, &b.cpu_out[s], std::nullopt};
      }
    }
    if (plan->steps.back().kind == Step::kDpu)
      for (auto* tb : b.out.back())
        if (on_device(tb)) tb->sync_for_read(0, bytes_of(tb).second);
    return JobStatus{JobState::kDone, "", device_ms};
  }
};

// Jobs run on a worker thread, so that wait() can give up on a DPU that never answers.
class VartRunner : public Runner {
 public:
  VartRunner(std::shared_ptr<Plan> plan, const std::string& dpu_lib) : d_(std::make_shared<Device>()) {
    d_->plan = std::move(plan);
    const Plan& p = *d_->plan;
    d_->attrs = xir::Attrs::create();
    if (!dpu_lib.empty()) d_->attrs->set_attr("lib", std::map<std::string, std::string>{{"DPU", dpu_lib}});
    for (const auto& step : p.steps) {
      std::unique_ptr<::vart::Runner> r;
      if (step.kind == Step::kDpu) {
        check_dpu_available(p, step, dpu_lib);
        try {
          r = ::vart::Runner::create_runner_with_attrs(step.subgraph, d_->attrs.get());
        } catch (const std::exception& e) {
          throw no_runner(step, e.what());
        }
        if (!r) throw no_runner(step, "VART returned no runner");
        if (name_.empty())
          name_ = "vart " + (step.subgraph->has_attr("dpu_name") ? step.subgraph->get_attr<std::string>("dpu_name")
                                                                  : std::string("DPU")) +
                  (dpu_lib.empty() ? "" : " (" + dpu_lib + ")");
      } else if (step.kind == Step::kCpu) {
        d_->executors.emplace_back(std::make_unique<CpuExecutor>(*step.model, CpuOptions{1}));
      }
      d_->runners.push_back(std::move(r));
    }
    auto* first = d_->runners.front().get();
    for (auto* t : first->get_input_tensors()) inputs_.push_back(info_of(t, p.path));
    d_->batch = static_cast<int>(inputs_.at(0).shape.at(0));
    const Step& last = p.steps.back();
    if (last.kind == Step::kDpu) {
      for (auto* t : d_->runners.back()->get_output_tensors()) outputs_.push_back(info_of(t, p.path));
    } else {
      TensorInfo o = info_of(last.outputs[0], p.path);
      o.shape[0] = d_->batch;
      o.type = DataType::kFloat32;
      o.fix_point.reset();
      outputs_.push_back(o);
    }
    worker_ = std::thread([d = d_] { d->work(); });
  }

  ~VartRunner() override {
    std::unique_lock lock(d_->mutex);
    d_->stop = true;
    d_->cv.notify_all();
    // A job stuck in VART keeps the worker; it holds the device state and memory it uses.
    const int grace_ms = d_->timeout_ms < 0 ? 10000 : std::max(d_->timeout_ms, 100);
    bool idle = d_->cv.wait_for(lock, std::chrono::milliseconds(grace_ms),
                                [&] { return !d_->busy; });
    lock.unlock();
    if (idle) worker_.join();
    else worker_.detach();
  }

  std::string name() const override { return name_; }
  const std::vector<TensorInfo>& input_tensors() const override { return inputs_; }
  const std::vector<TensorInfo>& output_tensors() const override { return outputs_; }

  // The first set uses the DPU runners' own buffers where they offer them; later sets are host
  // memory the runners copy from.
  std::unique_ptr<JobBuffers> allocate_buffers() override {
    auto jb = std::make_unique<VartJobBuffers>();
    Memory& b = *jb->memory;
    const bool use_own = !own_buffers_taken_;
    own_buffers_taken_ = true;
    const Plan& p = *d_->plan;
    for (std::size_t s = 0; s < p.steps.size(); ++s) {
      const Step& step = p.steps[s];
      b.in.emplace_back();
      b.out.emplace_back();
      b.cpu_in.emplace_back();
      b.cpu_out.emplace_back();
      if (step.kind == Step::kDpu) {
        auto* r = d_->runners[s].get();
        auto* ext = use_own ? dynamic_cast<::vart::RunnerExt*>(r) : nullptr;
        if (ext && !ext->get_inputs().empty() && contiguous(ext->get_inputs()) && contiguous(ext->get_outputs())) {
          b.in.back() = ext->get_inputs();
          b.out.back() = ext->get_outputs();
        } else {
          for (auto* t : r->get_input_tensors()) b.in.back().push_back(own(b, t));
          for (auto* t : r->get_output_tensors()) b.out.back().push_back(own(b, t));
        }
        // VART's host buffers start uninitialised; a run must not depend on what was there.
        for (auto* list : {&b.in.back(), &b.out.back()})
          for (auto* tb : *list) {
            auto [d, n] = bytes_of(tb);
            std::memset(d, 0, n);
          }
      } else {
        auto elems = [&](const xir::Tensor* t) {
          return static_cast<std::size_t>(t->get_element_num() / t->get_shape()[0]) * static_cast<std::size_t>(d_->batch);
        };
        b.cpu_in.back().resize(elems(step.inputs[0]));
        b.cpu_out.back().resize(elems(step.outputs[0]));
      }
    }
    auto [in_data, in_size] = bytes_of(b.in.front().at(0));
    jb->inputs.push_back(TensorBuffer{inputs_[0], in_data, in_size});
    if (p.steps.back().kind == Step::kDpu) {
      auto [d, n] = bytes_of(b.out.back().at(0));
      jb->outputs.push_back(TensorBuffer{outputs_[0], d, n});
    } else {
      float* d = b.cpu_out.back().data();
      jb->outputs.push_back(TensorBuffer{outputs_[0], reinterpret_cast<std::byte*>(d), b.cpu_out.back().size() * sizeof(float)});
    }
    return jb;
  }

  // Jobs run on VART's tensor buffers (VartJobBuffers), not on memory of the caller's.
  std::unique_ptr<JobBuffers> buffers_over(const std::vector<std::byte*>&, const std::vector<std::byte*>&) override {
    return nullptr;
  }

  std::uint32_t execute_async(JobBuffers& jb) override {
    auto& b = dynamic_cast<VartJobBuffers&>(jb);
    std::lock_guard lock(d_->mutex);
    const std::uint32_t id = next_job_++;
    d_->queue.emplace_back(id, b.memory);
    d_->cv.notify_all();
    return id;
  }

  JobStatus wait(std::uint32_t job, int timeout_ms) override {
    std::unique_lock lock(d_->mutex);
    d_->timeout_ms = timeout_ms;
    auto ready = [&] { return d_->done.count(job) > 0; };
    if (timeout_ms < 0) d_->cv.wait(lock, ready);
    else if (!d_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready))
      return JobStatus{JobState::kTimeout, "the DPU did not finish job " + std::to_string(job) + " within " +
                                               std::to_string(timeout_ms) + " ms",
                       0};
    JobStatus s = std::move(d_->done.at(job));
    d_->done.erase(job);
    return s;
  }

 private:
  Error no_runner(const Step& step, const std::string& why) const {
    std::string board = xdputil_query();
    return Error(ErrorCode::kDevice,
                 d_->plan->path + ": VART could not create a DPU runner for " + dpu_description(step.subgraph) +
                     ": " + why +
                     what_to_do(board));
  }

  // The pool reads and writes a whole batch as one block; a runner whose buffers keep each
  // batch element elsewhere (some Alveo DPUs) gets host buffers instead.
  static bool contiguous(const std::vector<::vart::TensorBuffer*>& buffers) {
    for (auto* tb : buffers) {
      const auto shape = tb->get_tensor()->get_shape();
      auto [base, size] = bytes_of(tb);
      const std::size_t per = size / static_cast<std::size_t>(std::max(shape[0], 1));
      for (std::int32_t b = 1; b < shape[0]; ++b) {
        std::vector<std::int32_t> idx(shape.size(), 0);
        idx[0] = b;
        if (reinterpret_cast<std::byte*>(tb->data(idx).first) != base + per * static_cast<std::size_t>(b)) return false;
      }
    }
    return true;
  }

  static ::vart::TensorBuffer* own(Memory& b, const xir::Tensor* t) {
    OwnedBuffer o;
    o.tensor = xir::Tensor::create(t->get_name(), t->get_shape(), t->get_data_type());
    o.tensor->set_attrs(t->get_attrs());
    o.buffer = std::make_unique<::vart::mm::HostFlatTensorBuffer>(o.tensor.get());
    auto* p = o.buffer.get();
    b.owned.push_back(std::move(o));
    return p;
  }

  std::shared_ptr<Device> d_;
  std::thread worker_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::string name_;
  bool own_buffers_taken_ = false;
  std::uint32_t next_job_ = 0;  // under d_->mutex
};

}  // namespace

std::vector<std::unique_ptr<Runner>> make_vart_runners(const std::string& model_file, int count,
                                                       const std::string& dpu_lib) {
  auto plan = plan_model(model_file);
  std::vector<std::unique_ptr<Runner>> runners;
  for (int i = 0; i < count; ++i) runners.push_back(std::make_unique<VartRunner>(plan, dpu_lib));
  return runners;
}

}  // namespace dpurun::backends::dpu

#include "dpurun/cpu_executor.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "cpu/plan.h"
#include "dpurun/error.h"
#include "graph/graph.h"

namespace dpurun {

int default_cpu_threads() {
  // From the environment, not omp_get_max_threads(): the calling thread may have set its own.
  static const int threads = [] {
    const char* env = std::getenv("OMP_NUM_THREADS");
    int n = env ? std::atoi(env) : 0;  // a list such as "4,2" gives its first level
    return n > 0 ? n : omp_get_num_procs();
  }();
  return threads;
}

struct CpuExecutor::Impl {
  Model model;
  CpuOptions options;
  std::int64_t in_elems = 0, out_elems = 0;
  std::map<int, std::unique_ptr<cpu::Plan>> plans;
  std::optional<int> int8_fix_point;  // where the model takes int8 input

  cpu::Plan& plan(int batch);
};

CpuExecutor::CpuExecutor(const Model& model, const CpuOptions& options)
    : impl_(std::make_unique<Impl>(Impl{model, options, 0, 0, {}, std::nullopt})) {
  if (model.inputs().size() != 1)
    throw Error(ErrorCode::kUnsupported,
                model.path() + ": the CPU executor runs models with one input; this one has " +
                    std::to_string(model.inputs().size()));
  if (options.threads < 0)
    throw Error(ErrorCode::kInvalidArgument, "threads must be 0 (all cores) or more");
  const Shape& is = model.inputs()[0].shape;
  const Shape& os = model.outputs()[0].shape;
  impl_->in_elems = element_count(Shape(is.begin() + 1, is.end()));
  impl_->out_elems = element_count(Shape(os.begin() + 1, os.end()));
  if (auto q = cpu::int8_input_node(model.graph()))
    impl_->int8_fix_point = model.graph().value(model.graph().nodes[*q].outputs[0]).fix->fix_point;
}

CpuExecutor::~CpuExecutor() = default;
CpuExecutor::CpuExecutor(CpuExecutor&&) noexcept = default;
CpuExecutor& CpuExecutor::operator=(CpuExecutor&&) noexcept = default;

const TensorInfo& CpuExecutor::input() const { return impl_->model.inputs()[0]; }
const TensorInfo& CpuExecutor::output() const { return impl_->model.outputs()[0]; }
std::int64_t CpuExecutor::input_elements() const { return impl_->in_elems; }
std::int64_t CpuExecutor::output_elements() const { return impl_->out_elems; }

namespace {

// Sets this thread's OpenMP team for the executor. OpenMP's thread count is per calling thread,
// so each executor's thread sets its own. Never above OMP_THREAD_LIMIT: oneDNN plans for
// omp_get_max_threads() threads and computes wrong results when the team it gets is smaller.
void set_threads(const CpuOptions& options) {
  int threads = options.threads > 0 ? options.threads : default_cpu_threads();
  omp_set_num_threads(std::min(threads, omp_get_thread_limit()));
}

}  // namespace

cpu::Plan& CpuExecutor::Impl::plan(int batch) {
  if (batch < 1) throw Error(ErrorCode::kInvalidArgument, "batch must be at least 1");
  set_threads(options);
  auto& p = plans[batch];
  if (!p) p = std::make_unique<cpu::Plan>(model.graph(), batch, options.kernels, options.profile);
  return *p;
}

void CpuExecutor::run(const float* input, float* output, int batch) { impl_->plan(batch).run(input, output); }

std::optional<int> CpuExecutor::int8_input_fix_point() const { return impl_->int8_fix_point; }

void CpuExecutor::run(const std::int8_t* input, float* output, int batch) {
  if (!impl_->int8_fix_point)
    throw Error(ErrorCode::kInvalidArgument, impl_->model.path() + ": this model takes float input, not int8");
  impl_->plan(batch).run(input, output);
}

KernelTimes CpuExecutor::kernel_times() const {
  KernelTimes t;
  std::map<std::string, double> by_kernel;
  for (const auto& entry : impl_->plans) {
    const cpu::Plan* p = entry.second.get();
    for (std::size_t i = 0; i < p->step_kernels().size(); ++i) by_kernel[p->step_kernels()[i]] += p->step_seconds()[i];
    t.run_seconds += p->run_seconds();
    t.runs += p->runs();
  }
  t.seconds_by_kernel.assign(by_kernel.begin(), by_kernel.end());
  std::sort(t.seconds_by_kernel.begin(), t.seconds_by_kernel.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (t.runs == 0) t.seconds_by_kernel.clear();
  return t;
}

}  // namespace dpurun

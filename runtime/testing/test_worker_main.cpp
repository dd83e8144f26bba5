// dpurun-test-worker: the worker program of isolated test runners (arguments: the test runner's
// options, to_args), and a stand-in for dpurun-worker (DPURUN_WORKER) whose runners abort on cue:
// with backend arguments (model=…) it serves that backend's runner, and with
// DPURUN_TEST_ABORT_EVERY=N set, every N-th job of the worker ends it with abort().
#include <cstdlib>
#include <string>
#include <vector>

#include "dpurun/backends.h"
#include "dpurun/isolation.h"
#include "dpurun/test_backend.h"

namespace {

class AbortingRunner : public dpurun::Runner {
 public:
  AbortingRunner(std::unique_ptr<dpurun::Runner> r, long every) : r_(std::move(r)), every_(every) {}
  std::string name() const override { return r_->name(); }
  const std::vector<dpurun::TensorInfo>& input_tensors() const override { return r_->input_tensors(); }
  const std::vector<dpurun::TensorInfo>& output_tensors() const override { return r_->output_tensors(); }
  double flops_per_image() const override { return r_->flops_per_image(); }
  int jobs_in_flight() const override { return r_->jobs_in_flight(); }
  std::unique_ptr<dpurun::JobBuffers> allocate_buffers() override { return r_->allocate_buffers(); }
  std::unique_ptr<dpurun::JobBuffers> buffers_over(const std::vector<std::byte*>& in,
                                                   const std::vector<std::byte*>& out) override {
    return r_->buffers_over(in, out);
  }
  std::uint32_t execute_async(dpurun::JobBuffers& b) override {
    if (++jobs_ % every_ == 0) std::abort();
    return r_->execute_async(b);
  }
  dpurun::JobStatus wait(std::uint32_t job, int timeout_ms) override { return r_->wait(job, timeout_ms); }

 private:
  std::unique_ptr<dpurun::Runner> r_;
  long every_, jobs_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0].rfind("model=", 0) == 0) {
    const char* every = std::getenv("DPURUN_TEST_ABORT_EVERY");
    const long n = every ? std::atol(every) : 0;
    return dpurun::serve_backend_worker(args, [n](std::unique_ptr<dpurun::Runner> r) -> std::unique_ptr<dpurun::Runner> {
      if (n <= 0) return r;
      return std::make_unique<AbortingRunner>(std::move(r), n);
    });
  }
  return dpurun::serve_worker(dpurun::kWorkerChannelFd,
                              [&] { return dpurun::make_test_runner(dpurun::test_runner_options(args)); });
}

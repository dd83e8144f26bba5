// dpurun-test-worker: a test runner in a worker process, for the isolation tests and benchmarks.
// Arguments: the test runner's options (to_args).
#include <vector>

#include "dpurun/isolation.h"
#include "dpurun/test_backend.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return dpurun::serve_worker(dpurun::kWorkerChannelFd,
                              [&] { return dpurun::make_test_runner(dpurun::test_runner_options(args)); });
}

// Runners in worker processes: a runner that dies (abort, a signal, a device that never answers)
// costs the images of its job and a restart of its worker, not the run. Job buffers are shared
// memory that both processes map, so isolation adds no copy of the images.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dpurun/runner.h"

namespace dpurun {

// How to start a worker: a program and its arguments. The program calls serve_worker() with the
// runner those arguments describe.
struct WorkerCommand {
  std::string program;
  std::vector<std::string> args;
};

struct IsolationOptions {
  int max_restarts = 100;           // per runner; after that its jobs fail as lost
  int start_timeout_ms = 600000;    // a worker must have its runner ready within this (model load)
};

// A runner whose jobs run in a worker process started from `command`. A job that ends its
// worker (a crash) or outlives wait()'s timeout fails with the cause, and the worker is
// restarted (killed first when it hangs). Throws Error with the worker's own message when the
// first worker cannot make its runner. Its job buffers must not outlive it.
std::unique_ptr<Runner> make_isolated_runner(const WorkerCommand& command,
                                             const IsolationOptions& options = {});

// The worker's side, for a worker program's main(): makes the runner with `make` and runs the
// jobs its parent sends over `channel_fd` until the parent goes. Returns the exit code: 0, or
// that of the Error `make` threw (its message is sent to the parent and written to stderr).
int serve_worker(int channel_fd, const std::function<std::unique_ptr<Runner>()>& make);

// The file descriptor a worker finds its channel on.
constexpr int kWorkerChannelFd = 3;

// A child process's end, for messages: "exited with status 3", "killed by signal 6 (Aborted)".
std::string describe_exit(int wait_status);

}  // namespace dpurun

// A backend's runner as a worker process makes it: the arguments of `dpurun-worker` and where
// that program is.
#pragma once

#include <string>
#include <vector>

#include "dpurun/backends.h"
#include "dpurun/isolation.h"

namespace dpurun::backends {

// `dpurun-worker`: $DPURUN_WORKER, else beside this program, else where this build put it.
// Throws Error(kNotFound) naming the places looked in.
std::string worker_program();

// The command that makes one runner of `options` (in-process in the worker) for `model_file`.
WorkerCommand worker_command(const std::string& model_file, const BackendOptions& options);
// Back from the arguments (after the program name); throws Error(kInvalidArgument).
void parse_worker_args(const std::vector<std::string>& args, std::string& model_file, BackendOptions& options);

}  // namespace dpurun::backends

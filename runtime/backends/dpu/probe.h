// The DPU probe: what could end this process (VART opening a DPU that is not there, a runner
// library without its driver, a job that crashes) is first done in a worker process.
#pragma once

#include <memory>
#include <string>

#include "dpurun/backends.h"

namespace dpurun::backends::dpu {

// One isolated runner of `options` for `model_file` that has run a job on zeros. Throws Error
// naming the model's DPU, what is missing here, and what to do.
std::unique_ptr<Runner> probe(const std::string& model_file, const BackendOptions& options);

}  // namespace dpurun::backends::dpu

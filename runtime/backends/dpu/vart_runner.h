// The DPU through VART: one runner per thread over a compiled .xmodel's subgraphs. Built only
// where VART and XIR are found (the board image, the Vitis AI docker).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dpurun/runner.h"

namespace dpurun::backends::dpu {

// `dpu_lib` replaces the DPU subgraphs' runner library (e.g. "libvart-dummy-runner.so");
// empty: the one the model names (libvart-dpu-runner.so). Each wait() bounds its job by the
// timeout it is given.
std::vector<std::unique_ptr<Runner>> make_vart_runners(const std::string& model_file, int count,
                                                       const std::string& dpu_lib);

}  // namespace dpurun::backends::dpu

// Runners by backend name, from a model file: the CPU reference or the DPU through VART.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpurun/runner.h"

namespace dpurun {

// Runners by backend: "cpu" (the float or int8 reference, as the model file is) or "dpu" (VART).
// A job's timeout is not here: the caller passes it to each Runner::wait.
struct BackendOptions {
  std::string name = "cpu";
  int runners = 0;     // 0: one per core
  int batch = 1;       // cpu: images per job; the DPU's batch is its own
  CpuOptions cpu;      // cpu: kernels, and threads per runner (0: the cores shared among runners)
  ModelOptions model;  // cpu: how to load the model (inputs, shape, weights_from …)
  std::string
      vart_dpu_lib;  // dpu: a runner library in place of the subgraph's (e.g. VART's dummy runner)
};
std::vector<std::unique_ptr<Runner>> make_runners(const std::string& model_file,
                                                  const BackendOptions& options);
// True when this build can drive a DPU through VART.
bool have_vart();
// The backends make_runners knows ("cpu", "dpu"), whether or not this build can run each.
std::vector<std::string> backend_names();

// A DPU as `xdputil query` lists it ("kernels": [{"DPU Arch": …, "fingerprint": "0x…"}]).
struct DpuCore {
  std::string arch;
  std::uint64_t fingerprint = 0;
};
std::vector<DpuCore> parse_xdputil(const std::string& output);

}  // namespace dpurun

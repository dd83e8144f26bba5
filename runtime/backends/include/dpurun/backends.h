// Runners by backend name, from a model file: the CPU reference or the DPU through VART.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dpurun/isolation.h"
#include "dpurun/runner.h"

namespace dpurun {

// Where runners run: kOn, each in a worker process (dpurun/isolation.h), so that a crash or a hung
// device costs a job and a restart, not the run; kOff, in this process; kAuto: isolated for "dpu"
// (unless this process registered custom ops, which a worker cannot see), in process for "cpu".
enum class Isolation { kAuto, kOn, kOff };

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
  Isolation isolation = Isolation::kAuto;
  IsolationOptions isolation_options;
};
std::vector<std::unique_ptr<Runner>> make_runners(const std::string& model_file,
                                                  const BackendOptions& options);
// True when this build can drive a DPU through VART.
bool have_vart();
// Before VART touches this process: in a worker process, open the DPU, make a runner for each
// DPU subgraph of `model_file` and run one job. Throws Error(kDevice) saying what is missing (no
// DPU device or driver, XRT, the runner library, a DPU that does not match, with both
// fingerprints) and what to do; kUnsupported for a model dpurun cannot run. make_runners("dpu")
// probes first.
void probe_dpu(const std::string& model_file, const std::string& vart_dpu_lib = "");
// dpurun-worker's main(): serves the runner its arguments describe (see dpurun/isolation.h);
// `wrap`, when given, wraps that runner first (tests: a runner that crashes on cue).
int serve_backend_worker(const std::vector<std::string>& args,
                         const std::function<std::unique_ptr<Runner>(std::unique_ptr<Runner>)>& wrap = {});
// The backends make_runners knows ("cpu", "dpu"), whether or not this build can run each.
std::vector<std::string> backend_names();

// A DPU as `xdputil query` lists it ("kernels": [{"DPU Arch": …, "fingerprint": "0x…"}]).
struct DpuCore {
  std::string arch;
  std::uint64_t fingerprint = 0;
};
std::vector<DpuCore> parse_xdputil(const std::string& output);

}  // namespace dpurun

#include "dpurun/backends.h"

#include "dpurun/error.h"

#ifdef DPURUN_HAVE_VART
#include "dpu/vart_runner.h"
#endif

namespace dpurun {

bool have_vart() {
#ifdef DPURUN_HAVE_VART
  return true;
#else
  return false;
#endif
}

std::vector<std::unique_ptr<Runner>> make_runners(const std::string& model_file,
                                                  const BackendOptions& o) {
  if (o.runners < 1) throw Error(ErrorCode::kInvalidArgument, "at least one runner is needed");
  std::vector<std::unique_ptr<Runner>> runners;
  if (o.backend == "cpu") {
    Model model = Model::load(model_file, o.model);  // loaded once; the runners share its weights
    for (int i = 0; i < o.runners; ++i) runners.push_back(make_cpu_runner(model, CpuRunnerOptions{o.batch, o.cpu}));
    return runners;
  }
  if (o.backend == "dpu") {
#ifdef DPURUN_HAVE_VART
    return backends::dpu::make_vart_runners(model_file, o.runners, o.vart_dpu_lib, o.timeout_ms);
#else
    throw Error(ErrorCode::kUnsupported,
                "--backend dpu: this dpurun was built without VART, so it cannot reach a DPU. On the "
                "board, build it where VART and XIR are installed (the Vitis AI board image or docker; "
                "see board/README.md). Here, the int8 emulation gives the DPU's results bit for bit: "
                "run the model's quantized variant with --backend cpu (e.g. --variant quantized, or "
                "a compiled .xmodel with --weights-from its quantized .xmodel).");
#endif
  }
  throw Error(ErrorCode::kInvalidArgument, "unknown backend '" + o.backend + "': use cpu or dpu");
}

}  // namespace dpurun

#include "dpurun/backends.h"

#include "dpurun/error.h"

#ifdef DPURUN_HAVE_VART
#include "dpu/vart_runner.h"
#endif

namespace dpurun {
namespace {

using Runners = std::vector<std::unique_ptr<Runner>>;

Runners make_cpu(const std::string& model_file, const BackendOptions& o) {
  Model model = Model::load(model_file, o.model);  // loaded once; the runners share its weights
  Runners runners;
  for (int i = 0; i < o.runners; ++i)
    runners.push_back(make_cpu_runner(model, CpuRunnerOptions{o.batch, o.cpu}));
  return runners;
}

Runners make_dpu([[maybe_unused]] const std::string& model_file,
                 [[maybe_unused]] const BackendOptions& o) {
#ifdef DPURUN_HAVE_VART
  return backends::dpu::make_vart_runners(model_file, o.runners, o.vart_dpu_lib, o.timeout_ms);
#else
  throw Error(
      ErrorCode::kUnsupported,
      "--backend dpu: this dpurun was built without VART, so it cannot reach a DPU. On the "
      "board, build it where VART and XIR are installed (the Vitis AI board image or docker; "
      "see board/README.md). Here, the int8 emulation gives the DPU's results bit for bit: "
      "run the model's quantized variant with --backend cpu (e.g. --variant quantized, or "
      "a compiled .xmodel with --weights-from its quantized .xmodel).");
#endif
}

struct Backend {
  const char* name;
  Runners (*make)(const std::string& model_file, const BackendOptions& options);
};

// Adding a backend: its folder beside dpu/, and one row here.
const Backend kBackends[] = {
    {"cpu", make_cpu},  // the float or int8 reference, as the model file is
    {"dpu", make_dpu},  // VART
};

}  // namespace

bool have_vart() {
#ifdef DPURUN_HAVE_VART
  return true;
#else
  return false;
#endif
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const auto& b : kBackends) names.push_back(b.name);
  return names;
}

std::vector<std::unique_ptr<Runner>> make_runners(const std::string& model_file,
                                                  const BackendOptions& o) {
  if (o.runners < 1) throw Error(ErrorCode::kInvalidArgument, "at least one runner is needed");
  for (const auto& b : kBackends)
    if (o.backend == b.name) return b.make(model_file, o);
  std::string known;
  for (const auto& b : kBackends) known += std::string(known.empty() ? "" : " or ") + b.name;
  throw Error(ErrorCode::kInvalidArgument, "unknown backend '" + o.backend + "': use " + known);
}

}  // namespace dpurun

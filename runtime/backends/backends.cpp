#include "dpurun/backends.h"

#include <algorithm>

#include "dpurun/error.h"

#ifdef DPURUN_HAVE_VART
#include "dpu/vart_runner.h"
#endif

namespace dpurun {
namespace {

using Runners = std::vector<std::unique_ptr<Runner>>;

int runner_count(const BackendOptions& o) { return o.runners > 0 ? o.runners : default_cpu_threads(); }

Runners make_cpu(const std::string& model_file, const BackendOptions& o) {
  Model model = Model::load(model_file, o.model);  // loaded once; the runners share its weights
  const int count = runner_count(o);
  CpuOptions cpu = o.cpu;
  if (cpu.threads <= 0) cpu.threads = std::max(1, default_cpu_threads() / count);
  Runners runners;
  for (int i = 0; i < count; ++i) runners.push_back(make_cpu_runner(model, CpuRunnerOptions{o.batch, cpu}));
  return runners;
}

Runners make_dpu([[maybe_unused]] const std::string& model_file,
                 [[maybe_unused]] const BackendOptions& o) {
#ifdef DPURUN_HAVE_VART
  return backends::dpu::make_vart_runners(model_file, runner_count(o), o.vart_dpu_lib);
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
  if (o.runners < 0) throw Error(ErrorCode::kInvalidArgument, "a negative number of runners (use 0 for one per core)");
  for (const auto& b : kBackends)
    if (o.name == b.name) return b.make(model_file, o);
  std::string known;
  for (const auto& b : kBackends) known += std::string(known.empty() ? "" : " or ") + b.name;
  throw Error(ErrorCode::kInvalidArgument, "unknown backend '" + o.name + "': use " + known);
}

}  // namespace dpurun

#include "commands/run_options.h"

#include <csignal>

namespace dpurun::app {
namespace {

std::atomic<bool> g_interrupted{false};
void on_sigint(int) { g_interrupted = true; }

}  // namespace

void add_run_options(CLI::App* cmd, RunArgs& a) {
  cmd->add_option("-m,--model", a.model, "Manifest name (models/*.json), manifest file, or model file")
      ->capture_default_str();
  cmd->add_option("--manifest", a.manifest, "Manifest to take preprocessing from");
  cmd->add_option("--variant", a.variant, "Which of the manifest's files (float, quantized, …)");
  cmd->add_option("-d,--data", a.data,
                  "Image folder (labels.csv or class folders) or CIFAR-10 .bin; default $DPURUN_DATA "
                  "or ../shared/data/cifar10-test-jpg");
  cmd->add_option("--backend", a.settings.backend.name, "cpu: the float or int8 reference on this CPU; dpu: the DPU through VART")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "dpu"}));
  cmd->add_option("--timeout", a.settings.jobs.timeout_ms, "Milliseconds a job may take before it counts as hung")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--keep-going", a.keep_going,
                "Go on past an image or job that fails; the report lists them and is marked incomplete");
  auto* isolate = cmd->add_flag(
      "--isolate", a.isolate,
      "Run each runner in a worker process: a crash or a hung device costs that job's images and a "
      "restart, not the run (the default for --backend dpu)");
  cmd->add_flag("--in-process", a.in_process, "Run the runners in this process (the default for --backend cpu)")
      ->excludes(isolate);
  cmd->add_option("--vart-dpu-lib", a.settings.backend.vart_dpu_lib,
                  "dpu: run DPU subgraphs with this VART runner library instead of the model's "
                  "(e.g. libvart-dummy-runner.so, to exercise VART without a DPU)");
  cmd->add_option("--input-conversion", a.settings.input_conversion,
                  "How float input becomes int8, as the board app does it: round (the DPU's, default), "
                  "truncate, half-even, half-away, each saturating or with -wrap (truncate-wrap: NumPy "
                  "astype(np.int8)); default: the manifest's. See docs/input-conversion.md");
  cmd->add_option("--resize-interpolation", a.settings.resize_interpolation,
                  "How images are resized to the model's size: nearest, linear, area or cubic (OpenCV's); "
                  "default: the manifest's");
  cmd->add_option("-n,--limit", a.settings.limit, "Use N images spread evenly over the set (0: all)");
  cmd->add_option("--kernels", a.kernels, "fast (oneDNN) or reference (plain loops)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_option("-w,--weights,--weights-from", a.settings.backend.model.weights_from,
                  "The file the model's weights come from: for a Keras architecture .json, its "
                  "weights .h5; for a compiled .xmodel, the quantized .xmodel it was compiled "
                  "from (its weights run once ops, shapes and fix points are checked to agree)");
}

EvalSettings run_settings(const RunArgs& a, ResolvedModel& rm) {
  rm = resolve_model(a.model, a.manifest, a.variant);
  EvalSettings s = a.settings;
  s.model_file = rm.file;
  s.manifest = rm.manifest.path;
  s.variant = rm.variant;
  s.data = a.data.empty() ? default_data() : a.data;
  s.backend.cpu.kernels = a.kernels == "reference" ? KernelChoice::kReference : KernelChoice::kFast;
  s.jobs.stop_on_error = !a.keep_going;
  s.backend.isolation = a.isolate ? Isolation::kOn : a.in_process ? Isolation::kOff : Isolation::kAuto;
  with_overrides(s, rm.manifest);  // refuses an unknown name before anything loads
  s.jobs.cancel = interrupt_flag();
  std::string& weights = s.backend.model.weights_from;
  if (weights.empty() && rm.manifest.weights_from.count(rm.variant))
    weights = rm.manifest.model_file(rm.manifest.weights_from.at(rm.variant));
  return s;
}

const std::atomic<bool>* interrupt_flag() {
  std::signal(SIGINT, on_sigint);
  return &g_interrupted;
}

bool interrupted() { return g_interrupted; }

}  // namespace dpurun::app

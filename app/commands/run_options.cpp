#include "commands/run_options.h"
#include "cli.h"

#include <fmt/format.h>

#include <cmath>
#include <csignal>
#include <cstdio>

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
  // Preprocessing: what a manifest's "preprocess", "input", "output" and "classes" say.
  const char* pre = "Preprocessing (for a model no manifest lists, or over its manifest)";
  cmd->add_option("--channel-order", a.pre.channel_order, "rgb, bgr or gray: the channels the model was trained on")
      ->group(pre)
      ->transform(CLI::IsMember({"rgb", "bgr", "gray"}, CLI::ignore_case));
  cmd->add_option("--scale", a.pre.scale, "Pixels (0..255) are multiplied by this first, e.g. 1/255")->group(pre);
  cmd->add_option("--mean", a.pre.mean, "Subtracted after scaling: one value per channel (comma-separated) or one for all")
      ->group(pre)
      ->delimiter(',');
  cmd->add_option("--std", a.pre.std, "Divided by after the mean: one per channel or one for all")
      ->group(pre)
      ->delimiter(',');
  cmd->add_flag("--per-image-standardization", a.pre.per_image_standardization,
                "Then (x - mean(x)) / max(stddev(x), 1/sqrt(N)) per image, as tf.image.per_image_standardization")
      ->group(pre);
  cmd->add_option("--resize", a.pre.resize, "Resize images to HEIGHTxWIDTH first")->group(pre);
  cmd->add_option("--output-kind", a.pre.output_kind, "probabilities (softmax in the model), logits, or tensor (not a classifier: eval compares outputs with --reference)")
      ->group(pre)
      ->check(CLI::IsMember({"probabilities", "logits"}));
  cmd->add_option("--input-tensor", a.pre.input_tensor, "The model's input tensor, where it has several")->group(pre);
  cmd->add_option("--output-tensor", a.pre.output_tensor, "The model's output tensor; default: its only sink")->group(pre);
  cmd->add_option("--classes", a.pre.classes, "Class names in output order (comma-separated); default: the data set's")
      ->group(pre)
      ->delimiter(',');
  cmd->add_option("--write-manifest", a.pre.write_manifest,
                  "Write the manifest these options make (model, preprocessing, classes) to FILE and stop")
      ->group(pre);
  cmd->add_option("-n,--limit", a.settings.limit, "Use N images spread evenly over the set (0: all)");
  cmd->add_option("--kernels", a.kernels, "fast (oneDNN) or reference (plain loops)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_option("-w,--weights,--weights-from", a.settings.backend.model.weights_from,
                  "The file the model's weights come from: for a Keras architecture .json, its "
                  "weights .h5; for a compiled .xmodel, the quantized .xmodel it was compiled "
                  "from (its weights run once ops, shapes and fix points are checked to agree)");
}

bool PreprocessArgs::any() const {
  return !channel_order.empty() || !scale.empty() || !mean.empty() || !std.empty() || per_image_standardization ||
         !resize.empty() || !output_kind.empty() || !input_tensor.empty() || !output_tensor.empty() ||
         !classes.empty();
}

namespace {

[[noreturn]] void bad_option(const std::string& option, const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, option + ": " + what);
}

// "0.5", "1/255", "2/127.5".
float parse_scale(const std::string& text) {
  std::size_t used = 0;
  try {
    const auto slash = text.find('/');
    double v = std::stod(text.substr(0, slash), &used);
    if (used != text.substr(0, slash).size()) throw std::invalid_argument(text);
    if (slash != std::string::npos) {
      const std::string d = text.substr(slash + 1);
      const double div = std::stod(d, &used);
      if (used != d.size() || div == 0) throw std::invalid_argument(text);
      v /= div;
    }
    if (!std::isfinite(v) || v == 0) throw std::invalid_argument(text);
    return static_cast<float>(v);
  } catch (const std::logic_error&) {
    bad_option("--scale", "'" + text + "' is not a non-zero number or ratio (e.g. 0.5 or 1/255)");
  }
}

// One value per channel; a single value stands for every channel.
std::vector<float> per_channel(const std::string& option, std::vector<float> v, std::size_t channels) {
  if (v.size() == 1) v.assign(channels, v[0]);
  if (v.size() != channels)
    bad_option(option, std::to_string(v.size()) + " values for " + std::to_string(channels) +
                           " channel(s); give one per channel, or one for all");
  return v;
}

void apply(const PreprocessArgs& a, Manifest& m) {
  auto& pp = m.preprocessing;
  using Order = Preprocessing::ChannelOrder;
  if (!a.channel_order.empty()) {
    const Order before = pp.channel_order;
    pp.channel_order = a.channel_order == "bgr" ? Order::kBGR : a.channel_order == "gray" ? Order::kGray : Order::kRGB;
    if ((before == Order::kGray) != (pp.channel_order == Order::kGray)) {  // other channels: defaults
      const std::size_t c = pp.channel_order == Order::kGray ? 1 : 3;
      pp.mean.assign(c, 0.f);
      pp.std.assign(c, 1.f);
    }
  }
  const std::size_t channels = pp.channel_order == Order::kGray ? 1 : 3;
  if (!a.scale.empty()) pp.scale = parse_scale(a.scale);
  if (!a.mean.empty()) pp.mean = per_channel("--mean", a.mean, channels);
  if (!a.std.empty()) pp.std = per_channel("--std", a.std, channels);
  for (float s : pp.std)
    if (s == 0.f || !std::isfinite(s)) bad_option("--std", "must be finite and not 0");
  if (a.per_image_standardization) pp.per_image_standardization = true;
  if (!a.resize.empty()) {
    int h = 0, w = 0;
    char x = 0, rest = 0;
    if (std::sscanf(a.resize.c_str(), "%d%c%d%c", &h, &x, &w, &rest) != 3 || (x != 'x' && x != ',') || h <= 0 || w <= 0)
      bad_option("--resize", "'" + a.resize + "' is not HEIGHTxWIDTH (e.g. 32x32)");
    pp.resize_height = h;
    pp.resize_width = w;
  }
  if (!a.output_kind.empty()) m.output_kind = a.output_kind;
  if (!a.input_tensor.empty()) m.input_name = a.input_tensor;
  if (!a.output_tensor.empty()) m.output_name = a.output_tensor;
  if (!a.classes.empty()) m.classes = a.classes;
}

}  // namespace

bool write_manifest_if_asked(const RunArgs& a, const ResolvedModel& rm) {
  if (a.pre.write_manifest.empty()) return false;
  const Manifest m = with_overrides(a.settings, rm.manifest);
  write_file_atomically(a.pre.write_manifest, m.to_json());
  fmt::print(cli_out(), "wrote {} (model {}, pass it with --manifest)\n", a.pre.write_manifest, m.name);
  return true;
}

EvalSettings run_settings(const RunArgs& a, ResolvedModel& rm) {
  rm = resolve_model(a.model, a.manifest, a.variant, a.pre.any() || !a.pre.write_manifest.empty());
  apply(a.pre, rm.manifest);
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
  if (const InProcess* p = in_process()) return p->cancel;  // the caller's, not SIGINT's
  std::signal(SIGINT, on_sigint);
  return &g_interrupted;
}

bool interrupted() {
  if (const InProcess* p = in_process()) return p->cancel && *p->cancel;
  return g_interrupted;
}

}  // namespace dpurun::app

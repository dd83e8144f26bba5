#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "commands/commands.h"
#include "dpurun/eval.h"
#include "paths.h"

namespace dpurun::app {
namespace {

// Ctrl-C stops a run cleanly: running jobs finish, the report is written and marked incomplete.
std::atomic<bool> g_interrupted{false};
void on_sigint(int) { g_interrupted = true; }

struct EvalArgs {
  std::string model = kDefaultModel;
  std::string manifest, variant, data, json, kernels = "fast";
  std::string reference, reference_variant, weights_from, backend = "cpu", vart_dpu_lib;
  int threads = 0, batch = 32, timeout_ms = 10000;
  bool keep_going = false;
  std::size_t limit = 0;
  bool quiet = false;
};

}  // namespace

Command add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Run a model over a labelled data set: accuracy and speed");
  cmd->add_option("-m,--model", args->model,
                  "Manifest name (models/*.json), manifest file, or model file")
      ->capture_default_str();
  cmd->add_option("--manifest", args->manifest, "Manifest to take preprocessing from");
  cmd->add_option("--variant", args->variant, "Which of the manifest's files (float, quantized, …)");
  cmd->add_option("-d,--data", args->data,
                  "Image folder (labels.csv or class folders) or CIFAR-10 .bin; default $DPURUN_DATA "
                  "or ../shared/data/cifar10-test-jpg");
  cmd->add_option("--backend", args->backend,
                  "cpu: the float or int8 reference on this CPU; dpu: the DPU through VART")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "dpu"}));
  cmd->add_option("--timeout", args->timeout_ms, "Milliseconds a job may take before it counts as hung")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--keep-going", args->keep_going,
                "Go on past an image or job that fails; the report lists them and is marked incomplete");
  cmd->add_option("--vart-dpu-lib", args->vart_dpu_lib,
                  "dpu: run DPU subgraphs with this VART runner library instead of the model's "
                  "(e.g. libvart-dummy-runner.so, to exercise VART without a DPU)");
  cmd->add_option("-t,--threads", args->threads, "Runner threads, one runner each (0: one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-b,--batch", args->batch, "Images per batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("-n,--limit", args->limit, "Evaluate N images spread evenly over the set (0: all)");
  cmd->add_option("--kernels", args->kernels, "fast (oneDNN) or reference (plain loops)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_option("--json", args->json, "Write the full report as JSON to this file");
  cmd->add_option("--weights-from", args->weights_from,
                  "For a compiled .xmodel: the quantized .xmodel it was compiled from (its "
                  "weights run once ops, shapes and fix points are checked to agree)");
  cmd->add_option("--reference", args->reference,
                  "Also run this model (e.g. the float graph of a quantized one) over the same "
                  "images and report both, and how often their top-1 agree");
  cmd->add_option("--reference-variant", args->reference_variant,
                  "Variant of the reference's manifest (default: float)");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress line");

  return {cmd, [args]() {
    ResolvedModel rm = resolve_model(args->model, args->manifest, args->variant);
    EvalSettings s;
    s.model_file = rm.file;
    s.manifest = rm.manifest.path;
    s.variant = rm.variant;
    s.data = args->data.empty() ? default_data() : args->data;
    s.threads = args->threads;
    s.batch = args->batch;
    s.limit = args->limit;
    s.kernels = args->kernels == "reference" ? KernelChoice::kReference : KernelChoice::kFast;
    s.weights_from = args->weights_from;
    s.backend = args->backend;
    s.timeout_ms = args->timeout_ms;
    s.stop_on_error = !args->keep_going;
    s.vart_dpu_lib = args->vart_dpu_lib;
    s.cancel = &g_interrupted;
    std::signal(SIGINT, on_sigint);
    if (s.weights_from.empty() && rm.manifest.weights_from.count(rm.variant))
      s.weights_from = rm.manifest.model_file(rm.manifest.weights_from.at(rm.variant));

    bool tty = !args->quiet && isatty(fileno(stderr));
    ProgressFn progress;
    if (tty)
      progress = [](std::size_t done, std::size_t total, double top1) {
        fmt::print(stderr, "\r{:>6} / {} images  top-1 {:.2f}%   ", done, total, 100 * top1);
        std::fflush(stderr);
      };
    EvalReport r = evaluate(s, rm.manifest, progress);
    if (tty) fmt::print(stderr, "\n");
    if (args->reference.empty() || g_interrupted) {  // interrupted: no reference run
      if (!args->reference.empty()) fmt::print(stderr, "interrupted: the reference was not run\n");
      fmt::print("{}", to_table(r));
      if (!args->json.empty()) {
        write_file_atomically(args->json, to_json(r));
        fmt::print("report  {}\n", args->json);
      }
      return g_interrupted ? kInterrupted : r.complete ? kOk : kInputError;
    }
    // The reference: a model name, manifest or file; a bare variant name of the same manifest
    // ("float") works too.
    ResolvedModel ref = rm.manifest.files.count(args->reference)
                            ? resolve_model(rm.manifest.path, "", args->reference)
                            : resolve_model(args->reference, "", args->reference_variant);
    EvalSettings rs = s;  // the reference runs on the CPU
    rs.backend = "cpu";
    rs.weights_from.clear();
    if (ref.manifest.weights_from.count(ref.variant))
      rs.weights_from = ref.manifest.model_file(ref.manifest.weights_from.at(ref.variant));
    rs.model_file = ref.file;
    rs.manifest = ref.manifest.path;
    rs.variant = ref.variant;
    if (tty) fmt::print(stderr, "reference {}\n", ref.file);
    EvalReport rr = evaluate(rs, ref.manifest, progress);
    if (tty) fmt::print(stderr, "\n");
    Comparison c = compare(r, rr);
    fmt::print("{}", to_table(r, rr, c));
    if (!args->json.empty()) {
      write_file_atomically(args->json, to_json(r, rr, c));
      fmt::print("report  {}\n", args->json);
    }
    return g_interrupted ? kInterrupted : r.complete && rr.complete ? kOk : kInputError;
  }};
}

}  // namespace dpurun::app

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "commands/commands.h"
#include "dpurun/check.h"
#include "dpurun/error.h"
#include "dpurun/eval.h"
#include "dpurun/machine.h"
#include "commands/run_options.h"
#include "paths.h"

namespace dpurun::app {
namespace {

struct EvalArgs {
  RunArgs run;
  std::string json, reference, reference_variant, save_baseline;
  std::size_t golden = 16;
  bool quiet = false;
};

void save_baseline(const EvalArgs& a, const ResolvedModel& rm, const EvalSettings& s, const EvalReport& r,
                   const EvalReport* ref, const std::string& ref_variant, const Comparison* c) {
  BaselineOptions o;
  o.golden_images = a.golden;
  Baseline b = make_baseline(r, rm.manifest.name, ref, ref_variant, c, o);
  b.model_sha256 = sha256_file(s.model_file);
  if (!a.run.data.empty()) b.data = s.data;
  write_file_atomically(a.save_baseline, to_json(b));
  fmt::print(cli_out(), "baseline {}\n", a.save_baseline);
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Run a model over a labelled data set: accuracy and speed");
  add_run_options(cmd, args->run);
  cmd->add_option("-t,--threads", args->run.settings.backend.runners, "Runner threads, one runner each (0: one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-b,--batch", args->run.settings.backend.batch, "Images per batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--json", args->json, "Write the full report as JSON to this file");
  cmd->add_option("--reference", args->reference,
                  "Also run this model (e.g. the float graph of a quantized one) over the same "
                  "images and report both, and how often their top-1 agree; `compiled` for a "
                  "compiled .xmodel: the CPU emulation of that very file");
  cmd->add_option("--reference-variant", args->reference_variant,
                  "Variant of the reference's manifest (default: float)");
  cmd->add_option("--save-baseline", args->save_baseline,
                  "Write a baseline for `dpurun check`: top-1, agreement with --reference, golden outputs");
  cmd->add_option("--golden", args->golden, "Images whose outputs the baseline keeps")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "No progress line");

  return {cmd, [args]() {
    ResolvedModel rm;
    EvalSettings s = run_settings(args->run, rm);
    if (write_manifest_if_asked(args->run, rm)) return kOk;
    bool tty = !args->quiet && isatty(fileno(stderr));
    ProgressFn progress;
    if (tty)
      progress = [](std::size_t done, std::size_t total, double top1) {
        if (std::isnan(top1)) fmt::print(stderr, "\r{:>6} / {} images   ", done, total);
        else fmt::print(stderr, "\r{:>6} / {} images  top-1 {:.2f}%   ", done, total, 100 * top1);
        std::fflush(stderr);
      };
    EvalReport r = evaluate(s, rm.manifest, progress);
    if (tty) fmt::print(stderr, "\n");
    if (args->reference.empty() || interrupted()) {  // interrupted: no reference run
      if (!args->reference.empty()) fmt::print(stderr, "interrupted: the reference was not run\n");
      fmt::print(cli_out(), "{}", to_table(r));
      if (!args->json.empty()) {
        write_file_atomically(args->json, to_json(r));
        fmt::print(cli_out(), "report  {}\n", args->json);
      }
      if (!args->save_baseline.empty() && !interrupted())
        save_baseline(*args, rm, s, r, nullptr, "", nullptr);
      return interrupted() ? kInterrupted : r.complete ? kOk : kInputError;
    }
    // The reference: a model name, manifest or file; a bare variant name of the same manifest
    // ("float") works too, and "compiled" for a compiled .xmodel no manifest lists is the file
    // itself: on a board, the DPU against the emulation of the very file it runs.
    const bool itself = args->reference == "compiled" && !rm.manifest.files.count("compiled") &&
                        std::filesystem::path(rm.file).extension() == ".xmodel";
    ResolvedModel ref = itself ? ResolvedModel{rm.manifest, rm.file, rm.variant}
                        : rm.manifest.files.count(args->reference) && !rm.manifest.path.empty()
                            ? resolve_model(rm.manifest.path, "", args->reference)
                            : resolve_model(args->reference, "", args->reference_variant, true);
    if (ref.manifest.path.empty()) {  // a file no manifest lists: this model's preprocessing
      Manifest m = rm.manifest;
      m.name = ref.manifest.name;
      m.files = ref.manifest.files;
      m.default_variant = ref.manifest.default_variant;
      m.weights_from.clear();
      m.path.clear();
      ref.manifest = std::move(m);
    }
    EvalSettings rs = s;  // the reference runs on the CPU
    rs.backend.name = "cpu";
    rs.backend.model.weights_from.clear();
    if (ref.manifest.weights_from.count(ref.variant))
      rs.backend.model.weights_from = ref.manifest.model_file(ref.manifest.weights_from.at(ref.variant));
    // One conversion for both: an int8 reference gets the model's int8 tensor, whatever its manifest says.
    rs.input_conversion = to_string(r.preprocessing.input_conversion);
    rs.model_file = ref.file;
    rs.manifest = ref.manifest.path;
    rs.variant = ref.variant;
    if (tty) fmt::print(stderr, "reference {}\n", ref.file);
    EvalReport rr = evaluate(rs, ref.manifest, progress);
    if (tty) fmt::print(stderr, "\n");
    Comparison c = compare(r, rr);
    fmt::print(cli_out(), "{}", to_table(r, rr, c));
    if (!args->json.empty()) {
      write_file_atomically(args->json, to_json(r, rr, c));
      fmt::print(cli_out(), "report  {}\n", args->json);
    }
    if (!args->save_baseline.empty() && !interrupted()) {
      if (ref.manifest.path != rm.manifest.path)
        throw Error(ErrorCode::kInvalidArgument,
                    "--save-baseline: the reference must be a variant of the same manifest (e.g. --reference float)");
      save_baseline(*args, rm, s, r, &rr, ref.variant, &c);
    }
    return interrupted() ? kInterrupted : r.complete && rr.complete ? kOk : kInputError;
  }};
}

}  // namespace dpurun::app

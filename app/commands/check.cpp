#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "commands/commands.h"
#include "commands/run_options.h"
#include "dpurun/check.h"
#include "dpurun/error.h"
#include "dpurun/machine.h"

namespace dpurun::app {
namespace {

struct CheckArgs {
  std::string baseline, model, manifest, data, json;
  int threads = 0;
  std::optional<double> top1_tolerance, min_agreement;
};

Baseline read_baseline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kInvalidArgument, path + ": no such baseline file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_baseline(text.str(), path);
}

}  // namespace

Command add_check(CLI::App& app) {
  auto a = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Accuracy regression gate: re-run a baseline's evaluation; exit 1 if top-1, agreement or golden outputs regressed");
  cmd->add_option("baseline", a->baseline, "Baseline JSON (from `dpurun eval --save-baseline`)")->required();
  cmd->add_option("-m,--model", a->model, "Check this model file instead of the baseline's (same manifest)");
  cmd->add_option("--manifest", a->manifest, "Take preprocessing (and the model) from this manifest instead");
  cmd->add_option("-d,--data", a->data, "Data set, if not the baseline's");
  cmd->add_option("-t,--threads", a->threads, "Runner threads (0: one per core); results do not depend on it");
  cmd->add_option("--top1-tolerance", a->top1_tolerance, "Override the baseline's: the top-1 drop (fraction) allowed");
  cmd->add_option("--min-agreement", a->min_agreement, "Override the baseline's: the least agreement (fraction)");
  cmd->add_option("--json", a->json, "Write the checks as JSON");

  return {cmd, [a]() {
    Baseline b = read_baseline(a->baseline);
    if (a->top1_tolerance) b.top1_tolerance = *a->top1_tolerance;
    if (a->min_agreement) b.min_agreement = *a->min_agreement;
    RunArgs run;
    run.variant = b.variant;
    run.kernels = b.kernels;
    run.settings.backend.name = b.backend;
    run.settings.backend.runners = a->threads;
    run.settings.backend.batch = b.batch;
    run.settings.limit = b.limit;
    run.settings.input_conversion = b.input_conversion;
    run.settings.resize_interpolation = b.resize_interpolation;
    run.data = !a->data.empty() ? a->data : b.data == "default" ? "" : b.data;
    if (!a->manifest.empty()) {
      run.manifest = a->manifest;
      run.model = a->model.empty() ? a->manifest : a->model;
    } else if (!a->model.empty()) {
      run.model = a->model;
      run.manifest = (std::filesystem::path(models_dir()) / (b.model + ".json")).string();
    } else {
      run.model = b.model;
    }
    ResolvedModel rm;
    EvalSettings s = run_settings(run, rm);
    EvalReport r = evaluate(s, rm.manifest);
    if (interrupted()) return kInterrupted;
    std::optional<Comparison> c;
    if (!b.reference.empty()) {
      ResolvedModel ref;
      RunArgs rrun = run;
      rrun.model = rm.manifest.path;
      rrun.manifest.clear();
      rrun.variant = b.reference;
      rrun.settings.backend.name = "cpu";
      EvalSettings rs = run_settings(rrun, ref);
      EvalReport rr = evaluate(rs, ref.manifest);
      if (interrupted()) return kInterrupted;
      c = compare(r, rr);
    }
    CheckResult result = check(b, r, c ? &*c : nullptr, sha256_file(s.model_file));
    fmt::print(cli_out(), "baseline {}  ({} {}, {} images)\n", a->baseline, b.model, b.variant, b.images);
    fmt::print(cli_out(), "model    {}\n", s.model_file);
    fmt::print(cli_out(), "{}", to_text(result));
    if (!a->json.empty()) write_file_atomically(a->json, to_json(result));
    return result.passed() ? kOk : kCheckFailed;
  }};
}

}  // namespace dpurun::app

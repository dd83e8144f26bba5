#include <fmt/format.h>

#include <filesystem>

#include "cli.h"
#include "commands/commands.h"
#include "dpurun/doctor.h"
#include "paths.h"

namespace dpurun::app {
namespace {

struct DoctorArgs {
  std::string model, variant, json;
};

}  // namespace

Command add_doctor(CLI::App& app) {
  auto a = std::make_shared<DoctorArgs>();
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Check this machine for running models on a DPU: VART, the DPU, a model's match; exit 1 if not ready");
  cmd->add_option("-m,--model", a->model,
                  "A compiled model to check against this DPU: a .xmodel, or a manifest name (its compiled variant)");
  cmd->add_option("--variant", a->variant, "The manifest's variant (default: compiled)");
  cmd->add_option("--json", a->json, "Write the checks as JSON");
  return {cmd, [a]() {
    std::string file;
    if (!a->model.empty()) {
      std::error_code ec;
      file = std::filesystem::is_regular_file(a->model, ec)
                 ? a->model  // any model file: no manifest needed to read its DPU
                 : resolve_model(a->model, "", a->variant.empty() ? "compiled" : a->variant).file;
    }
    DoctorReport r = run_doctor(file);
    fmt::print(cli_out(), "{}", to_text(r));
    if (!a->json.empty()) write_file_atomically(a->json, to_json(r));
    return r.dpu_ready ? kOk : kCheckFailed;
  }};
}

}  // namespace dpurun::app

#include <fmt/format.h>

#include "commands/commands.h"
#include "dpurun/inspect.h"

namespace dpurun::app {

Command add_inspect(CLI::App& app) {
  struct Args {
    std::string file;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show what a model file holds (.pb, .xmodel) and what the CPU reference runs");
  cmd->add_option("file", args->file, "Model file")->required();
  cmd->add_flag("--json", args->json, "Machine-readable output");
  return {cmd, [args]() {
            ModelInfo info = inspect_model(args->file);
            fmt::print("{}", args->json ? to_json(info) : to_text(info));
            return kOk;
          }};
}

}  // namespace dpurun::app

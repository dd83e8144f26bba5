#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "cli.h"
#include "commands/commands.h"
#include "dpurun/error.h"
#include "dpurun/inspect.h"
#include "paths.h"

namespace dpurun::app {

Command add_inspect(CLI::App& app) {
  struct Args {
    std::string file, weights;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show what a model file holds (.pb, .xmodel) and what the CPU reference runs");
  cmd->add_option("file", args->file, "Model file")->required();
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->add_option("-w,--weights,--weights-from", args->weights,
                  "Where the weights are: a Keras architecture .json's .h5, a compiled .xmodel's "
                  "quantized .xmodel");
  return {cmd, [args]() {
            ModelInfo info = inspect_model(args->file, args->weights);
            // The manifest that lists the file says how its images are prepared; for an int8
            // input, which conversion `eval` uses.
            std::optional<ResolvedModel> listed;
            try {
              listed = manifest_listing(args->file);
            } catch (const Error&) {  // a broken manifest elsewhere does not stop inspect
            }
            const bool int8_input = info.cpu_arithmetic.rfind("int8", 0) == 0 || info.kind == "compiled";
            const std::string conversion =
                listed && int8_input ? to_string(listed->manifest.preprocessing.input_conversion) : "";
            if (args->json) {
              auto j = nlohmann::json::parse(to_json(info));
              if (listed)
                j["manifest"] = {{"name", listed->manifest.name},
                                 {"path", listed->manifest.path},
                                 {"variant", listed->variant},
                                 {"input_conversion", conversion.empty() ? nlohmann::json() : nlohmann::json(conversion)}};
              fmt::print(cli_out(), "{}\n", j.dump(2));
              return kOk;
            }
            fmt::print(cli_out(), "{}", to_text(info));
            if (listed) {
              fmt::print(cli_out(), "manifest {} ({}, variant {})", listed->manifest.name, listed->manifest.path, listed->variant);
              if (!conversion.empty())
                fmt::print(cli_out(), ": int8 input converted by {} (--input-conversion to change)", conversion);
              fmt::print(cli_out(), "\n");
            }
            return kOk;
          }};
}

}  // namespace dpurun::app

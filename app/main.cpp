// dpurun: run and benchmark Vitis AI DPU models, with a bit-exact CPU reference.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "commands/commands.h"
#include "dpurun/error.h"
#include "dpurun/eval.h"

int main(int argc, char** argv) {
  using namespace dpurun::app;
  CLI::App app{"dpurun: run, benchmark and check Vitis AI DPU models, with a CPU reference"};
  app.set_version_flag("--version", std::string("dpurun ") + dpurun::version());
  app.require_subcommand(1);
  std::vector<Command> commands{add_eval(app), add_bench(app), add_check(app), add_images(app), add_doctor(app), add_inspect(app), add_freeze(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  try {
    for (auto& c : commands)
      if (c.sub->parsed()) return c.run();
  } catch (const dpurun::Error& e) {
    fmt::print(stderr, "dpurun: error: {}\n", e.what());
    switch (e.code()) {
      case dpurun::ErrorCode::kInvalidArgument: return kUsage;
      case dpurun::ErrorCode::kInternal: return kInternalError;
      default: return kInputError;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "dpurun: internal error: {}\n", e.what());
    return kInternalError;
  }
  return kUsage;
}

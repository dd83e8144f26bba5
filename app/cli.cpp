#include "cli.h"

#include <algorithm>

#include "commands/run_options.h"
#include "dpurun/error.h"
#include "dpurun/eval.h"

namespace dpurun::app {
namespace {
thread_local const InProcess* t_in_process = nullptr;
}

CommandLine::CommandLine()
    : app_("dpurun: run, benchmark and check Vitis AI DPU models, with a CPU reference") {
  app_.set_version_flag("--version", std::string("dpurun ") + dpurun::version());
  app_.require_subcommand(1);
  commands_ = {add_eval(app_),   add_bench(app_),   add_check(app_), add_images(app_),
               add_doctor(app_), add_inspect(app_), add_freeze(app_), add_dump(app_),
               add_compare(app_)};
}

int CommandLine::run() {
  for (auto& c : commands_)
    if (c.sub->parsed()) return c.run();
  return kUsage;
}

int run_in_process(const std::vector<std::string>& args, const InProcess& how) {
  CommandLine cl;
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    cl.app().parse(reversed);
  } catch (const CLI::ParseError& e) {
    std::string command = args.empty() ? "dpurun" : "dpurun " + args[0];
    throw Error(ErrorCode::kInvalidArgument, command + ": " + e.what());
  }
  struct Scope {
    explicit Scope(const InProcess* h) { t_in_process = h; }
    ~Scope() { t_in_process = nullptr; }
  } scope(&how);
  return cl.run();
}

std::FILE* cli_out() { return t_in_process ? t_in_process->out : stdout; }

const InProcess* in_process() { return t_in_process; }

}  // namespace dpurun::app

// The subcommands of `dpurun`. Each registers its options and returns an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace dpurun::app {

// Exit codes: 0 success, 1 a check failed, 2 bad usage, 3 bad model or data (or a run that
// failed part way), 4 internal error, 130 interrupted (Ctrl-C; the report says how far it got).
enum Exit { kOk = 0, kCheckFailed = 1, kUsage = 2, kInputError = 3, kInternalError = 4, kInterrupted = 130 };

// A registered subcommand: its parser, and what runs when it was chosen.
struct Command {
  CLI::App* sub;
  std::function<int()> run;
};

Command add_eval(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_check(CLI::App& app);
Command add_images(CLI::App& app);
Command add_doctor(CLI::App& app);
Command add_inspect(CLI::App& app);
Command add_freeze(CLI::App& app);
Command add_dump(CLI::App& app);
Command add_compare(CLI::App& app);

}  // namespace dpurun::app

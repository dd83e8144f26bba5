// The command line as a library: main() runs it, and the Python module's eval, bench and check
// run the very same commands in process, so that their reports are the CLI's.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/commands.h"

namespace dpurun::app {

// Every subcommand registered on one parser.
class CommandLine {
 public:
  CommandLine();
  CLI::App& app() { return app_; }
  // Runs the subcommand the parser chose; throws dpurun::Error as the commands do.
  int run();

 private:
  CLI::App app_;
  std::vector<Command> commands_;
};

// Where a command run in process prints, and what stops it, in place of stdout and Ctrl-C.
struct InProcess {
  std::FILE* out = stdout;
  const std::atomic<bool>* cancel = nullptr;  // set to stop the run, as Ctrl-C does the CLI's
};
// Parses `args` (without the program's name) and runs the command on this thread. Installs no
// signal handler. Throws dpurun::Error for a bad command line (kInvalidArgument, CLI11's message)
// and for whatever the command throws; else returns the CLI's exit code.
int run_in_process(const std::vector<std::string>& args, const InProcess& how);

// What commands print to: stdout, or the in-process caller's stream on its thread.
std::FILE* cli_out();
// The in-process caller's settings on this thread; null when run by main().
const InProcess* in_process();

}  // namespace dpurun::app

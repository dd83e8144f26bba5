// The options `eval`, `bench` and `check` share: which model, which data, which backend.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <string>

#include "dpurun/eval.h"
#include "paths.h"

namespace dpurun::app {

struct RunArgs {
  std::string model = kDefaultModel;
  std::string manifest, variant, data, kernels = "fast", weights_from, backend = "cpu", vart_dpu_lib;
  std::string input_conversion, resize_interpolation;  // "": the manifest's
  int timeout_ms = 10000;
  bool keep_going = false;
  std::size_t limit = 0;
};

void add_run_options(CLI::App* cmd, RunArgs& args);

// The settings the options ask for; resolves the model and its manifest (`resolved`).
EvalSettings run_settings(const RunArgs& args, ResolvedModel& resolved);

// Ctrl-C stops a run cleanly: running jobs finish, the report is written and marked incomplete.
// Installs the handler; the flag goes into the settings' `cancel`.
const std::atomic<bool>* interrupt_flag();
bool interrupted();

}  // namespace dpurun::app

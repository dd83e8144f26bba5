// The options `eval`, `bench` and `check` share: which model, which data, which backend.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <string>

#include "dpurun/eval.h"
#include "paths.h"

namespace dpurun::app {

struct RunArgs {
  // As typed; run_settings() resolves them into the settings' model_file, manifest, variant, data.
  std::string model = kDefaultModel, manifest, variant, data;
  std::string kernels = "fast";
  bool keep_going = false;
  bool isolate = false, in_process = false;  // neither: the backend's default
  EvalSettings settings;  // the options that set a field as they are (backend, timeout, limit …)
};

void add_run_options(CLI::App* cmd, RunArgs& args);

// The settings the options ask for; resolves the model and its manifest (`resolved`).
EvalSettings run_settings(const RunArgs& args, ResolvedModel& resolved);

// Ctrl-C stops a run cleanly: running jobs finish, the report is written and marked incomplete.
// Installs the handler; the flag goes into the settings' `cancel`.
const std::atomic<bool>* interrupt_flag();
bool interrupted();

}  // namespace dpurun::app

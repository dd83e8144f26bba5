// The options `eval`, `bench` and `check` share: which model, which data, which backend.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <string>
#include <vector>

#include "dpurun/eval.h"
#include "paths.h"

namespace dpurun::app {

// What a manifest says about a model, from the command line: for a model no manifest lists, or
// over the manifest's own values.
struct PreprocessArgs {
  std::string channel_order;  // rgb, bgr or gray
  std::string scale;          // a number or a ratio, e.g. 1/255
  std::vector<float> mean, std;
  bool per_image_standardization = false;
  std::string resize;  // HxW
  std::string output_kind, input_tensor, output_tensor;
  std::vector<std::string> classes;
  std::string write_manifest;  // write the manifest these make to this file, and stop
  bool any() const;
};

struct RunArgs {
  // As typed; run_settings() resolves them into the settings' model_file, manifest, variant, data.
  std::string model = kDefaultModel, manifest, variant, data;
  std::string kernels = "fast";
  bool keep_going = false;
  bool isolate = false, in_process = false;  // neither: the backend's default
  PreprocessArgs pre;
  EvalSettings settings;  // the options that set a field as they are (backend, timeout, limit …)
};

void add_run_options(CLI::App* cmd, RunArgs& args);

// The settings the options ask for; resolves the model and its manifest (`resolved`), with the
// preprocessing options applied to it.
EvalSettings run_settings(const RunArgs& args, ResolvedModel& resolved);

// With --write-manifest: writes the resolved manifest there, says so, and returns true (the
// command then stops).
bool write_manifest_if_asked(const RunArgs& args, const ResolvedModel& resolved);

// Ctrl-C stops a run cleanly: running jobs finish, the report is written and marked incomplete.
// Installs the handler; the flag goes into the settings' `cancel`.
const std::atomic<bool>* interrupt_flag();
bool interrupted();

}  // namespace dpurun::app

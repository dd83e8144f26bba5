// Where the CLI looks for manifests, model files and data when not told.
#pragma once

#include <optional>
#include <string>

#include "dpurun/manifest.h"

namespace dpurun::app {

std::string models_dir();  // $DPURUN_MODELS, else the repository's models/, else the installed ones
// Where the installed manifests are when this code is not the installed program (the Python
// module, which knows where it was installed); default: share/dpurun/models from the program.
void set_installed_models_dir(const std::string& dir);
std::string model_root();  // $DPURUN_MODEL_ROOT, else ../shared/models beside the repository
std::string default_data();  // $DPURUN_DATA, else ../shared/data/cifar10-test-jpg
constexpr const char* kDefaultModel = "tf-resnet56-cifar10";

struct ResolvedModel {
  Manifest manifest;
  std::string file;
  std::string variant;
};

// `model` is a manifest name, a manifest .json, or a model file that a manifest lists (or any
// model file, when `unlisted_ok`: then with manifest_for_file's defaults). `manifest`
// (optional) names the manifest explicitly: a file or a name in models_dir().
ResolvedModel resolve_model(const std::string& model, const std::string& manifest,
                            const std::string& variant, bool unlisted_ok = false);

// The manifest in models_dir() that lists `file`, if any (with the variant it is).
std::optional<ResolvedModel> manifest_listing(const std::string& file);

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace dpurun::app

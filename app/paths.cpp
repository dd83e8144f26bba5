#include "paths.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dpurun/error.h"

namespace dpurun::app {
namespace fs = std::filesystem;

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// A Keras architecture (model.to_json()) rather than a manifest: {"class_name": …, "config": …}.
bool is_keras_architecture(const std::string& path) {
  std::ifstream in(path);
  std::string head(256, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head.find("\"class_name\"") != std::string::npos && head.find("\"files\"") == std::string::npos;
}
}  // namespace

namespace {
std::string& installed_models_dir() {
  static std::string dir;
  return dir;
}
}  // namespace

void set_installed_models_dir(const std::string& dir) { installed_models_dir() = dir; }

std::string models_dir() {
  // The repository's where it was built from; else where `cmake --install` or the package put
  // them, seen from this program (or as the caller said).
  std::error_code ec;
  std::string dflt = DPURUN_SOURCE_DIR "/models";
  if (!fs::is_directory(dflt, ec))
    dflt = !installed_models_dir().empty()
               ? installed_models_dir()
               : (fs::read_symlink("/proc/self/exe", ec).parent_path() / DPURUN_BIN_TO_MODELS).lexically_normal().string();
  return env_or("DPURUN_MODELS", dflt);
}
std::string model_root() {
  return env_or("DPURUN_MODEL_ROOT",
                std::filesystem::path(DPURUN_SOURCE_DIR "/../shared/models").lexically_normal().string());
}
std::string default_data() {
  return env_or("DPURUN_DATA", std::filesystem::path(DPURUN_SOURCE_DIR "/../shared/data/cifar10-test-jpg")
                                    .lexically_normal()
                                    .string());
}

ResolvedModel resolve_model(const std::string& model, const std::string& manifest_arg,
                            const std::string& variant, bool unlisted_ok) {
  std::error_code ec;
  auto pick = [&](Manifest m, std::string file, std::string v) {
    if (file.empty()) file = m.model_file(v);
    if (v.empty()) {
      v = m.default_variant;
      for (auto& [name, f] : m.files)
        if (fs::equivalent(f, file, ec)) v = name;
    }
    return ResolvedModel{std::move(m), std::move(file), std::move(v)};
  };
  bool is_json = fs::path(model).extension() == ".json" && !is_keras_architecture(model);
  auto known = [](const std::vector<Manifest>& all) {
    std::string names;
    for (auto& m : all) names += "\n  " + m.name;
    return "Known models (" + models_dir() + "):" + names;
  };
  if (!manifest_arg.empty()) {
    const std::string file = is_json || !fs::exists(model, ec) ? "" : model;
    if (fs::exists(manifest_arg, ec) || fs::path(manifest_arg).extension() == ".json")
      return pick(Manifest::load(manifest_arg, model_root()), file, variant);
    auto all = load_manifests(models_dir(), model_root());
    for (auto& m : all)
      if (m.name == manifest_arg) return pick(m, file, variant);
    throw Error(ErrorCode::kNotFound, "--manifest " + manifest_arg + ": no such manifest file or name. " + known(all));
  }
  if (is_json) return pick(Manifest::load(model, model_root()), "", variant);

  auto all = load_manifests(models_dir(), model_root());
  for (auto& m : all)
    if (m.name == model) return pick(m, "", variant);
  if (fs::is_regular_file(model, ec)) {
    if (auto listed = manifest_listing(model)) return std::move(*listed);
    if (unlisted_ok) return ResolvedModel{manifest_for_file(model), model, "model"};
    throw Error(ErrorCode::kNotFound,
                model + ": no manifest in " + models_dir() +
                    " lists this file, so its preprocessing is unknown: give it on the command line "
                    "(--channel-order, --scale, --mean, --std, --per-image-standardization, --resize; "
                    "see --help), or a manifest with --manifest (see models/README.md)");
  }
  throw Error(ErrorCode::kNotFound, model + ": no such model file or manifest. " + known(all));
}

std::optional<ResolvedModel> manifest_listing(const std::string& file) {
  std::error_code ec;
  for (auto& m : load_manifests(models_dir(), model_root()))
    for (auto& [v, f] : m.files)
      if (fs::equivalent(f, file, ec)) {
        std::string variant = v;
        return ResolvedModel{std::move(m), file, std::move(variant)};
      }
  return std::nullopt;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorCode::kIo, path + ": cannot be written");
    out << text;
    out.flush();
    if (!out) throw Error(ErrorCode::kIo, path + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(ErrorCode::kIo, path + ": cannot be written (" + ec.message() + ")");
}

}  // namespace dpurun::app

#include "dpurun/manifest.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/json_number.h"
#include "dpurun/error.h"
#include "common/file.h"

namespace dpurun {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, path + ": " + what);
}

template <typename T>
T get(const json& j, const char* key, const std::string& path, T dflt) {
  if (!j.contains(key)) return dflt;
  try {
    return json_number::get_checked<T>(j.at(key));
  } catch (const json::exception&) {
    bad(path, std::string("field \"") + key + "\" has the wrong type or an out-of-range number");
  }
}

}  // namespace

Manifest Manifest::load(const std::string& path, const std::string& model_root) {
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::exception& e) {  // parse errors, and numbers too large to hold
    bad(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) bad(path, "a manifest is a JSON object");
  static const std::vector<std::string> known{
      "name",       "description", "files",   "default",   "weights_from",
      "input",      "output",      "preprocess", "classes", "published", "provenance"};
  for (auto& [k, v] : j.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      bad(path, "unknown field \"" + k + "\"");

  Manifest m;
  m.path = path;
  m.name = get<std::string>(j, "name", path, fs::path(path).stem().string());
  m.description = get<std::string>(j, "description", path, "");
  if (!j.contains("files") || !j["files"].is_object() || j["files"].empty())
    bad(path, "\"files\" must map variant names to model files");
  for (auto& [variant, file] : j["files"].items()) {
    if (!file.is_string()) bad(path, "files." + variant + " must be a path");
    fs::path p = file.get<std::string>();
    m.files[variant] = (p.is_absolute() ? p : fs::path(model_root) / p).lexically_normal().string();
  }
  m.default_variant = get<std::string>(j, "default", path, m.files.begin()->first);
  if (!m.files.count(m.default_variant)) bad(path, "default variant is not in \"files\"");

  const json pairs = j.value("weights_from", json::object());  // kept alive for items()
  for (auto& [variant, source] : pairs.items()) {
    if (!source.is_string() || !m.files.count(variant) || !m.files.count(source.get<std::string>()))
      bad(path, "weights_from maps a variant of \"files\" to another one");
    m.weights_from[variant] = source.get<std::string>();
  }

  json in = j.value("input", json::object()), out = j.value("output", json::object());
  m.input_name = get<std::string>(in, "name", path, "");
  m.input_shape = get<Shape>(in, "shape", path, {});
  m.output_name = get<std::string>(out, "name", path, "");
  m.output_kind = get<std::string>(out, "kind", path, "probabilities");
  if (m.output_kind != "probabilities" && m.output_kind != "logits" && m.output_kind != "tensor")
    bad(path, "output.kind is \"probabilities\", \"logits\" or \"tensor\" (not a classifier)");

  json pre = j.value("preprocess", json::object());
  if (!pre.is_object()) bad(path, "\"preprocess\" must be an object");
  static const std::vector<std::string> known_pre{
      "channel_order", "scale",                "mean",                "std",
      "per_image_standardization", "resize", "resize_interpolation", "resize_before_color",
      "input_conversion"};
  for (auto& [k, v] : pre.items())
    if (std::find(known_pre.begin(), known_pre.end(), k) == known_pre.end())
      bad(path, "unknown field \"preprocess." + k + "\"");
  auto order = get<std::string>(pre, "channel_order", path, "RGB");
  auto& pp = m.preprocessing;
  if (order == "RGB") pp.channel_order = Preprocessing::ChannelOrder::kRGB;
  else if (order == "BGR") pp.channel_order = Preprocessing::ChannelOrder::kBGR;
  else if (order == "GRAY") pp.channel_order = Preprocessing::ChannelOrder::kGray;
  else bad(path, "preprocess.channel_order is RGB, BGR or GRAY");
  pp.scale = get<float>(pre, "scale", path, 1.f);
  std::size_t channels = pp.channel_order == Preprocessing::ChannelOrder::kGray ? 1 : 3;
  pp.mean = get<std::vector<float>>(pre, "mean", path, std::vector<float>(channels, 0.f));
  pp.std = get<std::vector<float>>(pre, "std", path, std::vector<float>(channels, 1.f));
  if (pp.mean.size() != channels || pp.std.size() != channels)
    bad(path, "preprocess.mean and std need one value per channel");
  for (float s : pp.std)
    if (s == 0.f) bad(path, "preprocess.std must not be 0");
  pp.per_image_standardization = get<bool>(pre, "per_image_standardization", path, false);
  auto resize = get<std::vector<int>>(pre, "resize", path, {});
  if (!resize.empty()) {
    if (resize.size() != 2 || resize[0] <= 0 || resize[1] <= 0)
      bad(path, "preprocess.resize is [height, width]");
    pp.resize_height = resize[0];
    pp.resize_width = resize[1];
  }
  try {
    pp.resize_interpolation = parse_interpolation(get<std::string>(pre, "resize_interpolation", path, "linear"));
    pp.input_conversion = parse_input_conversion(get<std::string>(pre, "input_conversion", path, "round"));
  } catch (const Error& e) {
    bad(path, std::string("preprocess: ") + e.what());
  }
  pp.resize_before_color = get<bool>(pre, "resize_before_color", path, false);
  m.classes = get<std::vector<std::string>>(j, "classes", path, {});
  json pub = j.value("published", json::object());
  if (pub.contains("top1")) m.published_top1 = get<double>(pub, "top1", path, 0.0);
  m.published_note = get<std::string>(pub, "note", path, "");
  return m;
}

namespace {
constexpr std::pair<const char*, Preprocessing::Interpolation> kInterpolations[] = {
    {"nearest", Preprocessing::Interpolation::kNearest},
    {"linear", Preprocessing::Interpolation::kLinear},
    {"area", Preprocessing::Interpolation::kArea},
    {"cubic", Preprocessing::Interpolation::kCubic},
};
}  // namespace

const char* to_string(Preprocessing::Interpolation interpolation) {
  for (auto& [n, i] : kInterpolations)
    if (i == interpolation) return n;
  return "?";
}

Preprocessing::Interpolation parse_interpolation(const std::string& name) {
  for (auto& [n, i] : kInterpolations)
    if (name == n) return i;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown resize interpolation '" + name + "': use nearest, linear, area or cubic (OpenCV's INTER_*)");
}

std::string Manifest::model_file(const std::string& variant) const {
  const std::string& v = variant.empty() ? default_variant : variant;
  auto it = files.find(v);
  if (it == files.end()) {
    std::string there;
    for (auto& [k, f] : files) there += (there.empty() ? "" : ", ") + k;
    throw Error(ErrorCode::kInvalidArgument,
                path + ": no variant \"" + v + "\"; this manifest has: " + there);
  }
  return it->second;
}

std::string Manifest::to_json() const {
  json j;
  j["name"] = name;
  if (!description.empty()) j["description"] = description;
  j["files"] = files;
  j["default"] = default_variant;
  if (!weights_from.empty()) j["weights_from"] = weights_from;
  json in = json::object(), out = json::object();
  if (!input_name.empty()) in["name"] = input_name;
  if (!input_shape.empty()) in["shape"] = input_shape;
  if (!output_name.empty()) out["name"] = output_name;
  out["kind"] = output_kind;
  if (!in.empty()) j["input"] = in;
  j["output"] = out;
  const auto& pp = preprocessing;
  json pre;
  pre["channel_order"] = pp.channel_order == Preprocessing::ChannelOrder::kRGB   ? "RGB"
                         : pp.channel_order == Preprocessing::ChannelOrder::kBGR ? "BGR"
                                                                                : "GRAY";
  pre["scale"] = pp.scale;
  pre["mean"] = pp.mean;
  pre["std"] = pp.std;
  pre["per_image_standardization"] = pp.per_image_standardization;
  if (pp.resize_height > 0) pre["resize"] = {pp.resize_height, pp.resize_width};
  pre["resize_interpolation"] = to_string(pp.resize_interpolation);
  pre["resize_before_color"] = pp.resize_before_color;
  pre["input_conversion"] = dpurun::to_string(pp.input_conversion);
  j["preprocess"] = pre;
  if (!classes.empty()) j["classes"] = classes;
  if (published_top1 || !published_note.empty()) {
    json pub = json::object();
    if (published_top1) pub["top1"] = *published_top1;
    if (!published_note.empty()) pub["note"] = published_note;
    j["published"] = pub;
  }
  return j.dump(2) + "\n";
}

Manifest manifest_for_file(const std::string& model_file) {
  Manifest m;
  m.name = fs::path(model_file).stem().string();
  m.files["model"] = fs::absolute(model_file).lexically_normal().string();
  m.default_variant = "model";
  return m;
}

std::vector<Manifest> load_manifests(const std::string& dir, const std::string& model_root) {
  std::vector<Manifest> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> paths;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (auto& p : paths) out.push_back(Manifest::load(p.string(), model_root));
  return out;
}

}  // namespace dpurun

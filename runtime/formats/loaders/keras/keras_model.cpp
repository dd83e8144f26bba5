#include "loaders/keras/keras_model.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include "dpurun/error.h"
#include "loaders/keras/hdf5_file.h"
#include "loaders/loader.h"

namespace dpurun::loaders::keras {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what,
                      ErrorCode code = ErrorCode::kInvalidModel) {
  throw Error(code, where + ": " + what);
}

bool is_keras1(const std::string& version) { return !version.empty() && version[0] == '1'; }

void refuse_keras1(const std::string& source, const std::string& version) {
  bad(source,
      "a Keras " + version +
          " model: dpurun reads Keras 2 files (Keras 2.0 to tf.keras 2.8). Load it in Keras 2 "
          "(keras.models.load_model converts Keras 1 configs) and save it again",
      ErrorCode::kUnsupported);
}

// Keras 1 configs have layer classes and argument names Keras 2 renamed.
void check_not_keras1_config(const std::string& source, const json& layer) {
  static const std::set<std::string> k1_classes{"Convolution2D", "Convolution1D",
                                                "AtrousConvolution2D", "SeparableConvolution2D",
                                                "Deconvolution2D"};
  const json& cfg = layer.value("config", json::object());
  if (k1_classes.count(layer.value("class_name", "")) ||
      (cfg.is_object() && (cfg.contains("nb_filter") || cfg.contains("border_mode") ||
                           cfg.contains("output_dim") || cfg.contains("subsample"))))
    refuse_keras1(source, "1.x");
}

Layer parse_layer(const std::string& source, const json& j) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string() ||
      !j.contains("config") || !j["config"].is_object())
    bad(source, "a layer of the model config has no class_name/config");
  check_not_keras1_config(source, j);
  Layer l;
  l.class_name = j["class_name"].get<std::string>();
  l.config = j["config"];
  if (j.contains("name") && j["name"].is_string())
    l.name = j["name"].get<std::string>();
  else if (l.config.contains("name") && l.config["name"].is_string())
    l.name = l.config["name"].get<std::string>();
  else
    bad(source, "a " + l.class_name + " layer has no name");
  if (l.class_name == "Sequential" || l.class_name == "Model" || l.class_name == "Functional")
    bad(source, "layer '" + l.name + "' is a nested model; flatten it into one model first",
        ErrorCode::kUnsupported);
  return l;
}

// Sequential: a list of layers (Keras 2.0–2.1) or {"name", "layers"}; an input layer is made
// for the first layer's batch_input_shape when the config has none (as Keras names it).
void parse_sequential(const std::string& source, const json& cfg, Model& m) {
  const json& layers = cfg.is_array()    ? cfg
                       : cfg.is_object() ? cfg.value("layers", json())
                                         : json();
  if (!layers.is_array() || layers.empty()) bad(source, "the Sequential config has no layers");
  for (const auto& j : layers) m.layers.push_back(parse_layer(source, j));
  if (m.layers.front().class_name != "InputLayer") {
    const Layer& first = m.layers.front();
    if (!first.config.contains("batch_input_shape"))
      bad(source, "the first layer '" + first.name + "' has no batch_input_shape");
    Layer in;
    in.class_name = "InputLayer";
    in.name = first.name + "_input";
    in.config = {{"batch_input_shape", first.config["batch_input_shape"]}, {"name", in.name}};
    m.layers.insert(m.layers.begin(), in);
  }
  for (std::size_t i = 1; i < m.layers.size(); ++i) {
    if (m.layers[i].class_name == "InputLayer")
      bad(source, "layer '" + m.layers[i].name + "': an InputLayer after the first layer");
    m.layers[i].inbound = {m.layers[i - 1].name};
  }
  m.inputs = {m.layers.front().name};
  m.outputs = {m.layers.back().name};
}

std::vector<std::string> endpoint_names(const std::string& source, const json& list,
                                        const char* what) {
  std::vector<std::string> out;
  if (!list.is_array() || list.empty()) bad(source, std::string("the model config has no ") + what);
  // [["input_1", 0, 0], …] or, for a single endpoint in some versions, ["input_1", 0, 0].
  if (list[0].is_string()) {
    out.push_back(list[0].get<std::string>());
    return out;
  }
  for (const auto& e : list) {
    if (!e.is_array() || e.empty() || !e[0].is_string())
      bad(source, std::string("the model config's ") + what + " are malformed");
    out.push_back(e[0].get<std::string>());
  }
  return out;
}

void parse_functional(const std::string& source, const json& cfg, Model& m) {
  if (!cfg.is_object() || !cfg.contains("layers") || !cfg["layers"].is_array())
    bad(source, "the model config has no layers");
  for (const auto& j : cfg["layers"]) {
    Layer l = parse_layer(source, j);
    const json& nodes = j.value("inbound_nodes", json::array());
    if (!nodes.is_array()) bad(source, "layer '" + l.name + "': inbound_nodes is malformed");
    if (nodes.size() > 1)
      bad(source,
          "layer '" + l.name + "' is called " + std::to_string(nodes.size()) +
              " times (shared layers are not supported)",
          ErrorCode::kUnsupported);
    if (nodes.size() == 1) {
      const json& node = nodes[0];
      if (!node.is_array()) bad(source, "layer '" + l.name + "': inbound_nodes is malformed");
      for (const auto& in : node) {
        if (!in.is_array() || in.size() < 3 || !in[0].is_string())
          bad(source, "layer '" + l.name + "': inbound_nodes is malformed");
        if (!in[1].is_number_integer() || in[1].get<std::int64_t>() != 0 ||
            !in[2].is_number_integer() || in[2].get<std::int64_t>() != 0)
          bad(source,
              "layer '" + l.name + "' takes a second output or call of '" +
                  in[0].get<std::string>() + "' (not supported)",
              ErrorCode::kUnsupported);
        l.inbound.push_back(in[0].get<std::string>());
      }
    }
    m.layers.push_back(std::move(l));
  }
  m.inputs = endpoint_names(source, cfg.value("input_layers", json()), "input_layers");
  m.outputs = endpoint_names(source, cfg.value("output_layers", json()), "output_layers");
  // Every inbound layer must come earlier: the config lists layers in topological order.
  std::set<std::string> seen;
  for (const auto& l : m.layers) {
    for (const auto& in : l.inbound)
      if (!seen.count(in))
        bad(source, "layer '" + l.name + "' takes '" + in + "', which is not an earlier layer");
    if (l.inbound.empty() && l.class_name != "InputLayer")
      bad(source, "layer '" + l.name + "' has no inputs");
    if (!seen.insert(l.name).second) bad(source, "two layers are named '" + l.name + "'");
  }
  for (const auto& n : m.inputs)
    if (!seen.count(n)) bad(source, "input layer '" + n + "' is not a layer of the model");
  for (const auto& n : m.outputs)
    if (!seen.count(n)) bad(source, "output layer '" + n + "' is not a layer of the model");
}

void parse_config_json(const std::string& source, const json& j, Model& m) {
  if (j.is_discarded() || !j.is_object())
    bad(source, "the model config is not JSON (expected Keras's model.to_json() output)");
  if (j.contains("keras_version") && j["keras_version"].is_string()) {
    std::string v = j["keras_version"].get<std::string>();
    if (m.keras_version.empty()) m.keras_version = v;
    if (is_keras1(v)) refuse_keras1(source, v);
  }
  std::string cls = j.contains("class_name") && j["class_name"].is_string()
                        ? j["class_name"].get<std::string>()
                        : std::string();
  if (!j.contains("config")) bad(source, "the model config has no \"config\"");
  if (cls == "Sequential")
    parse_sequential(source, j["config"], m);
  else if (cls == "Model" || cls == "Functional")
    parse_functional(source, j["config"], m);
  else if (cls.empty())
    bad(source, "the model config has no class_name (Sequential or Functional expected)");
  else
    bad(source,
        "the model config is a '" + cls + "'; dpurun reads Sequential and Functional models",
        ErrorCode::kUnsupported);
}

void parse_config(const std::string& source, const std::string& text, Model& m) {
  json j = json::parse(text, nullptr, false);
  try {
    parse_config_json(source, j, m);
  } catch (const json::exception& e) {  // a value of a wrong type that the checks missed
    bad(source, std::string("the model config is malformed (") + e.what() + ")");
  }
}

struct LayerWeights {
  std::string name;
  std::map<std::string, Weight> weights;
  std::vector<std::string> order;  // short names in the file's order
};

// The layer groups of a weights group (the root of a weights-only file, or model_weights).
std::vector<LayerWeights> read_weights(const Hdf5Group& g) {
  std::vector<LayerWeights> out;
  for (const auto& name : g.strings("layer_names")) {
    if (!g.has_group(name)) continue;  // listed but absent: a layer without weights in old files
    Hdf5Group lg = g.group(name);
    LayerWeights lw{name, {}, {}};
    if (lg.has_attribute("weight_names")) {
      for (const auto& wn : lg.strings("weight_names")) {
        // "conv2d_1/kernel:0" → "kernel"; tf.keras may nest ("dense/dense/kernel:0").
        std::string s = wn.substr(0, wn.rfind(':'));
        s = s.substr(s.rfind('/') + 1);
        Weight w;
        w.data = lg.floats(wn, w.shape);
        lw.weights[s] = std::move(w);
        lw.order.push_back(s);
      }
    }
    if (!lw.weights.empty()) out.push_back(std::move(lw));
  }
  return out;
}

void attach_weights(Model& m, std::vector<LayerWeights> weights, const std::string& weights_source,
                    const std::string& arch_source) {
  std::vector<Layer*> weighted;
  static const std::set<std::string> no_weights{"InputLayer",
                                                "Activation",
                                                "ReLU",
                                                "LeakyReLU",
                                                "MaxPooling2D",
                                                "AveragePooling2D",
                                                "GlobalAveragePooling2D",
                                                "GlobalMaxPooling2D",
                                                "Flatten",
                                                "Reshape",
                                                "Dropout",
                                                "Add",
                                                "Concatenate",
                                                "ZeroPadding2D",
                                                "SpatialDropout2D",
                                                "GaussianNoise",
                                                "GaussianDropout"};
  for (auto& l : m.layers)
    if (!no_weights.count(l.class_name)) weighted.push_back(&l);
  std::map<std::string, LayerWeights*> by_name;
  for (auto& w : weights) by_name[w.name] = &w;
  bool names_match = weighted.size() == weights.size() &&
                     std::all_of(weighted.begin(), weighted.end(),
                                 [&](Layer* l) { return by_name.count(l->name) > 0; });
  if (names_match) {
    for (Layer* l : weighted) l->weights = std::move(by_name[l->name]->weights);
    return;
  }
  // Keras's load_weights pairs the layers with weights in order, whatever their names.
  if (weighted.size() != weights.size())
    bad(weights_source, "holds weights for " + std::to_string(weights.size()) +
                            " layers, but the architecture in " + arch_source + " has " +
                            std::to_string(weighted.size()) +
                            " layers with weights: they are not the same model");
  for (std::size_t i = 0; i < weighted.size(); ++i)
    weighted[i]->weights = std::move(weights[i].weights);
}

// The text of `path` when it is an architecture JSON (named .json, or not HDF5 and starting
// with '{'); nothing for an HDF5 file (or a missing one, which HDF5's open then names).
std::optional<std::string> architecture_json(const std::string& path) {
  bool named_json = std::filesystem::path(path).extension() == ".json";
  if (!named_json && (!std::filesystem::exists(path) || looks_like_hdf5(path))) return std::nullopt;
  std::string text = read_file(path);
  auto first = text.find_first_not_of(" \t\r\n");
  if (named_json || (first != std::string::npos && text[first] == '{')) return text;
  return std::nullopt;
}

// The file's keras_version attribute ("" if none); Keras 1.x files are refused.
std::string keras_version(const Hdf5Group& root, const std::string& path) {
  if (!root.has_attribute("keras_version")) return "";
  std::string v = root.string("keras_version");
  if (is_keras1(v)) refuse_keras1(path, v);
  return v;
}

}  // namespace

const Layer& Model::layer(const std::string& name) const {
  for (const auto& l : layers)
    if (l.name == name) return l;
  throw Error(ErrorCode::kInvalidModel, source + ": no layer named '" + name + "'");
}

Model read_model(const std::string& model_path, const std::string& weights_path) {
  Model m;
  std::shared_ptr<const Hdf5File> file;  // model_path's, when it is HDF5
  if (auto arch = architecture_json(model_path)) {
    if (weights_path.empty())
      bad(model_path,
          "an architecture JSON holds no weights: pass its weights file with --weights w.h5",
          ErrorCode::kInvalidArgument);
    parse_config(model_path, *arch, m);
  } else {
    file = Hdf5File::open(model_path);
    Hdf5Group root = file->root();
    m.keras_version = keras_version(root, model_path);
    if (!root.has_attribute("model_config")) {
      if (root.has_attribute("layer_names"))
        bad(model_path,
            "a weights-only file (model.save_weights) holds no architecture: pass the JSON of "
            "model.to_json() with it, --model arch.json --weights " +
                model_path,
            ErrorCode::kInvalidArgument);
      bad(model_path, "an HDF5 file but not a Keras model (no model_config or layer_names)");
    }
    parse_config(model_path, root.string("model_config"), m);
  }
  const std::string& wpath = weights_path.empty() ? model_path : weights_path;
  if (wpath != model_path || !file) {
    file = Hdf5File::open(wpath);
    keras_version(file->root(), wpath);
  }
  Hdf5Group wroot = file->root();
  Hdf5Group wgroup = wroot.has_group("model_weights") ? wroot.group("model_weights") : wroot;
  if (!wgroup.has_attribute("layer_names"))
    bad(wpath, "holds no Keras weights (no layer_names attribute)");
  attach_weights(m, read_weights(wgroup), wpath, model_path);
  m.source = wpath == model_path ? model_path : model_path + " + " + wpath;
  return m;
}

}  // namespace dpurun::loaders::keras

// A Keras model as its HDF5 / JSON files hold it: the layers of its config, in order, with their
// weights. Reads the three ways Keras saves a model: a complete model (model.save, or a
// ModelCheckpoint), and an architecture JSON (model.to_json) with a weights-only file
// (model.save_weights), from Keras 2.0 to tf.keras 2.8.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dpurun::loaders::keras {

struct Weight {
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

struct Layer {
  std::string class_name;  // "Conv2D", "Dense", …
  std::string name;
  nlohmann::json config;
  std::vector<std::string> inbound;       // the layers whose outputs it takes, in order
  std::map<std::string, Weight> weights;  // "kernel", "bias", "gamma", "moving_mean", …
};

struct Model {
  std::string source;  // the file(s), for messages
  std::string keras_version;
  std::vector<Layer> layers;  // in the config's order, an InputLayer first for each input
  std::vector<std::string> inputs, outputs;  // layer names

  const Layer& layer(const std::string& name) const;
};

// `model_path`: a complete .h5, or an architecture .json (then `weights_path` is required).
// `weights_path`, where given, supplies the weights (a weights-only or a complete .h5).
// Throws Error naming the file (and the layer) for anything it cannot read.
Model read_model(const std::string& model_path, const std::string& weights_path = "");

}  // namespace dpurun::loaders::keras

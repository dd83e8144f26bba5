// Writes small Keras .h5 files the way Keras and h5py lay them out, for tests: a complete model
// (model_config + model_weights/) or a weights-only file (layer groups at the root).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dpurun::test {

struct KerasWeight {
  std::string name;  // "kernel", "bias", …
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

struct KerasLayerWeights {
  std::string layer;
  std::vector<KerasWeight> weights;  // empty: a layer without weights
};

struct KerasFileOptions {
  std::string model_config;  // model.to_json(); empty writes a weights-only file
  std::string keras_version = "2.2.4";
  bool fixed_length_strings = true;  // Keras 2.0–2.2 (numpy 'S'); tf.keras writes variable-length
};

void write_keras_h5(const std::string& path, const std::vector<KerasLayerWeights>& layers,
                    const KerasFileOptions& options);

}  // namespace dpurun::test

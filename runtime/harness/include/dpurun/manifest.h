// A model manifest (models/*.json): where a model's files are, which tensors to use, how its
// images must be preprocessed, and what its authors report.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/tensor.h"

namespace dpurun {

struct Preprocessing {
  enum class ChannelOrder { kRGB, kBGR, kGray };
  ChannelOrder channel_order = ChannelOrder::kRGB;
  // x = (pixel * scale - mean[c]) / std[c], then per-image standardisation if asked:
  // x = (x - mean(x)) / max(stddev(x), 1 / sqrt(N)), as tf.image.per_image_standardization.
  float scale = 1.f;
  std::vector<float> mean{0.f, 0.f, 0.f};
  std::vector<float> std{1.f, 1.f, 1.f};
  bool per_image_standardization = false;
  int resize_height = 0, resize_width = 0;  // 0: keep
  // OpenCV's interpolation, as the app (not the training) resizes; and whether it resizes
  // before the colour conversion (which matters only for a conversion to gray).
  enum class Interpolation { kNearest, kLinear, kArea, kCubic };
  Interpolation resize_interpolation = Interpolation::kLinear;
  bool resize_before_color = false;
  // Float → int8 where the model's input is int8: as the board app does it.
  InputConversion input_conversion;
};
const char* to_string(Preprocessing::Interpolation interpolation);
// "nearest", "linear", "area" or "cubic"; throws Error (kInvalidArgument) otherwise.
Preprocessing::Interpolation parse_interpolation(const std::string& name);

struct Manifest {
  std::string path;  // the manifest file itself
  std::string name;
  std::string description;
  std::map<std::string, std::string> files;  // variant ("float", "quantized", …) → model path
  std::string default_variant;
  // A compiled variant → the quantized variant whose weights it runs with (--weights-from).
  std::map<std::string, std::string> weights_from;
  std::string input_name, output_name;
  Shape input_shape;                         // optional override (NHWC, batch -1)
  // "probabilities" or "logits" of a classifier; "tensor": another output (an image, a map)
  std::string output_kind = "probabilities";
  bool classifier() const { return output_kind != "tensor"; }
  Preprocessing preprocessing;
  std::vector<std::string> classes;
  std::optional<double> published_top1;  // as the authors report it, 0..1
  std::string published_note;

  // Reads and validates a manifest; relative model paths resolve against `model_root`.
  static Manifest load(const std::string& path, const std::string& model_root);
  // The model file of a variant (the default if empty); throws naming the variants there are.
  std::string model_file(const std::string& variant = "") const;
  // The manifest as load() reads it back; model paths as they are (absolute where they were).
  std::string to_json() const;
};

// A manifest for a model file that none lists: one variant, "model", and the defaults (RGB, no
// scaling); the caller sets the preprocessing.
Manifest manifest_for_file(const std::string& model_file);

// Every manifest in `dir` (*.json), sorted by name. Files that fail to parse raise an Error.
std::vector<Manifest> load_manifests(const std::string& dir, const std::string& model_root);

}  // namespace dpurun

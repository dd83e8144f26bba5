// Image sets: a folder of images with labels.csv or class sub-folders, or the official CIFAR-10
// binary batches (labelled); a folder of images alone, or `random:N` — N standard-normal input
// tensors — for models that are not classifiers. Images are decoded and preprocessed on demand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpurun/manifest.h"

namespace dpurun {

class Dataset {
 public:
  // `path` is a directory (labels.csv, class sub-folders, CIFAR-10 .bin batches, or just images
  // inside), a .bin batch file, or `random:N[:SEED]`. `classes` (from the manifest) orders class
  // sub-folders; may be empty. Throws Error naming the path, line or file that is wrong.
  static Dataset open(const std::string& path, const std::vector<std::string>& classes = {});

  std::size_t size() const;
  const std::string& root() const;
  const std::vector<std::string>& class_names() const;
  int label(std::size_t i) const;  // -1 where the set has no labels
  bool labelled() const;
  const std::string& name(std::size_t i) const;  // file path, or "batch.bin#index"
  // "labels.csv", "class folders", "cifar10 binary", "images (no labels)", "random"
  std::string kind() const;

  // Decodes image i and preprocesses it into `out` (height × width × channels floats, NHWC);
  // throws Error naming the image when it cannot be read or does not fit that shape. A random
  // set writes input i: N(0, 1) values from a generator seeded with SEED and i.
  void load(std::size_t i, const Preprocessing& pre, const Shape& input_hwc, float* out) const;
  // The same quantized to a model's int8 input at `fix_point` by pre.input_conversion: what
  // quantize_input() makes of load()'s floats, in one step.
  void load(std::size_t i, const Preprocessing& pre, const Shape& input_hwc, int fix_point,
            std::int8_t* out) const;

  // load() in its two steps, to keep decoded images (a benchmark's input cache): 8-bit pixels as
  // decoded (BGR, or gray where `pre` asks for it; rows × columns × channels), then the rest.
  // A random set has no pixels: decode() throws.
  struct Pixels {
    int height = 0, width = 0, channels = 0;
    std::vector<std::uint8_t> data;
  };
  Pixels decode(std::size_t i, const Preprocessing& pre) const;
  void preprocess(std::size_t i, const Pixels& image, const Preprocessing& pre, const Shape& input_hwc,
                  float* out) const;
  void preprocess(std::size_t i, const Pixels& image, const Preprocessing& pre, const Shape& input_hwc,
                  int fix_point, std::int8_t* out) const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

struct ImageExportOptions {
  std::string format = "png";  // png (lossless) or jpg
  int jpeg_quality = 95;
  std::size_t limit = 0;  // 0: every image
};
// Writes the images of `data` as files under `out` (a new or empty folder), `<class>/<k>.<format>`
// with k counting within the class in data set order, plus `labels.csv` (path,label_index,
// label_name), the layout of ../shared/data/cifar10-test-jpg — the seed's generate_images step.
// Files go to a temporary folder first, so a failure never leaves a half-written set.
// Returns the number written; throws Error naming the image or path at fault.
std::size_t export_images(const Dataset& data, const std::string& out, const ImageExportOptions& options = {});

}  // namespace dpurun

// `dpurun freeze`: a Keras model as the frozen TensorFlow graph vai_q_tensorflow takes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dpurun/tensor.h"

namespace dpurun {

struct FrozenNode {
  std::string name;
  Shape shape;  // batch as -1
};

struct FreezeResult {
  std::string graph_def;  // the serialized GraphDef (.pb)
  std::string keras_version;
  std::vector<FrozenNode> inputs, outputs;
  std::size_t nodes = 0;
};

// Reads a complete Keras .h5, or an architecture .json with its `weights` (.h5), and freezes it
// for inference. Throws Error naming the file and layer at fault.
FreezeResult freeze_keras(const std::string& model, const std::string& weights = "");

}  // namespace dpurun

// Implementations of a model's custom ops (XIR op types the CPU reference does not know, such as
// the "Mylayer" of Vitis AI's custom-operator example). A model that uses an unregistered one is
// refused at load, naming it. Register before loading the model.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dpurun/tensor.h"

namespace dpurun {

// One call of a custom op, in float, for a whole batch (dimension 0 of the shapes).
struct CustomOpCall {
  std::vector<const float*> inputs;  // the op's arguments in the file's order: data and constants
  std::vector<Shape> input_shapes;
  float* output = nullptr;
  Shape output_shape;  // from the model file
};
using CustomOpFn = std::function<void(const CustomOpCall&)>;

// Registers `fn` for op type `type` (process-wide; a later registration replaces it, an empty
// function removes it). Models loaded before keep the implementation they were loaded with.
void register_custom_op(const std::string& type, CustomOpFn fn);
// The implementation for `type`, or nullptr.
std::shared_ptr<const CustomOpFn> find_custom_op(const std::string& type);
// The op types registered in this process.
std::vector<std::string> registered_custom_ops();

}  // namespace dpurun

// `dpurun inspect`: what a model file holds (describe_model), and what of it the CPU reference
// can run.
#pragma once

#include <string>

#include "dpurun/model_info.h"

namespace dpurun {

// describe_model() and whether the CPU reference loads it (with `weights_from`: a Keras
// architecture's weights .h5, a compiled .xmodel's quantized source). Throws Error as
// describe_model does.
ModelInfo inspect_model(const std::string& path, const std::string& weights_from = "");
std::string to_text(const ModelInfo& info);
std::string to_json(const ModelInfo& info);

}  // namespace dpurun

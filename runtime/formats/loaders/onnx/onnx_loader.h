// ONNX (.onnx) → graph::Graph, for QDQ exports of DPU-quantized CNNs: power-of-two
// QuantizeLinear/DequantizeLinear pairs become Fix nodes (rounding as the DPU does, or half to
// even as ONNX specifies when LoadOptions::onnx_rounding is set),
// NCHW tensors become NHWC, and weights move to dpurun's layouts.
#pragma once

#include <string>

#include "dpurun/model_info.h"
#include "graph/graph.h"
#include "loaders/loader.h"

namespace dpurun::loaders::onnx {

// Describes the file for inspect: kind (QDQ: quantized), inputs and outputs with their shapes.
void describe_onnx(const std::string& bytes, ModelInfo& info);
graph::Graph load_onnx(const std::string& bytes, const std::string& source,
                       const loaders::LoadOptions& options);

}  // namespace dpurun::loaders::onnx

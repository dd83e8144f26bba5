#include <unordered_map>

#include "loaders/onnx/ops/ops.h"

namespace dpurun::loaders::onnx {

Converter find_converter(const std::string& op_type) {
  static const std::unordered_map<std::string, Converter> table = {
      {"Constant", convert_constant},
      {"QuantizeLinear", convert_quantize_linear},
      {"DequantizeLinear", convert_dequantize_linear},
      {"Conv", convert_conv},
      {"Gemm", convert_gemm},
      {"MaxPool", convert_pool},
      {"AveragePool", convert_pool},
      {"Relu", convert_relu},
      {"Add", convert_add},
      {"Softmax", convert_softmax},
      {"Flatten", convert_flatten},
  };
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace dpurun::loaders::onnx

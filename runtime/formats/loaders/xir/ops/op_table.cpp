#include <unordered_map>

#include "loaders/xir/ops/ops.h"

namespace dpurun::loaders::xir {

Converter find_converter(const std::string& op_type) {
  static const std::unordered_map<std::string, Converter> table = {
      {"data", convert_data},
      {"const", convert_const},
      {"fix", convert_fix},
      {"float2fix", convert_fix},
      {"fix2float", convert_fix2float},
      {"concat", convert_concat},
      {"reshape", convert_reshape},
      {"flatten", convert_reshape},
      {"squeeze", convert_reshape},
      {"identity", convert_identity},
      {"stack", convert_stack},
      {"shape", convert_shape_op},
      {"conv2d", convert_conv2d},
      {"depthwise-conv2d", convert_depthwise_conv2d},
      {"transposed-conv2d", convert_transposed_conv2d},
      {"transposed-depthwise-conv2d", convert_transposed_depthwise_conv2d},
      {"conv1d", convert_conv1d},
      {"depthwise-conv1d", convert_depthwise_conv1d},
      {"matmul", convert_matmul},
      {"maxpool2d", convert_maxpool2d},
      {"avgpool2d", convert_avgpool2d},
      {"maxpool1d", convert_maxpool1d},
      {"avgpool1d", convert_avgpool1d},
      {"relu", convert_activation},
      {"relu6", convert_activation},
      {"leaky-relu", convert_activation},
      {"sigmoid", convert_activation},
      {"tanh", convert_activation},
      {"hard-sigmoid", convert_activation},
      {"hard-swish", convert_activation},
      {"clamp", convert_activation},
      {"hard-tanh", convert_activation},
      {"strided_slice", convert_strided_slice},
      {"pixel-shuffle", convert_pixel_shuffle},
      {"inner-product", convert_inner_product},
      {"add", convert_add},
      {"mul", convert_mul},
      {"sub", convert_sub},
      {"pad", convert_pad},
      {"scale", convert_scale},
      {"transpose", convert_transpose},
      {"aten::mean", convert_aten_mean},
      {"reduction_mean", convert_reduction},
      {"reduction_sum", convert_reduction},
      {"reduction_max", convert_reduction},
      {"reduction_product", convert_reduction},
      {"resize", convert_resize},
      {"prelu", convert_prelu},
      {"softmax", convert_softmax},
  };
  auto it = table.find(op_type);
  return it == table.end() ? find_compiled_converter(op_type) : it->second;
}

bool is_compiled_op(const std::string& t) {
  return t == "upload" || t == "download" || (t.size() > 4 && t.compare(t.size() - 4, 4, "-fix") == 0);
}

}  // namespace dpurun::loaders::xir

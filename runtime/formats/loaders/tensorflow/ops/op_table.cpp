#include <unordered_map>

#include "loaders/tensorflow/ops/ops.h"

namespace dpurun::loaders::tf {

const OpEntry* find_op(const std::string& op) {
  static const std::unordered_map<std::string, OpEntry> table = {
      {"Placeholder", {convert_placeholder, true}},
      {"PlaceholderWithDefault", {convert_placeholder_with_default, true}},
      {"Const", {convert_const, true}},
      {"Identity", {convert_identity, true}},
      {"StopGradient", {convert_identity, true}},
      {"Snapshot", {convert_identity, true}},
      {"PreventGradient", {convert_identity, true}},
      {"Switch", {convert_switch, true}},
      {"Shape", {convert_shape, true}},
      {"NoOp", {convert_no_op, true}},
      {"FixNeuron", {convert_fix_neuron, true}},
      {"Conv2D", {convert_conv2d, true}},
      {"DepthwiseConv2dNative", {convert_depthwise_conv2d, true}},
      {"MaxPool", {convert_pool, true}},
      {"AvgPool", {convert_pool, true}},
      {"BiasAdd", {convert_bias_add, true}},
      {"Relu", {convert_activation, true}},
      {"Relu6", {convert_activation, true}},
      {"LeakyRelu", {convert_activation, true}},
      {"Elu", {convert_activation, true}},
      {"Sigmoid", {convert_activation, true}},
      {"Tanh", {convert_activation, true}},
      {"FusedBatchNorm", {convert_fused_batch_norm, true}},
      {"FusedBatchNormV2", {convert_fused_batch_norm, true}},
      {"FusedBatchNormV3", {convert_fused_batch_norm, true}},
      {"Softmax", {convert_softmax, true}},
      {"Add", {convert_add, false}},
      {"AddV2", {convert_add, false}},
      {"Sub", {convert_sub, false}},
      {"Mul", {convert_mul, false}},
      {"RealDiv", {convert_div, false}},
      {"ConcatV2", {convert_concat, false}},
      {"Pad", {convert_pad, false}},
      {"PadV2", {convert_pad, false}},
      {"Mean", {convert_mean, false}},
      {"Max", {convert_max, false}},
      {"Reshape", {convert_reshape, false}},
      {"Squeeze", {convert_squeeze, false}},
      {"MatMul", {convert_matmul, false}},
  };
  auto it = table.find(op);
  return it == table.end() ? nullptr : &it->second;
}

Converter find_folder(const std::string& op) {
  static const std::unordered_map<std::string, Converter> table = {
      {"Add", fold_arithmetic},     {"AddV2", fold_arithmetic},
      {"Sub", fold_arithmetic},     {"Mul", fold_arithmetic},
      {"RealDiv", fold_arithmetic}, {"Maximum", fold_arithmetic},
      {"Minimum", fold_arithmetic}, {"StridedSlice", fold_strided_slice},
      {"Pack", fold_pack},          {"Prod", fold_prod},
      {"Cast", fold_cast},          {"Rsqrt", fold_float_unary},
      {"Sqrt", fold_float_unary},   {"Neg", fold_float_unary},
      {"Reshape", fold_reshape},
  };
  auto it = table.find(op);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace dpurun::loaders::tf

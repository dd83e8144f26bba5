// ONNX op converters, one family per file, and the table from op type to converter.
// Adding an op: its converter in the family's file, declared here, and one row in op_table.cpp.
#pragma once

#include <string>

#include "loaders/onnx/lowering.h"

namespace dpurun::loaders::onnx {

using Converter = void (*)(Lowering& L, const NodeProto& n);

// qdq.cpp
void convert_constant(Lowering& L, const NodeProto& n);
void convert_quantize_linear(Lowering& L, const NodeProto& n);
void convert_dequantize_linear(Lowering& L, const NodeProto& n);
// conv.cpp
void convert_conv(Lowering& L, const NodeProto& n);
void convert_gemm(Lowering& L, const NodeProto& n);
// pool.cpp
void convert_pool(Lowering& L, const NodeProto& n);
// elementwise.cpp
void convert_relu(Lowering& L, const NodeProto& n);
void convert_add(Lowering& L, const NodeProto& n);
void convert_softmax(Lowering& L, const NodeProto& n);
// tensor_ops.cpp
void convert_flatten(Lowering& L, const NodeProto& n);

// The converter of an op type; null when the loader has none.
Converter find_converter(const std::string& op_type);

}  // namespace dpurun::loaders::onnx

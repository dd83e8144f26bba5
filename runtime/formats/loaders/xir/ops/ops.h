// XIR op converters, one family per file, and the table from op type to converter.
// Adding an op: its converter in the family's file, declared here, and one row in op_table.cpp.
#pragma once

#include <string>

#include "loaders/xir/lowering.h"

namespace dpurun::loaders::xir {

// Adds the op's nodes to L.g and records its output in L.values (or fails naming the op).
using Converter = void (*)(Lowering& L, const OPNode& n);

// tensor_ops.cpp
void convert_data(Lowering& L, const OPNode& n);
void convert_const(Lowering& L, const OPNode& n);
void convert_fix(Lowering& L, const OPNode& n);
void convert_fix2float(Lowering& L, const OPNode& n);
void convert_concat(Lowering& L, const OPNode& n);
void convert_reshape(Lowering& L, const OPNode& n);
void convert_identity(Lowering& L, const OPNode& n);
void convert_shape_op(Lowering& L, const OPNode& n);
void convert_stack(Lowering& L, const OPNode& n);
void convert_transpose(Lowering& L, const OPNode& n);
void convert_aten_mean(Lowering& L, const OPNode& n);
void convert_reduction(Lowering& L, const OPNode& n);
void convert_resize(Lowering& L, const OPNode& n);
void convert_pad(Lowering& L, const OPNode& n);
void convert_strided_slice(Lowering& L, const OPNode& n);
void convert_pixel_shuffle(Lowering& L, const OPNode& n);
// conv.cpp
void convert_conv2d(Lowering& L, const OPNode& n);
void convert_depthwise_conv2d(Lowering& L, const OPNode& n);
void convert_transposed_conv2d(Lowering& L, const OPNode& n);
void convert_transposed_depthwise_conv2d(Lowering& L, const OPNode& n);
void convert_conv1d(Lowering& L, const OPNode& n);
void convert_depthwise_conv1d(Lowering& L, const OPNode& n);
void convert_matmul(Lowering& L, const OPNode& n);
void convert_inner_product(Lowering& L, const OPNode& n);
// pool.cpp
void convert_maxpool2d(Lowering& L, const OPNode& n);
void convert_avgpool2d(Lowering& L, const OPNode& n);
void convert_maxpool1d(Lowering& L, const OPNode& n);
void convert_avgpool1d(Lowering& L, const OPNode& n);
// elementwise.cpp
void convert_activation(Lowering& L, const OPNode& n);
void convert_add(Lowering& L, const OPNode& n);
void convert_mul(Lowering& L, const OPNode& n);
void convert_sub(Lowering& L, const OPNode& n);
void convert_scale(Lowering& L, const OPNode& n);
void convert_prelu(Lowering& L, const OPNode& n);
void convert_softmax(Lowering& L, const OPNode& n);

// compiled.cpp: the ops of a compiled model's DPU subgraphs; null for other types.
Converter find_compiled_converter(const std::string& op_type);

// The converter of an op type; null when the CPU reference has none.
Converter find_converter(const std::string& op_type);
// Op types only compiled models hold (conv2d-fix, upload, …): known, run by the DPU.
bool is_compiled_op(const std::string& op_type);

}  // namespace dpurun::loaders::xir

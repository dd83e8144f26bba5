// TensorFlow op converters, one family per file, and the tables from op name to converter.
// Adding an op: its converter in the family's file, declared here, and one row in op_table.cpp.
#pragma once

#include <string>

#include "loaders/tensorflow/lowering.h"

namespace dpurun::loaders::tf {

// Adds the node's ops to L.g, or records what it computes at load time, or fails naming it.
using Converter = void (*)(Lowering& L, const NodeDef& n);

struct OpEntry {
  Converter convert;
  // True: converted even when every input is known (inputs, weights-taking ops, activations);
  // false: such a node is folded at load time instead (find_folder).
  bool always;
};

// graph_ops.cpp
void convert_placeholder(Lowering& L, const NodeDef& n);
void convert_placeholder_with_default(Lowering& L, const NodeDef& n);
void convert_const(Lowering& L, const NodeDef& n);
void convert_identity(Lowering& L, const NodeDef& n);
void convert_switch(Lowering& L, const NodeDef& n);
void convert_shape(Lowering& L, const NodeDef& n);
void convert_no_op(Lowering& L, const NodeDef& n);
// conv.cpp
void convert_conv2d(Lowering& L, const NodeDef& n);
void convert_depthwise_conv2d(Lowering& L, const NodeDef& n);
void convert_matmul(Lowering& L, const NodeDef& n);
void convert_bias_add(Lowering& L, const NodeDef& n);
void convert_fused_batch_norm(Lowering& L, const NodeDef& n);
// pool.cpp
void convert_pool(Lowering& L, const NodeDef& n);
void convert_mean(Lowering& L, const NodeDef& n);
void convert_max(Lowering& L, const NodeDef& n);
// elementwise.cpp
void convert_activation(Lowering& L, const NodeDef& n);
void convert_add(Lowering& L, const NodeDef& n);
void convert_sub(Lowering& L, const NodeDef& n);
void convert_mul(Lowering& L, const NodeDef& n);
void convert_div(Lowering& L, const NodeDef& n);
void convert_softmax(Lowering& L, const NodeDef& n);
void convert_fix_neuron(Lowering& L, const NodeDef& n);
// tensor_ops.cpp
void convert_concat(Lowering& L, const NodeDef& n);
void convert_pad(Lowering& L, const NodeDef& n);
void convert_reshape(Lowering& L, const NodeDef& n);
void convert_squeeze(Lowering& L, const NodeDef& n);
// fold.cpp: evaluated on known inputs
void fold_arithmetic(Lowering& L, const NodeDef& n);
void fold_strided_slice(Lowering& L, const NodeDef& n);
void fold_pack(Lowering& L, const NodeDef& n);
void fold_prod(Lowering& L, const NodeDef& n);
void fold_cast(Lowering& L, const NodeDef& n);
void fold_float_unary(Lowering& L, const NodeDef& n);
void fold_reshape(Lowering& L, const NodeDef& n);

// The entry of an op; null when the loader has none.
const OpEntry* find_op(const std::string& op);
// The load-time evaluation of an op on known inputs; null when there is none.
Converter find_folder(const std::string& op);

}  // namespace dpurun::loaders::tf

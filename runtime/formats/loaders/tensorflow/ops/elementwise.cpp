// Activations, binary arithmetic, softmax and vai_q_tensorflow's FixNeuron.
#include "loaders/tensorflow/ops/ops.h"

#include "graph/lower_fix.h"

namespace dpurun::loaders::tf {

namespace {

void lower_binary(Lowering& L, const NodeDef& n, graph::BinaryKind kind) {
  Entry& a = L.input(n, 0);
  Entry& b = L.input(n, 1);
  if (a.kind == Entry::kKnown && b.kind == Entry::kKnown) return L.fold_known(n);
  ValueId va = L.runtime_input(n, 0);
  ValueId vb = L.runtime_input(n, 1);
  bool ok;
  Shape out = broadcast(L.shape_of(va), L.shape_of(vb), ok);
  if (!ok)
    L.fail(n, ErrorCode::kInvalidModel,
           "shapes " + to_string(L.shape_of(va)) + " and " + to_string(L.shape_of(vb)) +
               " do not broadcast");
  L.add_node(n, OpType::kBinary, graph::BinaryParams{kind, {}}, {va, vb}, out);
}

}  // namespace

void convert_activation(Lowering& L, const NodeDef& n) {
  const std::string& op = n.op();
  ValueId x = L.runtime_input(n, 0);
  graph::UnaryParams p;
  p.act.kind = op == "Relu"        ? graph::Activation::kRelu
               : op == "Relu6"     ? graph::Activation::kRelu6
               : op == "LeakyRelu" ? graph::Activation::kLeakyRelu
               : op == "Elu"       ? graph::Activation::kElu
               : op == "Sigmoid"   ? graph::Activation::kSigmoid
                                   : graph::Activation::kTanh;
  p.act.alpha = L.attr_f(n, "alpha", 0.2f);
  return void(L.add_node(n, OpType::kUnary, p, {x}, L.shape_of(x)));
}

void convert_add(Lowering& L, const NodeDef& n) { lower_binary(L, n, graph::BinaryKind::kAdd); }
void convert_sub(Lowering& L, const NodeDef& n) { lower_binary(L, n, graph::BinaryKind::kSub); }
void convert_mul(Lowering& L, const NodeDef& n) { lower_binary(L, n, graph::BinaryKind::kMul); }
void convert_div(Lowering& L, const NodeDef& n) { lower_binary(L, n, graph::BinaryKind::kDiv); }

void convert_softmax(Lowering& L, const NodeDef& n) {
  ValueId x = L.runtime_input(n, 0);
  return void(L.add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, L.shape_of(x)));
}

// vai_q_tensorflow's FixNeuron: quantize_pos is the fix point. The DPU rounds half up
// (DPU_ROUND); the attribute set has no round mode, so that is what is emulated.
void convert_fix_neuron(Lowering& L, const NodeDef& n) {
  graph::FixInfo fix;
  if (!L.attr(n, "quantize_pos"))
    L.fail(n, ErrorCode::kInvalidModel, "FixNeuron has no quantize_pos (the fix point)");
  fix.fix_point = static_cast<int>(L.attr_i(n, "quantize_pos", 0));
  fix.bit_width = static_cast<int>(L.attr_i(n, "bit_width", 8));
  if (fix.bit_width < 2 || fix.bit_width > 16)
    L.fail(n, ErrorCode::kInvalidModel,
           "bit_width " + std::to_string(fix.bit_width) + " is not valid");
  if (fix.fix_point < -32 || fix.fix_point > 32)
    L.fail(n, ErrorCode::kInvalidModel,
           "quantize_pos " + std::to_string(fix.fix_point) + " is not valid");
  Entry& in = L.input(n, 0);
  if (in.kind == Entry::kKnown) {  // weights: snapped to the grid at load time
    Known k = *in.known;
    if (k.type != dpurun::DataType::kFloat32)
      L.fail(n, ErrorCode::kInvalidModel, "quantizes integers");
    graph::fake_quantize(k.f, fix);
    k.fix = fix;
    return L.set_known(n, std::move(k));
  }
  ValueId x = L.runtime_input(n, 0);
  L.add_node(n, OpType::kFix, graph::FixParams{fix}, {x}, L.shape_of(x));
}

}  // namespace dpurun::loaders::tf

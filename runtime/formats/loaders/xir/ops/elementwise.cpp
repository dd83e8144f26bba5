// Activations, add, prelu and softmax.
#include "loaders/xir/ops/ops.h"

namespace dpurun::loaders::xir {

void convert_activation(Lowering& L, const OPNode& n) {
  const std::string& t = n.op_type();
  ValueId x = L.input(n, "input");
  graph::UnaryParams p;
  p.act.kind = t == "relu"           ? graph::Activation::kRelu
               : t == "relu6"        ? graph::Activation::kRelu6
               : t == "leaky-relu"   ? graph::Activation::kLeakyRelu
               : t == "sigmoid"      ? graph::Activation::kSigmoid
               : t == "hard-sigmoid" ? graph::Activation::kHardSigmoid
               : t == "hard-swish"   ? graph::Activation::kHardSwish
                                     : graph::Activation::kTanh;
  p.act.alpha = L.attr_f(n, "alpha", 0.1f);
  L.add_node(n, OpType::kUnary, p, {x}, L.g.value(x).shape);
}

void convert_add(Lowering& L, const OPNode& n) {
  auto ins = L.arg(n, "input");
  if (ins.size() != 2)
    L.fail(n, ErrorCode::kUnsupported, "add of " + std::to_string(ins.size()) + " inputs");
  ValueId a = L.value_of(n, ins[0]), b = L.value_of(n, ins[1]);
  if (L.g.value(a).shape != L.g.value(b).shape)
    L.fail(n, ErrorCode::kUnsupported, "add with broadcasting");
  L.add_node(n, OpType::kBinary, graph::BinaryParams{}, {a, b}, L.g.value(a).shape);
}

// Runs in float; a fix op after it requantizes, as the quantizer simulates.
void convert_prelu(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  ValueId alpha = L.input(n, "alpha");
  const Shape xs = L.g.value(x).shape;
  if (!L.g.value(alpha).is_constant() || element_count(L.g.value(alpha).shape) != xs.back())
    L.fail(n, ErrorCode::kInvalidModel, "alpha must be a constant with one value per channel");
  L.add_node(n, OpType::kPRelu, std::monostate{}, {x, alpha}, xs);
}

void convert_softmax(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  L.add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, L.g.value(x).shape);
}

}  // namespace dpurun::loaders::xir

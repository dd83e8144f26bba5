// Relu, Add and Softmax.
#include "loaders/onnx/ops/ops.h"

namespace dpurun::loaders::onnx {

void convert_relu(Lowering& L, const NodeProto& n) {
  Entry e = L.in(n, 0);
  ValueId x = L.runtime(n, 0);
  graph::UnaryParams p;
  p.act.kind = graph::Activation::kRelu;
  L.add_node(n, OpType::kUnary, p, {x}, L.g.value(x).shape);
  L.entries[n.output(0)].chw = e.chw;
}

void convert_add(Lowering& L, const NodeProto& n) {
  ValueId a = L.runtime(n, 0), b = L.runtime(n, 1);
  if (L.g.value(a).shape != L.g.value(b).shape) L.fail(n, ErrorCode::kUnsupported, "broadcasting Add");
  L.add_node(n, OpType::kBinary, graph::BinaryParams{}, {a, b}, L.g.value(a).shape);
}

void convert_softmax(Lowering& L, const NodeProto& n) {
  ValueId x = L.runtime(n, 0);
  L.add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, L.g.value(x).shape);
}

}  // namespace dpurun::loaders::onnx

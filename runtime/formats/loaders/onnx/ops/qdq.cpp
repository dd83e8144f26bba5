// Constants and the QDQ pair (QuantizeLinear, DequantizeLinear), which becomes one Fix node.
#include "loaders/onnx/ops/ops.h"

#include "graph/lower_fix.h"

namespace dpurun::loaders::onnx {

void convert_constant(Lowering& L, const NodeProto& n) {
  auto* v = L.attr(n, "value");
  if (!v || !v->has_t()) L.fail(n, ErrorCode::kUnsupported, "only tensor-valued constants");
  L.entries[n.output(0)] = L.tensor_entry(v->t(), L.source);
}

void convert_quantize_linear(Lowering& L, const NodeProto& n) {
  graph::FixInfo f = L.qdq_fix(n);
  Entry e = L.in(n, 0);
  if (e.kind == Entry::kKnown) {
    graph::fake_quantize(e.data, f);
    e.fix = f;
  } else if (e.kind == Entry::kRuntime) {
    e.kind = Entry::kQuantized;
    e.fix = f;
  } else {
    L.fail(n, ErrorCode::kUnsupported, "quantizes an already quantized tensor");
  }
  L.entries[n.output(0)] = e;
}

void convert_dequantize_linear(Lowering& L, const NodeProto& n) {
  graph::FixInfo f = L.qdq_fix(n);
  Entry e = L.in(n, 0);
  if (!e.fix || e.fix->fix_point != f.fix_point)
    L.fail(n, ErrorCode::kUnsupported, "must follow a QuantizeLinear of the same scale");
  if (e.kind == Entry::kKnown) {
    L.entries[n.output(0)] = e;  // weights on their grid, annotated
    return;
  }
  Shape chw = e.chw;
  L.add_node(n, OpType::kFix, graph::FixParams{f}, {e.value}, L.g.value(e.value).shape);
  L.entries[n.output(0)].chw = chw;
}

}  // namespace dpurun::loaders::onnx

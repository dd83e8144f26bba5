// Flatten (remembering ONNX's C, H, W order for the Gemm after it).
#include "loaders/onnx/ops/ops.h"

namespace dpurun::loaders::onnx {

void convert_flatten(Lowering& L, const NodeProto& n) {
  ValueId x = L.runtime(n, 0);
  const Shape xs = L.g.value(x).shape;
  if (L.int_attr(n, "axis", 1) != 1) L.fail(n, ErrorCode::kUnsupported, "only axis 1");
  std::int64_t k = element_count(Shape(xs.begin() + 1, xs.end()));
  L.add_node(n, OpType::kReshape, std::monostate{}, {x}, {-1, k});
  // NHWC flattens in H, W, C order; ONNX's NCHW tensor flattens in C, H, W order.
  if (xs.size() == 4 && xs[3] > 1 && (xs[1] > 1 || xs[2] > 1)) L.entries[n.output(0)].chw = {xs[3], xs[1], xs[2]};
}

}  // namespace dpurun::loaders::onnx

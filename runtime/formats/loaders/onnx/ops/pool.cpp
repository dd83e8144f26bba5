// MaxPool and AveragePool.
#include "loaders/onnx/ops/ops.h"

namespace dpurun::loaders::onnx {

void convert_pool(Lowering& L, const NodeProto& n) {
  const std::string& t = n.op_type();
  ValueId x = L.runtime(n, 0);
  const Shape xs = L.g.value(x).shape;
  auto k = L.ints(n, "kernel_shape", {});
  if (k.size() != 2 || L.int_attr(n, "ceil_mode", 0) != 0)
    L.fail(n, ErrorCode::kUnsupported, "only 2-D pooling with ceil_mode 0");
  auto s = L.ints(n, "strides", {1, 1});
  auto pads = L.ints(n, "pads", {0, 0, 0, 0});
  if (s.size() != 2 || pads.size() != 4)
    L.fail(n, ErrorCode::kInvalidModel, "strides or pads have the wrong length");
  loaders::check_window(L.source + ": node '" + n.output(0) + "'", xs[1], xs[2], k[0], k[1], s[0],
                        s[1], 1, 1, pads[0], pads[2], pads[1], pads[3]);
  graph::PoolParams p;
  p.kind = t == "MaxPool" ? graph::PoolKind::kMax : graph::PoolKind::kAverage;
  p.kernel_h = static_cast<int>(k[0]);
  p.kernel_w = static_cast<int>(k[1]);
  p.stride_h = static_cast<int>(s[0]);
  p.stride_w = static_cast<int>(s[1]);
  p.pad_top = static_cast<int>(pads[0]);
  p.pad_left = static_cast<int>(pads[1]);
  p.pad_bottom = static_cast<int>(pads[2]);
  p.pad_right = static_cast<int>(pads[3]);
  p.count_include_pad = L.int_attr(n, "count_include_pad", 0) != 0;
  std::int64_t oh = (xs[1] + p.pad_top + p.pad_bottom - p.kernel_h) / p.stride_h + 1;
  std::int64_t ow = (xs[2] + p.pad_left + p.pad_right - p.kernel_w) / p.stride_w + 1;
  L.add_node(n, OpType::kPool, p, {x}, {-1, oh, ow, xs[3]});
}

}  // namespace dpurun::loaders::onnx

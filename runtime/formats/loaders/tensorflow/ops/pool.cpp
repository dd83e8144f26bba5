// Pooling and reductions over H and W (Mean, Max).
#include "loaders/tensorflow/ops/ops.h"

#include <algorithm>

namespace dpurun::loaders::tf {

void convert_pool(Lowering& L, const NodeDef& n) {
  if (L.attr_s(n, "data_format", "NHWC") != "NHWC")
    L.fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
  ValueId x = L.runtime_input(n, 0);
  const Shape xs = L.shape_of(x);
  if (xs.size() != 4) L.fail(n, ErrorCode::kInvalidModel, "input is not 4-D: " + to_string(xs));
  auto k = L.attr_ints(n, "ksize");
  auto s = L.attr_ints(n, "strides");
  if (k.size() != 4 || s.size() != 4 || k[0] != 1 || k[3] != 1 || s[0] != 1 || s[3] != 1 ||
      k[1] < 1 || k[2] < 1 || s[1] < 1 || s[2] < 1)
    L.fail(n, ErrorCode::kUnsupported, "pooling windows other than over H and W are not supported");
  graph::PoolParams p;
  p.kind = n.op() == "MaxPool" ? graph::PoolKind::kMax : graph::PoolKind::kAverage;
  p.kernel_h = static_cast<int>(k[1]);
  p.kernel_w = static_cast<int>(k[2]);
  p.stride_h = static_cast<int>(s[1]);
  p.stride_w = static_cast<int>(s[2]);
  std::string padding = L.attr_s(n, "padding", "VALID");
  if (padding != "SAME" && padding != "VALID")
    L.fail(n, ErrorCode::kUnsupported, "padding '" + padding + "' is not supported");
  std::int64_t oh, ow;
  L.same_padding(n, padding, xs[1], p.kernel_h, p.stride_h, 1, p.pad_top, p.pad_bottom, oh);
  L.same_padding(n, padding, xs[2], p.kernel_w, p.stride_w, 1, p.pad_left, p.pad_right, ow);
  L.add_node(n, OpType::kPool, p, {x}, {xs[0], oh, ow, xs[3]});
}

void convert_mean(Lowering& L, const NodeDef& n) {
  ValueId x = L.runtime_input(n, 0);
  const Known& ak = L.known_input(n, 1, "the axes");
  Shape xs = L.shape_of(x);
  graph::MeanParams p;
  p.keep_dims = L.attr_b(n, "keep_dims", false);
  for (auto a : ak.i) {
    if (a < 0) a += static_cast<std::int64_t>(xs.size());
    if (a <= 0 || a >= static_cast<std::int64_t>(xs.size()))
      L.fail(n, ErrorCode::kUnsupported, "mean over axis " + std::to_string(a));
    p.axes.push_back(static_cast<int>(a));
  }
  std::sort(p.axes.begin(), p.axes.end());
  p.axes.erase(std::unique(p.axes.begin(), p.axes.end()), p.axes.end());
  Shape out;
  for (std::size_t d = 0; d < xs.size(); ++d) {
    bool reduced = std::find(p.axes.begin(), p.axes.end(), static_cast<int>(d)) != p.axes.end();
    if (!reduced)
      out.push_back(xs[d]);
    else if (p.keep_dims)
      out.push_back(1);
  }
  return void(L.add_node(n, OpType::kMean, p, {x}, out));
}

// Global max pooling (Keras GlobalMaxPooling2D): a pool over H × W.
void convert_max(
    Lowering& L,
    const NodeDef& n) {  // global max pooling (Keras GlobalMaxPooling2D): a pool over H × W
  ValueId x = L.runtime_input(n, 0);
  const Known& ak = L.known_input(n, 1, "the axes");
  Shape xs = L.shape_of(x);
  std::vector<std::int64_t> axes;
  for (auto a : ak.i) axes.push_back(a < 0 ? a + static_cast<std::int64_t>(xs.size()) : a);
  std::sort(axes.begin(), axes.end());
  if (xs.size() != 4 || axes != std::vector<std::int64_t>{1, 2})
    L.fail(n, ErrorCode::kUnsupported, "max over axes other than H and W of an NHWC tensor");
  graph::PoolParams p;
  p.kind = graph::PoolKind::kMax;
  p.kernel_h = p.stride_h = static_cast<int>(xs[1]);
  p.kernel_w = p.stride_w = static_cast<int>(xs[2]);
  if (L.attr_b(n, "keep_dims", false))
    return void(L.add_node(n, OpType::kPool, p, {x}, {xs[0], 1, 1, xs[3]}));
  ValueId pooled =
      L.g.add_value(n.name() + "/pool", dpurun::DataType::kFloat32, {xs[0], 1, 1, xs[3]});
  Node pool;
  pool.name = n.name() + "/pool";
  pool.source_op = n.op();
  pool.op = OpType::kPool;
  pool.params = p;
  pool.inputs = {x};
  pool.outputs = {pooled};
  L.g.add_node(std::move(pool));
  return void(L.add_node(n, OpType::kReshape, std::monostate{}, {pooled}, {xs[0], xs[3]}));
}

}  // namespace dpurun::loaders::tf

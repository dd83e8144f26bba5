// Max and average pooling, 2-D and 1-D (XIR's CEIL mode pads the extra window at the end).
#include "loaders/xir/ops/ops.h"

namespace dpurun::loaders::xir {

namespace {

void lower_pool(Lowering& L, const OPNode& n, graph::PoolKind kind) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  if (xs.size() != 4) L.fail(n, ErrorCode::kInvalidModel, "input is not 4-D");
  graph::PoolParams p;
  p.kind = kind;
  if (L.attr_b(n, "global", false)) {
    p.kernel_h = static_cast<int>(xs[1]);
    p.kernel_w = static_cast<int>(xs[2]);
  } else {
    auto k = L.attr_ints(n, "kernel", {});
    if (k.size() != 2) L.fail(n, ErrorCode::kInvalidModel, "has no kernel size");
    p.kernel_w = static_cast<int>(k[0]);
    p.kernel_h = static_cast<int>(k[1]);
    auto s = L.attr_ints(n, "stride", {k[0], k[1]});
    auto pad = L.attr_ints(n, "pad", {0, 0, 0, 0});
    if (s.size() != 2 || pad.size() != 4)
      L.fail(n, ErrorCode::kInvalidModel, "stride or pad has the wrong length");
    loaders::check_window(L.source + ": op '" + n.op_name() + "'", xs[1], xs[2], k[1], k[0], s[1],
                          s[0], 1, 1, pad[2], pad[3], pad[0], pad[1]);
    p.stride_w = static_cast<int>(s[0]);
    p.stride_h = static_cast<int>(s[1]);
    p.pad_left = static_cast<int>(pad[0]);
    p.pad_right = static_cast<int>(pad[1]);
    p.pad_top = static_cast<int>(pad[2]);
    p.pad_bottom = static_cast<int>(pad[3]);
  }
  p.count_include_pad = L.attr_b(n, "count_include_pad", true);
  Shape out = L.output_shape(n, true);
  if (out.size() != 4 || out[3] != xs[3])
    L.fail(n, ErrorCode::kInvalidModel, "output does not fit the input");
  // CEIL mode: the extra window row/column is padded at the end.
  std::int64_t fh = (xs[1] + p.pad_top + p.pad_bottom - p.kernel_h) / p.stride_h + 1;
  std::int64_t fw = (xs[2] + p.pad_left + p.pad_right - p.kernel_w) / p.stride_w + 1;
  if (out[1] == fh + 1)
    p.pad_bottom += p.stride_h - 1;
  else if (out[1] != fh)
    L.fail(n, ErrorCode::kInvalidModel, "output height does not follow from its attributes");
  if (out[2] == fw + 1)
    p.pad_right += p.stride_w - 1;
  else if (out[2] != fw)
    L.fail(n, ErrorCode::kInvalidModel, "output width does not follow from its attributes");
  L.add_node(n, OpType::kPool, p, {x}, out);
}

// XIR's 1-D pools (input [N, L, C]; kernel {k}, stride {s}, pad {left, right}) as 2-D ones of
// height 1 between two reshapes, as conv1d (conv.cpp).
void lower_pool1d(Lowering& L, const OPNode& n, graph::PoolKind kind) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  const Shape out3 = L.output_shape(n, true);
  if (xs.size() != 3 || out3.size() != 3) L.fail(n, ErrorCode::kInvalidModel, "expects 3-D input and output (N, L, C)");
  OPNode n2 = L.height_one_twin(n, "/as_pool2d", x, out3);
  if (!L.attr_b(n, "global", false)) {
    auto k = L.attr_ints(n, "kernel", {});
    auto s = L.attr_ints(n, "stride", k);
    auto pad = L.attr_ints(n, "pad", {0, 0});
    if (k.size() != 1 || s.size() != 1 || pad.size() != 2)
      L.fail(n, ErrorCode::kInvalidModel, "kernel, stride or pad has the wrong length for a 1-D pool");
    Lowering::set_ints(n2, "kernel", {static_cast<std::int32_t>(k[0]), 1});
    Lowering::set_ints(n2, "stride", {static_cast<std::int32_t>(s[0]), 1});
    Lowering::set_ints(n2, "pad", {static_cast<std::int32_t>(pad[0]), static_cast<std::int32_t>(pad[1]), 0, 0});
  }
  lower_pool(L, n2, kind);
  L.add_node(n, OpType::kReshape, std::monostate{}, {L.values.at(n2.op_name())}, out3);
}

}  // namespace

void convert_maxpool1d(Lowering& L, const OPNode& n) { lower_pool1d(L, n, graph::PoolKind::kMax); }
void convert_avgpool1d(Lowering& L, const OPNode& n) { lower_pool1d(L, n, graph::PoolKind::kAverage); }
void convert_maxpool2d(Lowering& L, const OPNode& n) { lower_pool(L, n, graph::PoolKind::kMax); }
void convert_avgpool2d(Lowering& L, const OPNode& n) {
  lower_pool(L, n, graph::PoolKind::kAverage);
}

}  // namespace dpurun::loaders::xir

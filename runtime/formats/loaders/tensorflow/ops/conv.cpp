// Convolutions, MatMul, bias and batch normalization.
#include "loaders/tensorflow/ops/ops.h"

#include <cmath>

namespace dpurun::loaders::tf {

namespace {

void lower_conv(Lowering& L, const NodeDef& n, bool depthwise) {
  if (L.attr_s(n, "data_format", "NHWC") != "NHWC")
    L.fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
  ValueId x = L.runtime_input(n, 0);
  const Known& w = L.known_input(n, 1, "the filter");
  const Shape xs = L.shape_of(x);
  if (xs.size() != 4) L.fail(n, ErrorCode::kInvalidModel, "input is not 4-D: " + to_string(xs));
  if (w.shape.size() != 4 || w.type != dpurun::DataType::kFloat32)
    L.fail(n, ErrorCode::kInvalidModel, "filter is not a 4-D float tensor");
  if (w.shape[2] != xs[3])
    L.fail(n, ErrorCode::kInvalidModel,
           "filter " + to_string(w.shape) + " does not match input channels " + to_string(xs));
  auto strides = L.attr_ints(n, "strides");
  auto dil = L.attr_ints(n, "dilations");
  if (strides.empty()) strides = {1, 1, 1, 1};
  if (dil.empty()) dil = {1, 1, 1, 1};
  if (strides.size() != 4 || dil.size() != 4 || strides[0] != 1 || strides[3] != 1 || dil[0] != 1 ||
      dil[3] != 1 || strides[1] < 1 || strides[2] < 1 || dil[1] < 1 || dil[2] < 1)
    L.fail(n, ErrorCode::kUnsupported,
           "strides/dilations other than over H and W are not supported");
  graph::ConvParams p;
  p.stride_h = static_cast<int>(strides[1]);
  p.stride_w = static_cast<int>(strides[2]);
  p.dilation_h = static_cast<int>(dil[1]);
  p.dilation_w = static_cast<int>(dil[2]);
  std::string padding = L.attr_s(n, "padding", "VALID");
  if (padding == "EXPLICIT") {
    auto e = L.attr_ints(n, "explicit_paddings");
    if (e.size() != 8) L.fail(n, ErrorCode::kInvalidModel, "explicit_paddings must have 8 values");
    p.pad_top = static_cast<int>(e[2]);
    p.pad_bottom = static_cast<int>(e[3]);
    p.pad_left = static_cast<int>(e[4]);
    p.pad_right = static_cast<int>(e[5]);
    loaders::check_window(L.source + ": node '" + n.name() + "'", xs[1], xs[2], w.shape[0],
                          w.shape[1], strides[1], strides[2], dil[1], dil[2], e[2], e[3], e[4],
                          e[5]);
  } else if (padding != "SAME" && padding != "VALID") {
    L.fail(n, ErrorCode::kUnsupported, "padding '" + padding + "' is not supported");
  }
  std::int64_t oh, ow;
  L.same_padding(n, padding, xs[1], static_cast<int>(w.shape[0]), p.stride_h, p.dilation_h,
                 p.pad_top, p.pad_bottom, oh);
  L.same_padding(n, padding, xs[2], static_cast<int>(w.shape[1]), p.stride_w, p.dilation_w,
                 p.pad_left, p.pad_right, ow);
  ValueId wv = L.materialize(w, n.name() + "/filter");
  std::int64_t oc = depthwise ? w.shape[2] * w.shape[3] : w.shape[3];
  L.add_node(n, depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D, p, {x, wv},
             {xs[0], oh, ow, oc});
}

}  // namespace

void convert_conv2d(Lowering& L, const NodeDef& n) { lower_conv(L, n, false); }
void convert_depthwise_conv2d(Lowering& L, const NodeDef& n) { lower_conv(L, n, true); }

void convert_matmul(Lowering& L, const NodeDef& n) {
  if (L.attr_b(n, "transpose_a", false))
    L.fail(n, ErrorCode::kUnsupported, "transpose_a is not supported");
  ValueId x = L.runtime_input(n, 0);
  const Known& w = L.known_input(n, 1, "the weights");
  Shape xs = L.shape_of(x);
  if (xs.size() != 2 || w.shape.size() != 2)
    L.fail(n, ErrorCode::kUnsupported, "only 2-D MatMul is supported");
  std::vector<float> wf = w.f;
  Shape ws = w.shape;
  if (L.attr_b(n, "transpose_b", false)) {
    ws = {w.shape[1], w.shape[0]};
    for (std::int64_t r = 0; r < ws[0]; ++r)
      for (std::int64_t c = 0; c < ws[1]; ++c)
        wf[static_cast<std::size_t>(r * ws[1] + c)] = w.f[static_cast<std::size_t>(c * ws[0] + r)];
  }
  if (ws[0] != xs[1])
    L.fail(n, ErrorCode::kInvalidModel,
           "weights " + to_string(ws) + " do not match input " + to_string(xs));
  ValueId wv = L.g.add_constant(n.name() + "/weights", ws, wf);
  L.g.value(wv).fix = w.fix;  // transposing keeps quantized weights on their grid
  return void(L.add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wv},
                         {xs[0], ws[1]}));
}

void convert_bias_add(Lowering& L, const NodeDef& n) {
  if (L.attr_s(n, "data_format", "NHWC") != "NHWC")
    L.fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
  ValueId x = L.runtime_input(n, 0);
  const Known& b = L.known_input(n, 1, "the bias");
  if (b.shape.size() != 1 || b.shape[0] != L.shape_of(x).back())
    L.fail(n, ErrorCode::kInvalidModel,
           "bias " + to_string(b.shape) + " does not match input " + to_string(L.shape_of(x)));
  ValueId bv = L.materialize(b, n.name() + "/bias");
  return void(L.add_node(n, OpType::kBinary, graph::BinaryParams{graph::BinaryKind::kAdd, {}},
                         {x, bv}, L.shape_of(x)));
}

void convert_fused_batch_norm(Lowering& L, const NodeDef& n) {
  if (L.attr_b(n, "is_training", false))
    L.fail(n, ErrorCode::kUnsupported,
           "batch normalization in training mode; export the graph for inference");
  if (L.attr_s(n, "data_format", "NHWC") != "NHWC")
    L.fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
  ValueId x = L.runtime_input(n, 0);
  std::int64_t c = L.shape_of(x).back();
  const Known* parts[4];
  const char* names[4] = {"scale", "offset", "mean", "variance"};
  for (int j = 0; j < 4; ++j) {
    parts[j] = &L.known_input(n, static_cast<std::size_t>(j + 1), names[j]);
    if (parts[j]->type != dpurun::DataType::kFloat32 || parts[j]->size() != c)
      L.fail(n, ErrorCode::kInvalidModel,
             std::string(names[j]) + " does not have " + std::to_string(c) + " values");
  }
  float eps = L.attr_f(n, "epsilon", 1e-3f);
  std::vector<float> scale(static_cast<std::size_t>(c)), shift(static_cast<std::size_t>(c));
  for (std::size_t j = 0; j < scale.size(); ++j) {
    scale[j] = parts[0]->f[j] / std::sqrt(parts[3]->f[j] + eps);
    shift[j] = parts[1]->f[j] - parts[2]->f[j] * scale[j];
  }
  ValueId sv = L.g.add_constant(n.name() + "/scale", {c}, scale);
  ValueId tv = L.g.add_constant(n.name() + "/shift", {c}, shift);
  return void(
      L.add_node(n, OpType::kScaleShift, graph::ScaleShiftParams{}, {x, sv, tv}, L.shape_of(x)));
}

}  // namespace dpurun::loaders::tf

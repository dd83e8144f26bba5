// Conv and Gemm: weights to dpurun's layouts (HWIO; [K, M] in the NHWC flattening order).
#include "loaders/onnx/ops/ops.h"

namespace dpurun::loaders::onnx {

void convert_conv(Lowering& L, const NodeProto& n) {
  ValueId x = L.runtime(n, 0);
  const Entry& w = L.known(n, 1, "the weights");
  const Shape xs = L.g.value(x).shape;  // NHWC
  if (w.shape.size() != 4 || xs.size() != 4 || w.shape[1] != xs[3])
    L.fail(n, ErrorCode::kInvalidModel, "weights " + to_string(w.shape) + " do not fit input " + to_string(xs));
  if (L.int_attr(n, "group", 1) != 1) L.fail(n, ErrorCode::kUnsupported, "grouped convolution");
  auto strides = L.ints(n, "strides", {1, 1});
  auto dil = L.ints(n, "dilations", {1, 1});
  auto pads = L.ints(n, "pads", {0, 0, 0, 0});  // top, left, bottom, right
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    L.fail(n, ErrorCode::kInvalidModel, "strides, dilations or pads have the wrong length");
  loaders::check_window(L.source + ": node '" + n.output(0) + "'", xs[1], xs[2], w.shape[2],
                        w.shape[3], strides[0], strides[1], dil[0], dil[1], pads[0], pads[2],
                        pads[1], pads[3]);
  graph::ConvParams p;
  p.stride_h = static_cast<int>(strides[0]);
  p.stride_w = static_cast<int>(strides[1]);
  p.dilation_h = static_cast<int>(dil[0]);
  p.dilation_w = static_cast<int>(dil[1]);
  p.pad_top = static_cast<int>(pads[0]);
  p.pad_left = static_cast<int>(pads[1]);
  p.pad_bottom = static_cast<int>(pads[2]);
  p.pad_right = static_cast<int>(pads[3]);
  const std::int64_t o = w.shape[0], c = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  std::vector<float> hwio(w.data.size());
  for (std::int64_t a = 0; a < o; ++a)
    for (std::int64_t b = 0; b < c; ++b)
      for (std::int64_t y = 0; y < kh; ++y)
        for (std::int64_t z = 0; z < kw; ++z)
          hwio[static_cast<std::size_t>(((y * kw + z) * c + b) * o + a)] =
              w.data[static_cast<std::size_t>(((a * c + b) * kh + y) * kw + z)];
  ValueId wv = L.g.add_constant(n.output(0) + "/weights", {kh, kw, c, o}, hwio);
  L.g.value(wv).fix = w.fix;
  std::int64_t oh = (xs[1] + p.pad_top + p.pad_bottom - (kh - 1) * p.dilation_h - 1) / p.stride_h + 1;
  std::int64_t ow = (xs[2] + p.pad_left + p.pad_right - (kw - 1) * p.dilation_w - 1) / p.stride_w + 1;
  std::vector<ValueId> inputs{x, wv};
  Shape s{-1, oh, ow, o};
  ValueId y = L.add_node(n, OpType::kConv2D, p, inputs, s);
  L.add_bias(n, y, s);
}

void convert_gemm(Lowering& L, const NodeProto& n) {
  Entry a = L.in(n, 0);
  ValueId x = L.runtime(n, 0);
  const Entry& w = L.known(n, 1, "B");
  if (L.int_attr(n, "transA", 0) != 0) L.fail(n, ErrorCode::kUnsupported, "transA");
  auto* alpha = L.attr(n, "alpha");
  auto* beta = L.attr(n, "beta");
  if ((alpha && alpha->f() != 1.f) || (beta && beta->f() != 1.f))
    L.fail(n, ErrorCode::kUnsupported, "alpha and beta other than 1");
  bool tb = L.int_attr(n, "transB", 0) != 0;
  if (w.shape.size() != 2) L.fail(n, ErrorCode::kInvalidModel, "B is not 2-D");
  std::int64_t k = tb ? w.shape[1] : w.shape[0], m = tb ? w.shape[0] : w.shape[1];
  if (k != L.g.value(x).shape[1]) L.fail(n, ErrorCode::kInvalidModel, "B does not fit A");
  // Our weights are [K, M] over our input order; map each of our k to ONNX's.
  std::vector<float> km(static_cast<std::size_t>(k * m));
  for (std::int64_t j = 0; j < k; ++j) {
    std::int64_t ko = j;
    if (!a.chw.empty()) {  // j = (h·W + w)·C + c  →  ONNX c·H·W + h·W + w
      std::int64_t C = a.chw[0], HW = a.chw[1] * a.chw[2];
      ko = (j % C) * HW + j / C;
    }
    for (std::int64_t o = 0; o < m; ++o)
      km[static_cast<std::size_t>(j * m + o)] =
          tb ? w.data[static_cast<std::size_t>(o * k + ko)] : w.data[static_cast<std::size_t>(ko * m + o)];
  }
  ValueId wv = L.g.add_constant(n.output(0) + "/weights", {k, m}, km);
  L.g.value(wv).fix = w.fix;
  ValueId y = L.add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wv}, {-1, m});
  L.add_bias(n, y, {-1, m});
}

}  // namespace dpurun::loaders::onnx

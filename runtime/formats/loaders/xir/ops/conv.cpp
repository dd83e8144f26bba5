// Convolutions and matmul: XIR's weight layouts to dpurun's, attributes checked against shapes.
#include <algorithm>

#include "loaders/xir/ops/ops.h"

namespace dpurun::loaders::xir {

namespace {

void lower_conv(Lowering& L, const OPNode& n, bool depthwise) {
  ValueId x = L.input(n, "input");
  ValueId wv = L.input(n, "weights");
  const Shape xs = L.g.value(x).shape;
  const Shape ws = L.g.value(wv).shape;  // XIR: [OC, KH, KW, IC]; depthwise [M, KH, KW, C]
  if (xs.size() != 4 || ws.size() != 4)
    L.fail(n, ErrorCode::kInvalidModel, "expects 4-D input and weights");
  if (!depthwise && ws[3] != xs[3])
    L.fail(n, ErrorCode::kInvalidModel,
           "weights " + to_string(ws) + " do not match input " + to_string(xs));
  if (depthwise && ws[3] != xs[3])
    L.fail(n, ErrorCode::kInvalidModel,
           "depthwise weights " + to_string(ws) + " do not match input " + to_string(xs));
  auto group = L.attr_ints(n, "group", {1})[0];
  if (!depthwise && group != 1)
    L.fail(n, ErrorCode::kUnsupported, "grouped convolution (group " + std::to_string(group) + ")");
  auto kernel = L.attr_ints(n, "kernel", {ws[2], ws[1]});  // {w, h}
  auto stride = L.attr_ints(n, "stride", {1, 1});
  auto dilation = L.attr_ints(n, "dilation", {1, 1});
  auto pad = L.attr_ints(n, "pad", {0, 0, 0, 0});  // {left, right, top, bottom}
  if (kernel.size() != 2 || stride.size() != 2 || dilation.size() != 2 || pad.size() != 4 ||
      kernel[0] != ws[2] || kernel[1] != ws[1])
    L.fail(n, ErrorCode::kInvalidModel,
           "kernel/stride/dilation/pad attributes do not fit the weights");
  loaders::check_window(L.source + ": op '" + n.op_name() + "'", xs[1], xs[2], ws[1], ws[2],
                        stride[1], stride[0], dilation[1], dilation[0], pad[2], pad[3], pad[0],
                        pad[1]);
  std::string mode = L.attr_s(n, "pad_mode", "FLOOR");
  graph::ConvParams p;
  p.stride_w = static_cast<int>(stride[0]);
  p.stride_h = static_cast<int>(stride[1]);
  p.dilation_w = static_cast<int>(dilation[0]);
  p.dilation_h = static_cast<int>(dilation[1]);
  p.pad_left = static_cast<int>(pad[0]);
  p.pad_right = static_cast<int>(pad[1]);
  p.pad_top = static_cast<int>(pad[2]);
  p.pad_bottom = static_cast<int>(pad[3]);
  Shape out = L.output_shape(n, true);
  // The file's output size must follow from the attributes (FLOOR, or CEIL with the extra row
  // padded at the end, as XIR does).
  auto expect = [&](std::int64_t in, int k, int s, int d, int& before, int& after,
                    std::int64_t got) {
    std::int64_t ek = std::int64_t{d} * (k - 1) + 1;
    std::int64_t floor_out = (in + before + after - ek) / s + 1;
    if (mode == "CEIL" && got == floor_out + 1)
      after += s - 1;
    else if (got != floor_out)
      L.fail(n, ErrorCode::kInvalidModel,
             "output size " + std::to_string(got) + " does not follow from its attributes");
  };
  if (out.size() != 4) L.fail(n, ErrorCode::kInvalidModel, "output is not 4-D");
  expect(xs[1], static_cast<int>(ws[1]), p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom, out[1]);
  expect(xs[2], static_cast<int>(ws[2]), p.stride_w, p.dilation_w, p.pad_left, p.pad_right, out[2]);
  // Weights to TensorFlow's layout: HWIO, or [KH, KW, C, M] for depthwise.
  const auto& w = L.floats_of(n, wv);
  const std::int64_t o_n = ws[0], kh = ws[1], kw = ws[2], ic = ws[3];
  std::vector<float> hwio(w.size());
  for (std::int64_t o = 0; o < o_n; ++o)
    for (std::int64_t y = 0; y < kh; ++y)
      for (std::int64_t xx = 0; xx < kw; ++xx)
        for (std::int64_t c = 0; c < ic; ++c)
          hwio[static_cast<std::size_t>(((y * kw + xx) * ic + c) * o_n + o)] =
              w[static_cast<std::size_t>(((o * kh + y) * kw + xx) * ic + c)];
  ValueId wt = L.g.add_constant(n.op_name() + "/weights", {kh, kw, ic, o_n}, hwio);
  L.g.value(wt).fix = L.g.value(wv).fix;
  Shape s = {-1, out[1], out[2], depthwise ? ic * o_n : o_n};
  if (s != out) L.fail(n, ErrorCode::kInvalidModel, "output channels do not match the weights");
  ValueId y = L.add_node(n, depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D, p, {x, wt}, s);
  L.add_bias(n, y, s);
}

// XIR's 1-D convolutions (input [N, L, C], weights [OC, K, IC] or depthwise [M, K, C];
// kernel {k}, stride {s}, dilation {d}, pad {left, right}) as 2-D ones of height 1 between two
// reshapes; the integer lowering runs the convolution as the DPU does and moves its integers
// through the reshape back.
void lower_conv1d(Lowering& L, const OPNode& n, bool depthwise) {
  ValueId x = L.input(n, "input");
  ValueId wv = L.input(n, "weights");
  const Shape xs = L.g.value(x).shape, ws = L.g.value(wv).shape;
  const Shape out3 = L.output_shape(n, true);
  if (xs.size() != 3 || ws.size() != 3 || out3.size() != 3)
    L.fail(n, ErrorCode::kInvalidModel, "expects 3-D input, weights and output (N, L, C)");
  if (!L.g.value(wv).is_constant()) L.fail(n, ErrorCode::kUnsupported, "weights must be constants");
  auto one = [&](const char* key, std::int64_t dflt) {
    auto v = L.attr_ints(n, key, {dflt});
    if (v.size() != 1) L.fail(n, ErrorCode::kInvalidModel, std::string(key) + " must have one value");
    return static_cast<std::int32_t>(v[0]);
  };
  auto pad = L.attr_ints(n, "pad", {0, 0});
  if (pad.size() != 2) L.fail(n, ErrorCode::kInvalidModel, "pad must be {left, right}");
  OPNode n2 = L.height_one_twin(n, "/as_conv2d", x, out3);
  Lowering::set_ints(n2, "kernel", {one("kernel", ws[1]), 1});
  Lowering::set_ints(n2, "stride", {one("stride", 1), 1});
  Lowering::set_ints(n2, "dilation", {one("dilation", 1), 1});
  Lowering::set_ints(n2, "pad", {static_cast<std::int32_t>(pad[0]), static_cast<std::int32_t>(pad[1]), 0, 0});
  // The weights as [OC, 1, K, IC].
  const graph::Value w = L.g.value(wv);
  const std::string w_name = n.op_name() + "/weights_2d";
  ValueId w2 = L.g.add_constant(w_name, Shape{ws[0], 1, ws[1], ws[2]}, std::vector<float>(w.as<float>().begin(), w.as<float>().end()));
  L.g.value(w2).fix = w.fix;
  L.reroute(n2, "weights", w_name, w2);
  lower_conv(L, n2, depthwise);
  L.add_node(n, OpType::kReshape, std::monostate{}, {L.values.at(n2.op_name())}, out3);
}

// transposed-conv2d and transposed-depthwise-conv2d as XIR defines them (built_in_ops.cpp): the
// input dilated by the stride (zeros between pixels) and padded by dilation·(kernel − 1) − pad
// on each side, then a plain convolution with stride 1 and the weights as stored (already
// flipped by the frontend). One Pad node with interior zeros and the ordinary convolution, so
// the float and integer kernels (and the DPU's integer arithmetic) are the convolution's own.
void lower_transposed_conv(Lowering& L, const OPNode& n, bool depthwise) {
  ValueId x = L.input(n, "input");
  ValueId wv = L.input(n, "weights");
  const Shape xs = L.g.value(x).shape, ws = L.g.value(wv).shape;
  const Shape out = L.output_shape(n, true);
  if (xs.size() != 4 || ws.size() != 4 || out.size() != 4)
    L.fail(n, ErrorCode::kInvalidModel, "expects 4-D input, weights and output");
  auto kernel = L.attr_ints(n, "kernel", {ws[2], ws[1]});  // {w, h}
  auto stride = L.attr_ints(n, "stride", {1, 1});
  auto dilation = L.attr_ints(n, "dilation", {1, 1});
  auto pad = L.attr_ints(n, "pad", {0, 0, 0, 0});  // {left, right, top, bottom}
  if (kernel.size() != 2 || stride.size() != 2 || dilation.size() != 2 || pad.size() != 4 ||
      kernel[0] != ws[2] || kernel[1] != ws[1] || stride[0] < 1 || stride[1] < 1 ||
      stride[0] > 64 || stride[1] > 64 || dilation[0] < 1 || dilation[1] < 1 || dilation[0] > 64 ||
      dilation[1] > 64)
    L.fail(n, ErrorCode::kInvalidModel, "kernel/stride/dilation/pad attributes do not fit the weights");
  const std::string mode = L.attr_s(n, "pad_mode", "FLOOR");
  // Per axis (H, W): the zeros before the dilated input and after it, for the file's size; the
  // stride-1 convolution of the padded input gives that size.
  graph::PadParams pp;
  pp.pads.assign(4, {0, 0});
  pp.interior = {0, stride[1] - 1, stride[0] - 1, 0};
  Shape padded = {-1, 0, 0, xs[3]};
  for (std::size_t d = 1; d <= 2; ++d) {
    const std::size_t xi = 2 - d;  // XIR's {w, h} order
    const std::int64_t in = xs[d], k = kernel[xi], s = stride[xi], ek = dilation[xi] * (k - 1) + 1;
    const std::int64_t dilated = (in - 1) * s + 1, got = out[d];
    std::int64_t want = 0, crop = 0;
    if (mode == "FLOOR" || mode == "CEIL") {
      want = dilated + ek - 1 - pad[2 * xi] - pad[2 * xi + 1];
      crop = pad[2 * xi];
    } else if (mode == "SAME") {
      want = in * s;
      crop = std::max<std::int64_t>(ek - s, 0) / 2;
    } else if (mode == "VALID") {
      want = (in - 1) * s + k;
    } else {
      L.fail(n, ErrorCode::kInvalidModel, "pad_mode " + mode + " (FLOOR, CEIL, SAME or VALID)");
    }
    if (got != want)
      L.fail(n, ErrorCode::kInvalidModel, "output size " + std::to_string(got) + " does not follow from its attributes (" + std::to_string(want) + ")");
    padded[d] = got + ek - 1;
    auto& e = pp.pads[d];
    e = {ek - 1 - crop, padded[d] - dilated - (ek - 1 - crop)};
    if (e[0] < 0 || e[1] < 0)
      L.fail(n, ErrorCode::kUnsupported, "padding larger than dilation·(kernel − 1) (the output would be cropped)");
  }
  const std::string name = n.op_name() + "/dilated_input";
  ValueId xd = L.add_step(n, name, OpType::kPad, pp, x, padded);
  OPNode conv = n;
  conv.set_op_type(depthwise ? "depthwise-conv2d" : "conv2d");
  L.reroute(conv, "input", name, xd);
  Lowering::set_ints(conv, "stride", {1, 1});
  Lowering::set_ints(conv, "pad", {0, 0, 0, 0});
  (*conv.mutable_op_attr())["pad_mode"].set_string_value("VALID");
  lower_conv(L, conv, depthwise);
}

}  // namespace

void convert_transposed_conv2d(Lowering& L, const OPNode& n) { lower_transposed_conv(L, n, false); }
void convert_transposed_depthwise_conv2d(Lowering& L, const OPNode& n) { lower_transposed_conv(L, n, true); }
void convert_conv2d(Lowering& L, const OPNode& n) { lower_conv(L, n, false); }
void convert_conv1d(Lowering& L, const OPNode& n) { lower_conv1d(L, n, false); }
void convert_depthwise_conv1d(Lowering& L, const OPNode& n) { lower_conv1d(L, n, true); }
void convert_depthwise_conv2d(Lowering& L, const OPNode& n) { lower_conv(L, n, true); }

// inner-product: the input flattened from `axis` on, times weights [OC, …] flattened the same
// way (NHWC order on both), plus the bias.
void convert_inner_product(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  ValueId wv = L.input(n, "weights");
  const Shape xs = L.g.value(x).shape, ws = L.g.value(wv).shape;
  auto axis = L.attr_ints(n, "axis", {1})[0];
  if (axis < 0) axis += static_cast<std::int64_t>(xs.size());
  if (axis != 1 || xs.size() < 2) L.fail(n, ErrorCode::kUnsupported, "inner-product along axis " + std::to_string(axis) + " (1 only)");
  const std::int64_t k = element_count(Shape(xs.begin() + 1, xs.end()));
  if (ws.empty() || element_count(ws) != ws[0] * k)
    L.fail(n, ErrorCode::kInvalidModel, "weights " + to_string(ws) + " do not match input " + to_string(xs));
  const std::int64_t m = ws[0];
  const auto& w = L.floats_of(n, wv);
  std::vector<float> km(w.size());
  for (std::int64_t r = 0; r < k; ++r)
    for (std::int64_t c = 0; c < m; ++c) km[static_cast<std::size_t>(r * m + c)] = w[static_cast<std::size_t>(c * k + r)];
  ValueId wt = L.g.add_constant(n.op_name() + "/weights", {k, m}, km);
  L.g.value(wt).fix = L.g.value(wv).fix;
  if (xs.size() > 2) x = L.add_step(n, n.op_name() + "/flatten", OpType::kReshape, std::monostate{}, x, {-1, k});
  Shape s{-1, m};
  if (L.output_shape(n, true) != s && element_count(L.output_shape(n, false)) != m)
    L.fail(n, ErrorCode::kInvalidModel, "output " + to_string(L.output_shape(n, true)) + " is not [N, " + std::to_string(m) + "]");
  ValueId y = L.add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wt}, s);
  L.add_bias(n, y, s);
}

void convert_matmul(Lowering& L, const OPNode& n) {
  auto ins = L.arg(n, "input");
  if (ins.size() != 2) L.fail(n, ErrorCode::kInvalidModel, "matmul takes two inputs");
  if (L.attr_b(n, "transpose_a", false)) L.fail(n, ErrorCode::kUnsupported, "transpose_a");
  ValueId x = L.value_of(n, ins[0]);
  ValueId wv = L.value_of(n, ins[1]);
  const Shape xs = L.g.value(x).shape, ws = L.g.value(wv).shape;
  if (xs.size() != 2 || ws.size() != 2)
    L.fail(n, ErrorCode::kUnsupported, "only 2-D matmul with constant weights");
  const auto& w = L.floats_of(n, wv);
  bool tb = L.attr_b(n, "transpose_b", false);
  std::int64_t k = tb ? ws[1] : ws[0], m = tb ? ws[0] : ws[1];
  if (k != xs[1])
    L.fail(n, ErrorCode::kInvalidModel,
           "weights " + to_string(ws) + " do not match input " + to_string(xs));
  std::vector<float> km(w.size());
  for (std::int64_t r = 0; r < k; ++r)
    for (std::int64_t c = 0; c < m; ++c)
      km[static_cast<std::size_t>(r * m + c)] =
          tb ? w[static_cast<std::size_t>(c * k + r)] : w[static_cast<std::size_t>(r * m + c)];
  ValueId wt = L.g.add_constant(n.op_name() + "/weights", {k, m}, km);
  L.g.value(wt).fix = L.g.value(wv).fix;
  Shape s{-1, m};
  ValueId y = L.add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wt}, s);
  L.add_bias(n, y, s);
}

}  // namespace dpurun::loaders::xir

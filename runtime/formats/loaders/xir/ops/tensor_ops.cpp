// Inputs, constants, fix points and the ops that only move or re-view tensors.
#include "loaders/xir/ops/ops.h"

#include <algorithm>
#include <cstring>

#include "graph/lower_fix.h"

namespace dpurun::loaders::xir {

void convert_data(Lowering& L, const OPNode& n) {
  if (L.attr_s(n, "data_type", "FLOAT32") != "FLOAT32" &&
      L.attr_s(n, "data_type", "float32") != "float32")
    L.fail(n, ErrorCode::kUnsupported, "only float32 inputs are supported");
  Shape s = L.options.input_shape.empty() ? L.output_shape(n, true) : L.options.input_shape;
  ValueId v = L.g.add_value(n.op_name(), DataType::kFloat32, s);
  L.g.inputs.push_back(v);
  L.values[n.op_name()] = v;
}

void convert_const(Lowering& L, const OPNode& n) {
  auto* data = L.attr(n, "data");
  std::string type = L.attr_s(n, "data_type", "float32");
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  Shape shape = L.output_shape(n, false);
  std::int64_t count = element_count(shape);
  if (!data || data->value_case() != AttrValue::kBytesValue)
    L.fail(n, ErrorCode::kInvalidModel, "constant has no data");
  const std::string& bytes = data->bytes_value().value();
  if (type != "float32" && type != "int32")
    L.fail(n, ErrorCode::kUnsupported, "constants of type " + type + " are not supported");
  // Checked before allocating: the shape is the file's word, the bytes are what it holds.
  if (bytes.size() / 4 != static_cast<std::uint64_t>(count) || bytes.size() % 4 != 0)
    L.fail(n, ErrorCode::kInvalidModel,
           "holds " + std::to_string(bytes.size()) + " bytes for shape " + to_string(shape));
  std::vector<float> values(static_cast<std::size_t>(count));
  if (type == "float32") {
    std::memcpy(values.data(), bytes.data(), bytes.size());
  } else {
    for (std::int64_t i = 0; i < count; ++i) {
      std::int32_t v;
      std::memcpy(&v, bytes.data() + i * 4, 4);
      values[static_cast<std::size_t>(i)] = static_cast<float>(v);
    }
  }
  L.values[n.op_name()] = L.g.add_constant(n.op_name(), shape, values);
}

void convert_fix(Lowering& L, const OPNode& n) {
  graph::FixInfo f;
  if (!L.attr(n, "fix_point"))
    L.fail(n, ErrorCode::kInvalidModel, "fix op has no fix_point attribute");
  f.fix_point = static_cast<int>(L.attr_ints(n, "fix_point", {0})[0]);
  f.bit_width = static_cast<int>(L.attr_ints(n, "bit_width", {8})[0]);
  f.is_signed = L.attr_b(n, "if_signed", true);
  const std::string round = L.attr_s(n, "round_mode", "DPU_ROUND");
  const auto mode = graph::parse_round_mode(round);
  if (!mode) L.fail(n, ErrorCode::kUnsupported, "round_mode " + round + " is not known");
  f.round = *mode;
  if (f.bit_width < 2 || f.bit_width > 16 || f.fix_point < -32 || f.fix_point > 32)
    L.fail(n, ErrorCode::kInvalidModel, "fix_point/bit_width out of range");
  ValueId x = L.input(n, "input");
  const graph::Value& xv = L.g.value(x);
  if (xv.is_constant()) {  // weights: snapped to their grid now
    std::vector<float> values(xv.as<float>().begin(), xv.as<float>().end());
    graph::fake_quantize(values, f);
    ValueId c = L.g.add_constant(n.op_name(), xv.shape, values);
    L.g.value(c).fix = f;
    L.values[n.op_name()] = c;
    return;
  }
  L.add_node(n, OpType::kFix, graph::FixParams{f}, {x}, L.g.value(x).shape);
}

// Its input is already the dequantized float (a subgraph boundary).
void convert_fix2float(Lowering& L, const OPNode& n) {
  L.values[n.op_name()] = L.input(n, "input");
}

void convert_concat(Lowering& L, const OPNode& n) {
  std::vector<ValueId> ins;
  for (const auto& o : L.arg(n, "input")) ins.push_back(L.value_of(n, o));
  if (ins.empty()) L.fail(n, ErrorCode::kInvalidModel, "concat of nothing");
  auto axis = L.attr_ints(n, "axis", {-1})[0];
  auto rank = static_cast<std::int64_t>(L.g.value(ins[0]).shape.size());
  if (axis < 0) axis += rank;
  if (axis <= 0 || axis >= rank)
    L.fail(n, ErrorCode::kUnsupported, "concat along axis " + std::to_string(axis));
  L.add_node(n, OpType::kConcat, graph::ConcatParams{static_cast<int>(axis)}, ins,
             L.output_shape(n, true));
}

void convert_reshape(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  Shape out = L.output_shape(n, true);
  Shape xs = L.g.value(x).shape;
  if (element_count(Shape(out.begin() + 1, out.end())) !=
      element_count(Shape(xs.begin() + 1, xs.end())))
    L.fail(n, ErrorCode::kInvalidModel, "reshape of " + to_string(xs) + " to " + to_string(out));
  L.add_node(n, OpType::kReshape, std::monostate{}, {x}, out);
}

void convert_transpose(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const auto order = L.attr_ints(n, "order", {});
  graph::TransposeParams p;
  for (auto d : order) p.perm.push_back(static_cast<int>(d));
  const Shape xs = L.g.value(x).shape;
  if (p.perm.size() != xs.size() || p.perm.empty() || p.perm[0] != 0)
    L.fail(n, ErrorCode::kUnsupported, "order " + to_string(Shape(order.begin(), order.end())) + " of a " +
                                           std::to_string(xs.size()) + "-D tensor (the batch must stay first)");
  Shape out;
  for (int d : p.perm) {
    if (d < 0 || d >= static_cast<int>(xs.size())) L.fail(n, ErrorCode::kInvalidModel, "order names a dimension it has not");
    out.push_back(xs[static_cast<std::size_t>(d)]);
  }
  L.add_node(n, OpType::kTranspose, p, {x}, out);
}

// NumPy-style input[begin:end:strides] over every dimension (XIR's cpu op: output index i reads
// begin + i · stride); the output's size is its tensor's. Moves int8 values unchanged.
void convert_strided_slice(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  const Shape out = L.output_shape(n, true);
  auto begin = L.attr_ints(n, "begin", {}), strides = L.attr_ints(n, "strides", {});
  if (strides.empty()) strides.assign(xs.size(), 1);
  if (begin.size() != xs.size() || strides.size() != xs.size() || out.size() != xs.size())
    L.fail(n, ErrorCode::kInvalidModel, "begin/strides do not have one value per dimension of " + to_string(xs));
  graph::SliceParams p;
  for (std::size_t d = 0; d < xs.size(); ++d) {
    std::int64_t b = begin[d];
    if (d > 0 && b < 0) b += xs[d];  // from the end
    if (d == 0 && (b != 0 || strides[d] != 1)) L.fail(n, ErrorCode::kUnsupported, "slices the batch");
    if (d > 0 && (b < 0 || b >= xs[d] || strides[d] < 1 || b + (out[d] - 1) * strides[d] >= xs[d]))
      L.fail(n, ErrorCode::kUnsupported,
             "begin " + std::to_string(begin[d]) + ", stride " + std::to_string(strides[d]) + " in dimension " +
                 std::to_string(d) + " of " + to_string(xs) + " for an output of " + to_string(out) +
                 " (positive strides only)");
    p.begin.push_back(b);
    p.step.push_back(strides[d]);
  }
  L.add_node(n, OpType::kSlice, p, {x}, out);
}

// PyTorch's PixelShuffle in NHWC: channel c·s² + i·s + j of pixel (h, w) goes to channel c of
// pixel (h·s + i, w·s + j) (`upscale`), or back (PixelUnshuffle). A reshape, a transpose and a
// reshape: integers move unchanged.
void convert_pixel_shuffle(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  const auto s = L.attr_ints(n, "scale", {0})[0];
  const bool up = L.attr_b(n, "upscale", true);
  const Shape out = L.output_shape(n, true);
  if (xs.size() != 4 || out.size() != 4 || s < 1 || s > 64)
    L.fail(n, ErrorCode::kInvalidModel, "pixel-shuffle of " + to_string(xs) + " by " + std::to_string(s));
  const std::int64_t H = up ? xs[1] : out[1], W = up ? xs[2] : out[2], C = up ? out[3] : xs[3];
  if ((up && (xs[3] != C * s * s || out[1] != H * s || out[2] != W * s)) ||
      (!up && (out[3] != C * s * s || xs[1] != H * s || xs[2] != W * s)))
    L.fail(n, ErrorCode::kInvalidModel, "output " + to_string(out) + " does not follow from " + to_string(xs) + " and scale " + std::to_string(s));
  auto step = [&](const std::string& suffix, OpType op, graph::OpParams params, ValueId in, Shape shape) {
    return L.add_step(n, n.op_name() + suffix, op, std::move(params), in, std::move(shape));
  };
  ValueId v;
  if (up) {
    v = step("/split", OpType::kReshape, std::monostate{}, x, {-1, H, W, C, s, s});
    v = step("/interleave", OpType::kTranspose, graph::TransposeParams{{0, 1, 4, 2, 5, 3}}, v, {-1, H, s, W, s, C});
  } else {
    v = step("/split", OpType::kReshape, std::monostate{}, x, {-1, H, s, W, s, C});
    v = step("/gather", OpType::kTranspose, graph::TransposeParams{{0, 1, 3, 5, 2, 4}}, v, {-1, H, W, C, s, s});
  }
  L.add_node(n, OpType::kReshape, std::monostate{}, {v}, out);
}

// CONSTANT padding (REFLECT and SYMMETRIC are refused, naming the mode); a zero pad before an
// integer convolution becomes its padding.
void convert_pad(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  const std::string mode = L.attr_s(n, "mode", "CONSTANT");
  if (mode != "CONSTANT") L.fail(n, ErrorCode::kUnsupported, "pad mode " + mode + " (CONSTANT only)");
  auto pads = L.attr_ints(n, "paddings", {});
  if (pads.size() != 2 * xs.size()) L.fail(n, ErrorCode::kInvalidModel, "paddings has " + std::to_string(pads.size()) + " values for a " + std::to_string(xs.size()) + "-D input");
  graph::PadParams p;
  Shape out = xs;
  for (std::size_t d = 0; d < xs.size(); ++d) {
    const auto before = pads[2 * d], after = pads[2 * d + 1];
    if (before < 0 || after < 0 || before > (1 << 16) || after > (1 << 16))
      L.fail(n, ErrorCode::kUnsupported, "paddings " + to_string(Shape(pads.begin(), pads.end())) + " (0 to 65536 each)");
    if (d == 0 && (before || after)) L.fail(n, ErrorCode::kUnsupported, "pads the batch");
    p.pads.push_back({before, after});
    if (d > 0) out[d] += before + after;
  }
  if (const AttrValue* a = L.attr(n, "constant_values")) {  // a float vector; one value for all
    if (a->value_case() == AttrValue::kFloatVecValue && a->float_vec_value().value_size() > 0)
      p.value = a->float_vec_value().value(0);
    else
      p.value = L.attr_f(n, "constant_values", 0.f);
  }
  L.add_node(n, OpType::kPad, p, {x}, out);
}

// Nearest or bilinear, in float between the fix ops as the quantizer simulates it (the DPU's
// downsample-fix and the CPU's upsample-fix are not yet proven against dumps).
void convert_resize(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const std::string mode = L.attr_s(n, "mode", "NEAREST");
  if (mode != "NEAREST" && mode != "BILINEAR") L.fail(n, ErrorCode::kUnsupported, "mode " + mode);
  graph::ResizeParams p;
  p.bilinear = mode == "BILINEAR";
  p.align_corners = L.attr_b(n, "align_corners", false);
  p.half_pixel_centers = L.attr_b(n, "half_pixel_centers", false);
  const Shape xs = L.g.value(x).shape;
  Shape out = L.output_shape(n, true);
  if (xs.size() != 4 || out.size() != 4 || out[3] != xs[3])
    L.fail(n, ErrorCode::kUnsupported, "resize of " + to_string(xs) + " to " + to_string(out) + " (NHWC, H and W only)");
  L.add_node(n, OpType::kResize, p, {x}, out);
}

// aten::mean, as vai_q_pytorch leaves it for a CPU subgraph: its attributes hold only the output
// shape, so the averaged axes are those where the output has 1 and the input more (kept, as 1).
void convert_aten_mean(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  Shape out = L.output_shape(n, true);
  if (out.size() != xs.size())
    L.fail(n, ErrorCode::kUnsupported, "mean from " + to_string(xs) + " to " + to_string(out) + " (only keepdim=True)");
  graph::MeanParams p;
  p.keep_dims = true;
  p.on_cpu = true;
  for (std::size_t d = 1; d < xs.size(); ++d) {
    if (out[d] == xs[d]) continue;
    if (out[d] != 1) L.fail(n, ErrorCode::kInvalidModel, "mean from " + to_string(xs) + " to " + to_string(out));
    p.axes.push_back(static_cast<int>(d));
  }
  if (p.axes.empty()) {  // nothing averaged: the value itself
    L.values[n.op_name()] = x;
    return;
  }
  L.add_node(n, OpType::kMean, p, {x}, out);
}

// reduction_mean, reduction_sum, reduction_max, reduction_product over `axis` (NHWC dimensions,
// negative from the end), `keep_dims`. A mean over H and W of fixed-point values runs as the
// DPU's global average pool (its factor, fix_math.h); the rest in float, rounded by the fix after.
void convert_reduction(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const Shape xs = L.g.value(x).shape;
  const auto rank = static_cast<std::int64_t>(xs.size());
  graph::MeanParams p;
  const std::string& t = n.op_type();
  p.kind = t == "reduction_sum" ? graph::ReduceKind::kSum
           : t == "reduction_max" ? graph::ReduceKind::kMax
           : t == "reduction_product" ? graph::ReduceKind::kProduct
                                      : graph::ReduceKind::kMean;
  p.keep_dims = L.attr_b(n, "keep_dims", false);
  for (auto a : L.attr_ints(n, "axis", {})) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) L.fail(n, ErrorCode::kInvalidModel, "axis " + std::to_string(a) + " of a " + std::to_string(rank) + "-D input");
    if (a == 0) L.fail(n, ErrorCode::kUnsupported, "reduces over the batch");
    if (std::find(p.axes.begin(), p.axes.end(), static_cast<int>(a)) == p.axes.end()) p.axes.push_back(static_cast<int>(a));
  }
  std::sort(p.axes.begin(), p.axes.end());
  if (p.axes.empty()) L.fail(n, ErrorCode::kInvalidModel, "has no axis to reduce");
  Shape out;
  for (std::int64_t d = 0; d < rank; ++d) {
    const bool reduced = std::find(p.axes.begin(), p.axes.end(), static_cast<int>(d)) != p.axes.end();
    if (!reduced) out.push_back(d == 0 ? -1 : xs[static_cast<std::size_t>(d)]);
    else if (p.keep_dims) out.push_back(1);
  }
  const Shape declared = L.output_shape(n, true);
  if (declared.empty() || element_count(Shape(out.begin() + 1, out.end())) != element_count(Shape(declared.begin() + 1, declared.end())))
    L.fail(n, ErrorCode::kInvalidModel, "output " + to_string(declared) + " is not " + to_string(xs) + " reduced to " + to_string(out));
  ValueId y = L.add_node(n, OpType::kMean, p, {x}, out);
  if (out != declared)  // the same elements, as the file shapes them
    L.values[n.op_name()] = L.add_step(n, n.op_name() + "/as_declared", OpType::kReshape, std::monostate{}, y, declared);
}

void convert_identity(Lowering& L, const OPNode& n) { L.values[n.op_name()] = L.input(n, "input"); }

// Shape arithmetic (shape, and a stack of its results): reshape takes its target from its own
// output tensor.
void convert_shape_op(Lowering&, const OPNode&) {}

// stack of feature maps: each input given a dimension of 1 at `axis`, then concatenated along
// it. A stack of shape arithmetic (`shape` results, constants) stays shape arithmetic.
void convert_stack(Lowering& L, const OPNode& n) {
  const auto names = L.arg(n, "input");
  bool shape_only = !names.empty();
  for (const auto& o : names) {
    auto it = L.values.find(o);
    if (it != L.values.end() && !L.g.value(it->second).is_constant()) shape_only = false;
  }
  if (shape_only) return convert_shape_op(L, n);
  std::vector<ValueId> ins;
  for (const auto& o : names) ins.push_back(L.value_of(n, o));
  if (ins.empty()) L.fail(n, ErrorCode::kInvalidModel, "stack of nothing");
  const Shape xs = L.g.value(ins[0]).shape;
  const auto rank = static_cast<std::int64_t>(xs.size());
  auto axis = L.attr_ints(n, "axis", {0})[0];
  if (axis < 0) axis += rank + 1;
  if (axis <= 0 || axis > rank)
    L.fail(n, ErrorCode::kUnsupported, "stack along axis " + std::to_string(axis) + " (the batch stays first)");
  Shape one = xs;
  one.insert(one.begin() + axis, 1);
  Shape out = one;
  out[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(ins.size());
  if (L.output_shape(n, true) != out)
    L.fail(n, ErrorCode::kInvalidModel, "output " + to_string(L.output_shape(n, true)) + " is not " + to_string(xs) + " stacked " + std::to_string(ins.size()) + " times at axis " + std::to_string(axis));
  std::vector<ValueId> parts;
  for (std::size_t i = 0; i < ins.size(); ++i) {
    if (L.g.value(ins[i]).shape != xs)
      L.fail(n, ErrorCode::kInvalidModel, "inputs " + to_string(xs) + " and " + to_string(L.g.value(ins[i]).shape) + " differ");
    parts.push_back(L.add_step(n, n.op_name() + "/part" + std::to_string(i), OpType::kReshape, std::monostate{}, ins[i], one));
  }
  L.add_node(n, OpType::kConcat, graph::ConcatParams{static_cast<int>(axis)}, parts, out);
}

}  // namespace dpurun::loaders::xir

#include "loaders/xir/xmodel_loader.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "dpurun/custom_op.h"
#include "dpurun/error.h"
#include "graph/lower_fix.h"
#include "xir_graph.pb.h"

namespace dpurun::xir {
namespace {

using graph::Node;
using graph::OpType;
using graph::ValueId;

std::vector<std::int64_t> ints(const AttrValue& a) {
  switch (a.value_case()) {
    case AttrValue::kInt32VecValue: return {a.int32_vec_value().value().begin(), a.int32_vec_value().value().end()};
    case AttrValue::kInt64VecValue: return {a.int64_vec_value().value().begin(), a.int64_vec_value().value().end()};
    case AttrValue::kInt32Value: return {a.int32_value()};
    case AttrValue::kInt64Value: return {a.int64_value()};
    default: return {};
  }
}

class Lowering {
 public:
  Lowering(const Graph& def, std::string source, const loaders::LoadOptions& options)
      : def_(def), source_(std::move(source)), options_(options) {}

  graph::Graph run();

 private:
  [[noreturn]] void fail(const OPNode& n, ErrorCode code, const std::string& what) const {
    throw Error(code, source_ + ": op '" + n.op_name() + "' (" + n.op_type() + "): " + what);
  }
  const AttrValue* attr(const OPNode& n, const std::string& key) const {
    auto it = n.op_attr().find(key);
    return it == n.op_attr().end() ? nullptr : &it->second;
  }
  std::vector<std::int64_t> attr_ints(const OPNode& n, const std::string& key,
                                      std::vector<std::int64_t> dflt) const {
    auto* a = attr(n, key);
    auto v = a ? ints(*a) : std::vector<std::int64_t>{};
    return v.empty() ? dflt : v;
  }
  std::string attr_s(const OPNode& n, const std::string& key, std::string dflt = "") const {
    auto* a = attr(n, key);
    return a && a->value_case() == AttrValue::kStringValue ? a->string_value() : dflt;
  }
  bool attr_b(const OPNode& n, const std::string& key, bool dflt) const {
    auto* a = attr(n, key);
    return a && a->value_case() == AttrValue::kBoolValue ? a->bool_value() : dflt;
  }
  float attr_f(const OPNode& n, const std::string& key, float dflt) const {
    auto* a = attr(n, key);
    if (!a) return dflt;
    if (a->value_case() == AttrValue::kFloatValue) return a->float_value();
    if (a->value_case() == AttrValue::kDoubleValue) return static_cast<float>(a->double_value());
    return dflt;
  }

  std::vector<std::string> arg(const OPNode& n, const std::string& name) const {
    for (const auto& a : n.args())
      if (a.arg_name() == name) return {a.arg_ops().begin(), a.arg_ops().end()};
    return {};
  }
  ValueId value_of(const OPNode& n, const std::string& producer) {
    auto it = values_.find(producer);
    if (it == values_.end() && !only_.empty() && !only_.count(producer) && ops_.count(producer))
      return boundary_input(*ops_.at(producer));
    if (it == values_.end())
      fail(n, ErrorCode::kInvalidModel, "reads '" + producer + "', which no op before it produces");
    return it->second;
  }
  // A tensor from another subgraph: a float input of the subgraph's graph.
  ValueId boundary_input(const OPNode& producer) {
    ValueId v = g_.add_value(producer.op_name(), DataType::kFloat32, output_shape(producer, true));
    g_.inputs.push_back(v);
    values_[producer.op_name()] = v;
    return v;
  }
  ValueId input(const OPNode& n, const std::string& name, std::size_t index = 0) {
    auto ops = arg(n, name);
    if (ops.size() <= index) fail(n, ErrorCode::kInvalidModel, "has no '" + name + "' input");
    return value_of(n, ops[index]);
  }

  // The op's output shape from its tensor, batch open; constants keep their literal shape.
  Shape output_shape(const OPNode& n, bool batch) const {
    Shape s(n.output_tensor().tensor_dim().begin(), n.output_tensor().tensor_dim().end());
    std::int64_t count = 1;
    for (auto d : s) {
      if (d < -1 || d > (std::int64_t{1} << 24))
        fail(n, ErrorCode::kInvalidModel, "declares a dimension of " + std::to_string(d));
      if (__builtin_mul_overflow(count, std::max<std::int64_t>(d, 1), &count))
        fail(n, ErrorCode::kInvalidModel,
             "declares a tensor of shape " + to_string(s) + ", too large to count");
    }
    if (batch && !s.empty()) s[0] = -1;
    return s;
  }

  ValueId add_node(const OPNode& n, OpType op, graph::OpParams params, std::vector<ValueId> in,
                   Shape shape) {
    ValueId out = g_.add_value(n.op_name(), DataType::kFloat32, std::move(shape));
    Node node;
    node.name = n.op_name();
    node.source_op = n.op_type();
    node.op = op;
    node.params = std::move(params);
    node.inputs = std::move(in);
    node.outputs = {out};
    g_.add_node(std::move(node));
    values_[n.op_name()] = out;
    return out;
  }

  const std::vector<float>& floats_of(const OPNode& n, ValueId v) {
    const auto& val = g_.value(v);
    if (!val.is_constant()) fail(n, ErrorCode::kUnsupported, "weights must be constants");
    auto s = val.as<float>();
    scratch_.assign(s.begin(), s.end());
    return scratch_;
  }

  void lower_const(const OPNode& n);
  void lower_fix(const OPNode& n);
  void lower_conv(const OPNode& n, bool depthwise);
  void lower_pool(const OPNode& n, graph::PoolKind kind);
  void lower_matmul(const OPNode& n);
  void add_bias(const OPNode& n, ValueId& out, const Shape& shape);
  void lower(const OPNode& n);

  const Graph& def_;
  std::string source_;
  const loaders::LoadOptions& options_;
  graph::Graph g_;
  std::unordered_map<std::string, ValueId> values_;
  std::unordered_map<std::string, const OPNode*> ops_;
  std::unordered_set<std::string> only_;  // options_.subgraph's ops
  std::vector<float> scratch_;
};

void Lowering::lower_const(const OPNode& n) {
  auto* data = attr(n, "data");
  std::string type = attr_s(n, "data_type", "float32");
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  Shape shape = output_shape(n, false);
  std::int64_t count = element_count(shape);
  if (!data || data->value_case() != AttrValue::kBytesValue)
    fail(n, ErrorCode::kInvalidModel, "constant has no data");
  const std::string& bytes = data->bytes_value().value();
  if (type != "float32" && type != "int32")
    fail(n, ErrorCode::kUnsupported, "constants of type " + type + " are not supported");
  // Checked before allocating: the shape is the file's word, the bytes are what it holds.
  if (bytes.size() / 4 != static_cast<std::uint64_t>(count) || bytes.size() % 4 != 0)
    fail(n, ErrorCode::kInvalidModel,
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
  values_[n.op_name()] = g_.add_constant(n.op_name(), shape, values);
}

void Lowering::lower_fix(const OPNode& n) {
  graph::FixInfo f;
  if (!attr(n, "fix_point")) fail(n, ErrorCode::kInvalidModel, "fix op has no fix_point attribute");
  f.fix_point = static_cast<int>(attr_ints(n, "fix_point", {0})[0]);
  f.bit_width = static_cast<int>(attr_ints(n, "bit_width", {8})[0]);
  f.is_signed = attr_b(n, "if_signed", true);
  std::string round = attr_s(n, "round_mode", "DPU_ROUND");
  if (round == "DPU_ROUND") f.round = graph::RoundMode::kDpu;
  else if (round == "STD_ROUND") f.round = graph::RoundMode::kStd;
  else if (round == "PY3_ROUND") f.round = graph::RoundMode::kPy3;
  else fail(n, ErrorCode::kUnsupported, "round_mode " + round + " is not known");
  if (f.bit_width < 2 || f.bit_width > 16 || f.fix_point < -32 || f.fix_point > 32)
    fail(n, ErrorCode::kInvalidModel, "fix_point/bit_width out of range");
  ValueId x = input(n, "input");
  const graph::Value& xv = g_.value(x);
  if (xv.is_constant()) {  // weights: snapped to their grid now
    std::vector<float> values(xv.as<float>().begin(), xv.as<float>().end());
    graph::fake_quantize(values, f);
    ValueId c = g_.add_constant(n.op_name(), xv.shape, values);
    g_.value(c).fix = f;
    values_[n.op_name()] = c;
    return;
  }
  add_node(n, OpType::kFix, graph::FixParams{f}, {x}, g_.value(x).shape);
}

void Lowering::add_bias(const OPNode& n, ValueId& out, const Shape& shape) {
  auto b = arg(n, "bias");
  if (b.empty()) return;
  ValueId bias = value_of(n, b[0]);
  if (!g_.value(bias).is_constant() || element_count(g_.value(bias).shape) != shape.back())
    fail(n, ErrorCode::kInvalidModel, "bias does not match the output channels");
  // The op's own value becomes the pre-bias result; the bias add carries the op's name.
  Node& last = g_.nodes.back();
  ValueId pre = g_.add_value(n.op_name() + "/pre_bias", DataType::kFloat32, shape);
  last.outputs = {pre};
  g_.value(pre).producer = static_cast<graph::NodeId>(g_.nodes.size() - 1);
  Node add;
  add.name = n.op_name();
  add.source_op = n.op_type();
  add.op = OpType::kBinary;
  add.params = graph::BinaryParams{};
  add.inputs = {pre, bias};
  add.outputs = {out};
  g_.add_node(std::move(add));
}

void Lowering::lower_conv(const OPNode& n, bool depthwise) {
  ValueId x = input(n, "input");
  ValueId wv = input(n, "weights");
  const Shape xs = g_.value(x).shape;
  const Shape ws = g_.value(wv).shape;  // XIR: [OC, KH, KW, IC]; depthwise [M, KH, KW, C]
  if (xs.size() != 4 || ws.size() != 4) fail(n, ErrorCode::kInvalidModel, "expects 4-D input and weights");
  if (!depthwise && ws[3] != xs[3]) fail(n, ErrorCode::kInvalidModel, "weights " + to_string(ws) + " do not match input " + to_string(xs));
  if (depthwise && ws[3] != xs[3]) fail(n, ErrorCode::kInvalidModel, "depthwise weights " + to_string(ws) + " do not match input " + to_string(xs));
  auto group = attr_ints(n, "group", {1})[0];
  if (!depthwise && group != 1) fail(n, ErrorCode::kUnsupported, "grouped convolution (group " + std::to_string(group) + ")");
  auto kernel = attr_ints(n, "kernel", {ws[2], ws[1]});  // {w, h}
  auto stride = attr_ints(n, "stride", {1, 1});
  auto dilation = attr_ints(n, "dilation", {1, 1});
  auto pad = attr_ints(n, "pad", {0, 0, 0, 0});  // {left, right, top, bottom}
  if (kernel.size() != 2 || stride.size() != 2 || dilation.size() != 2 || pad.size() != 4 ||
      kernel[0] != ws[2] || kernel[1] != ws[1])
    fail(n, ErrorCode::kInvalidModel, "kernel/stride/dilation/pad attributes do not fit the weights");
  loaders::check_window(source_ + ": op '" + n.op_name() + "'", xs[1], xs[2], ws[1], ws[2],
                        stride[1], stride[0], dilation[1], dilation[0], pad[2], pad[3], pad[0],
                        pad[1]);
  std::string mode = attr_s(n, "pad_mode", "FLOOR");
  graph::ConvParams p;
  p.stride_w = static_cast<int>(stride[0]);
  p.stride_h = static_cast<int>(stride[1]);
  p.dilation_w = static_cast<int>(dilation[0]);
  p.dilation_h = static_cast<int>(dilation[1]);
  p.pad_left = static_cast<int>(pad[0]);
  p.pad_right = static_cast<int>(pad[1]);
  p.pad_top = static_cast<int>(pad[2]);
  p.pad_bottom = static_cast<int>(pad[3]);
  Shape out = output_shape(n, true);
  // The file's output size must follow from the attributes (FLOOR, or CEIL with the extra row
  // padded at the end, as XIR does).
  auto expect = [&](std::int64_t in, int k, int s, int d, int& before, int& after, std::int64_t got) {
    std::int64_t ek = std::int64_t{d} * (k - 1) + 1;
    std::int64_t floor_out = (in + before + after - ek) / s + 1;
    if (mode == "CEIL" && got == floor_out + 1) after += s - 1;
    else if (got != floor_out) fail(n, ErrorCode::kInvalidModel, "output size " + std::to_string(got) + " does not follow from its attributes");
  };
  if (out.size() != 4) fail(n, ErrorCode::kInvalidModel, "output is not 4-D");
  expect(xs[1], static_cast<int>(ws[1]), p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom, out[1]);
  expect(xs[2], static_cast<int>(ws[2]), p.stride_w, p.dilation_w, p.pad_left, p.pad_right, out[2]);
  // Weights to TensorFlow's layout: HWIO, or [KH, KW, C, M] for depthwise.
  const auto& w = floats_of(n, wv);
  const std::int64_t o_n = ws[0], kh = ws[1], kw = ws[2], ic = ws[3];
  std::vector<float> hwio(w.size());
  for (std::int64_t o = 0; o < o_n; ++o)
    for (std::int64_t y = 0; y < kh; ++y)
      for (std::int64_t xx = 0; xx < kw; ++xx)
        for (std::int64_t c = 0; c < ic; ++c)
          hwio[static_cast<std::size_t>(((y * kw + xx) * ic + c) * o_n + o)] =
              w[static_cast<std::size_t>(((o * kh + y) * kw + xx) * ic + c)];
  ValueId wt = g_.add_constant(n.op_name() + "/weights", {kh, kw, ic, o_n}, hwio);
  g_.value(wt).fix = g_.value(wv).fix;
  Shape s = {-1, out[1], out[2], depthwise ? ic * o_n : o_n};
  if (s != out) fail(n, ErrorCode::kInvalidModel, "output channels do not match the weights");
  ValueId y = add_node(n, depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D, p, {x, wt}, s);
  add_bias(n, y, s);
}

void Lowering::lower_pool(const OPNode& n, graph::PoolKind kind) {
  ValueId x = input(n, "input");
  const Shape xs = g_.value(x).shape;
  if (xs.size() != 4) fail(n, ErrorCode::kInvalidModel, "input is not 4-D");
  graph::PoolParams p;
  p.kind = kind;
  if (attr_b(n, "global", false)) {
    p.kernel_h = static_cast<int>(xs[1]);
    p.kernel_w = static_cast<int>(xs[2]);
  } else {
    auto k = attr_ints(n, "kernel", {});
    if (k.size() != 2) fail(n, ErrorCode::kInvalidModel, "has no kernel size");
    p.kernel_w = static_cast<int>(k[0]);
    p.kernel_h = static_cast<int>(k[1]);
    auto s = attr_ints(n, "stride", {k[0], k[1]});
    auto pad = attr_ints(n, "pad", {0, 0, 0, 0});
    if (s.size() != 2 || pad.size() != 4) fail(n, ErrorCode::kInvalidModel, "stride or pad has the wrong length");
    loaders::check_window(source_ + ": op '" + n.op_name() + "'", xs[1], xs[2], k[1], k[0], s[1],
                          s[0], 1, 1, pad[2], pad[3], pad[0], pad[1]);
    p.stride_w = static_cast<int>(s[0]);
    p.stride_h = static_cast<int>(s[1]);
    p.pad_left = static_cast<int>(pad[0]);
    p.pad_right = static_cast<int>(pad[1]);
    p.pad_top = static_cast<int>(pad[2]);
    p.pad_bottom = static_cast<int>(pad[3]);
  }
  p.count_include_pad = attr_b(n, "count_include_pad", true);
  Shape out = output_shape(n, true);
  if (out.size() != 4 || out[3] != xs[3]) fail(n, ErrorCode::kInvalidModel, "output does not fit the input");
  // CEIL mode: the extra window row/column is padded at the end.
  std::int64_t fh = (xs[1] + p.pad_top + p.pad_bottom - p.kernel_h) / p.stride_h + 1;
  std::int64_t fw = (xs[2] + p.pad_left + p.pad_right - p.kernel_w) / p.stride_w + 1;
  if (out[1] == fh + 1) p.pad_bottom += p.stride_h - 1;
  else if (out[1] != fh) fail(n, ErrorCode::kInvalidModel, "output height does not follow from its attributes");
  if (out[2] == fw + 1) p.pad_right += p.stride_w - 1;
  else if (out[2] != fw) fail(n, ErrorCode::kInvalidModel, "output width does not follow from its attributes");
  add_node(n, OpType::kPool, p, {x}, out);
}

void Lowering::lower_matmul(const OPNode& n) {
  auto ins = arg(n, "input");
  if (ins.size() != 2) fail(n, ErrorCode::kInvalidModel, "matmul takes two inputs");
  if (attr_b(n, "transpose_a", false)) fail(n, ErrorCode::kUnsupported, "transpose_a");
  ValueId x = value_of(n, ins[0]);
  ValueId wv = value_of(n, ins[1]);
  const Shape xs = g_.value(x).shape, ws = g_.value(wv).shape;
  if (xs.size() != 2 || ws.size() != 2) fail(n, ErrorCode::kUnsupported, "only 2-D matmul with constant weights");
  const auto& w = floats_of(n, wv);
  bool tb = attr_b(n, "transpose_b", false);
  std::int64_t k = tb ? ws[1] : ws[0], m = tb ? ws[0] : ws[1];
  if (k != xs[1]) fail(n, ErrorCode::kInvalidModel, "weights " + to_string(ws) + " do not match input " + to_string(xs));
  std::vector<float> km(w.size());
  for (std::int64_t r = 0; r < k; ++r)
    for (std::int64_t c = 0; c < m; ++c)
      km[static_cast<std::size_t>(r * m + c)] = tb ? w[static_cast<std::size_t>(c * k + r)] : w[static_cast<std::size_t>(r * m + c)];
  ValueId wt = g_.add_constant(n.op_name() + "/weights", {k, m}, km);
  g_.value(wt).fix = g_.value(wv).fix;
  Shape s{-1, m};
  ValueId y = add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wt}, s);
  add_bias(n, y, s);
}

void Lowering::lower(const OPNode& n) {
  const std::string& t = n.op_type();
  if (t == "const") return lower_const(n);
  if (t == "data") {
    if (attr_s(n, "data_type", "FLOAT32") != "FLOAT32" && attr_s(n, "data_type", "float32") != "float32")
      fail(n, ErrorCode::kUnsupported, "only float32 inputs are supported");
    Shape s = options_.input_shape.empty() ? output_shape(n, true) : options_.input_shape;
    ValueId v = g_.add_value(n.op_name(), DataType::kFloat32, s);
    g_.inputs.push_back(v);
    values_[n.op_name()] = v;
    return;
  }
  if (t == "fix" || t == "float2fix") return lower_fix(n);
  if (t == "fix2float") {  // its input is already the dequantized float (a subgraph boundary)
    values_[n.op_name()] = input(n, "input");
    return;
  }
  if (t == "conv2d") return lower_conv(n, false);
  if (t == "depthwise-conv2d") return lower_conv(n, true);
  if (t == "maxpool2d") return lower_pool(n, graph::PoolKind::kMax);
  if (t == "avgpool2d") return lower_pool(n, graph::PoolKind::kAverage);
  if (t == "matmul") return lower_matmul(n);
  if (t == "relu" || t == "relu6" || t == "leaky-relu" || t == "sigmoid" || t == "tanh" ||
      t == "hard-sigmoid" || t == "hard-swish") {
    ValueId x = input(n, "input");
    graph::UnaryParams p;
    p.act.kind = t == "relu"         ? graph::Activation::kRelu
                 : t == "relu6"      ? graph::Activation::kRelu6
                 : t == "leaky-relu" ? graph::Activation::kLeakyRelu
                 : t == "sigmoid"    ? graph::Activation::kSigmoid
                 : t == "hard-sigmoid" ? graph::Activation::kHardSigmoid
                 : t == "hard-swish"   ? graph::Activation::kHardSwish
                                     : graph::Activation::kTanh;
    p.act.alpha = attr_f(n, "alpha", 0.1f);
    add_node(n, OpType::kUnary, p, {x}, g_.value(x).shape);
    return;
  }
  if (t == "add") {
    auto ins = arg(n, "input");
    if (ins.size() != 2) fail(n, ErrorCode::kUnsupported, "add of " + std::to_string(ins.size()) + " inputs");
    ValueId a = value_of(n, ins[0]), b = value_of(n, ins[1]);
    if (g_.value(a).shape != g_.value(b).shape)
      fail(n, ErrorCode::kUnsupported, "add with broadcasting");
    add_node(n, OpType::kBinary, graph::BinaryParams{}, {a, b}, g_.value(a).shape);
    return;
  }
  if (t == "concat") {
    std::vector<ValueId> ins;
    for (const auto& o : arg(n, "input")) ins.push_back(value_of(n, o));
    if (ins.empty()) fail(n, ErrorCode::kInvalidModel, "concat of nothing");
    auto axis = attr_ints(n, "axis", {-1})[0];
    auto rank = static_cast<std::int64_t>(g_.value(ins[0]).shape.size());
    if (axis < 0) axis += rank;
    if (axis <= 0 || axis >= rank) fail(n, ErrorCode::kUnsupported, "concat along axis " + std::to_string(axis));
    add_node(n, OpType::kConcat, graph::ConcatParams{static_cast<int>(axis)}, ins, output_shape(n, true));
    return;
  }
  if (t == "reshape" || t == "flatten" || t == "squeeze") {
    ValueId x = input(n, "input");
    Shape out = output_shape(n, true);
    Shape xs = g_.value(x).shape;
    if (element_count(Shape(out.begin() + 1, out.end())) != element_count(Shape(xs.begin() + 1, xs.end())))
      fail(n, ErrorCode::kInvalidModel, "reshape of " + to_string(xs) + " to " + to_string(out));
    add_node(n, OpType::kReshape, std::monostate{}, {x}, out);
    return;
  }
  if (t == "prelu") {  // runs in float; a fix op after it requantizes, as the quantizer simulates
    ValueId x = input(n, "input");
    ValueId alpha = input(n, "alpha");
    const Shape xs = g_.value(x).shape;
    if (!g_.value(alpha).is_constant() || element_count(g_.value(alpha).shape) != xs.back())
      fail(n, ErrorCode::kInvalidModel, "alpha must be a constant with one value per channel");
    add_node(n, OpType::kPRelu, std::monostate{}, {x, alpha}, xs);
    return;
  }
  if (auto fn = find_custom_op(t)) {  // a registered custom op: every argument, in order
    std::vector<ValueId> ins;
    for (const auto& a : n.args())
      for (const auto& o : a.arg_ops()) ins.push_back(value_of(n, o));
    if (ins.empty()) fail(n, ErrorCode::kInvalidModel, "custom op has no inputs");
    add_node(n, OpType::kCustom, graph::CustomParams{t, fn}, ins, output_shape(n, true));
    return;
  }
  if (t == "softmax") {
    ValueId x = input(n, "input");
    add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, g_.value(x).shape);
    return;
  }
  if (t == "identity") {
    values_[n.op_name()] = input(n, "input");
    return;
  }
  if (t == "stack" || t == "shape") return;  // shape arithmetic; reshape uses its output tensor
  if (t.size() > 4 && t.compare(t.size() - 4, 4, "-fix") == 0)
    fail(n, ErrorCode::kUnsupported,
         "this is a compiled .xmodel: its weights are packed in the DPU subgraph "
         "(reg_id_to_parameter_value). Give the quantized model it was compiled from "
         "(e.g. *_int.xmodel) with --weights-from, or run that model directly");
  fail(n, ErrorCode::kUnsupported,
       "op type '" + t + "' is not supported by dpurun's CPU reference (a custom op needs an "
       "implementation registered for it)");
}

// Op types of XIR that dpurun knows: those the CPU reference runs, and those of compiled models.
bool known_op_type(const std::string& t) {
  static const char* known[] = {
      "const", "data", "fix", "conv2d", "depthwise-conv2d", "maxpool2d", "avgpool2d", "matmul",
      "relu", "relu6", "leaky-relu", "prelu", "sigmoid", "tanh", "hard-sigmoid", "hard-swish", "add",
      "concat", "reshape", "flatten",
      "squeeze", "softmax", "identity", "stack", "shape",
      // compiled models
      "data-fix", "const-fix", "conv2d-fix", "depthwise-conv2d-fix", "transposed-conv2d-fix",
      "pool-fix", "eltwise-fix", "concat-fix", "reshape-fix", "upload", "download", "fix2float",
      "float2fix", "downsample-fix", "upsample-fix", "hard-sigmoid-fix"};
  for (const char* k : known)
    if (t == k) return true;
  return false;
}

const SubGraph* find_subgraph(const SubGraph& s, const std::string& name) {
  if (s.subgraph_name() == name) return &s;
  for (const auto& c : s.subg_child())
    if (auto* f = find_subgraph(c, name)) return f;
  return nullptr;
}

graph::Graph Lowering::run() {
  g_.source = source_;
  for (const auto& n : def_.op_node()) ops_[n.op_name()] = &n;
  if (!options_.subgraph.empty()) {
    const SubGraph* s = def_.has_subg_root() ? find_subgraph(def_.subg_root(), options_.subgraph) : nullptr;
    if (!s) throw Error(ErrorCode::kNotFound, source_ + ": no subgraph named '" + options_.subgraph + "'");
    only_.insert(s->op_name().begin(), s->op_name().end());
    if (only_.empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": subgraph '" + options_.subgraph + "' has no ops");
    // Boundary inputs in the order asked for.
    for (const auto& name : options_.inputs)
      if (ops_.count(name) && !only_.count(name)) boundary_input(*ops_.at(name));
  }
  auto wanted = [&](const OPNode& n) { return only_.empty() || only_.count(n.op_name()); };
  // Custom ops are named up front: no other error should hide them.
  std::string custom;
  for (const auto& n : def_.op_node())
    if (wanted(n) && !known_op_type(n.op_type()) && !find_custom_op(n.op_type()))
      custom += (custom.empty() ? "" : ", ") + std::string("'") + n.op_name() + "' (" + n.op_type() + ")";
  if (!custom.empty())
    throw Error(ErrorCode::kUnsupported,
                source_ + ": custom or unknown op(s) " + custom +
                    " have no implementation in dpurun's CPU reference; register one or run the "
                    "model where its custom op library is installed");
  // XIR stores ops in topological order; an arg naming a later op is reported as missing.
  for (const auto& n : def_.op_node()) {
    if (n.op_name().empty() || n.op_type().empty())
      throw Error(ErrorCode::kInvalidModel, source_ + ": an op has no name or type");
    if (wanted(n)) lower(n);
  }
  std::unordered_map<std::string, bool> consumed;
  for (const auto& n : def_.op_node())
    for (const auto& a : n.args())
      for (const auto& o : a.arg_ops()) consumed[o] = true;
  if (!options_.outputs.empty()) {
    for (const auto& o : options_.outputs) {
      auto it = values_.find(o);
      if (it == values_.end()) throw Error(ErrorCode::kNotFound, source_ + ": no op named '" + o + "'");
      g_.outputs.push_back(it->second);
    }
  } else {
    for (const auto& n : def_.op_node()) {
      auto it = values_.find(n.op_name());
      if (!consumed.count(n.op_name()) && it != values_.end() && !g_.value(it->second).is_constant())
        g_.outputs.push_back(it->second);
    }
    if (!only_.empty()) {  // a subgraph's outputs: its ops that others read, or none reads
      g_.outputs.clear();
      for (const auto& n : def_.op_node()) {
        if (!only_.count(n.op_name()) || !values_.count(n.op_name())) continue;
        bool read_outside = !consumed.count(n.op_name());
        for (const auto& m : def_.op_node())
          if (!only_.count(m.op_name()))
            for (const auto& a : m.args())
              for (const auto& o : a.arg_ops()) read_outside |= o == n.op_name();
        ValueId v = values_.at(n.op_name());
        if (read_outside && !g_.value(v).is_constant()) g_.outputs.push_back(v);
      }
    }
  }
  if (g_.inputs.empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": the graph has no data op (input)");
  if (g_.outputs.empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": the graph computes nothing");
  g_.finalize();
  return std::move(g_);
}

}  // namespace

bool parse_xmodel(const std::string& bytes, Graph& def) {
  return !bytes.empty() && def.ParseFromString(bytes) && def.op_node_size() > 0;
}

graph::Graph load_xmodel(const std::string& bytes, const std::string& source,
                         const loaders::LoadOptions& options) {
  Graph def;
  if (!parse_xmodel(bytes, def))
    throw Error(ErrorCode::kInvalidModel,
                source + ": not an XIR .xmodel (the file is truncated, empty or of another "
                         "format); give a model written by the Vitis AI quantizer or compiler");
  return Lowering(def, source, options).run();
}

}  // namespace dpurun::xir

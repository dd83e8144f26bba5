#include "loaders/onnx/onnx_loader.h"

#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

#include "dpurun/error.h"
#include "graph/lower_fix.h"
#include "loaders/describe.h"
#include "onnx.pb.h"

namespace dpurun::onnx {
namespace {

using graph::Node;
using graph::OpType;
using graph::ValueId;

// A tensor during lowering: a graph value (4-D ones NHWC), a constant known at load time, or a
// QuantizeLinear result waiting for its DequantizeLinear (the QDQ pair becomes one Fix).
struct Entry {
  enum Kind { kRuntime, kKnown, kQuantized } kind = kRuntime;
  ValueId value = graph::kNone;
  std::vector<float> data;  // kKnown
  Shape shape;              // kKnown: ONNX shape
  std::optional<graph::FixInfo> fix;
  Shape chw;  // a 2-D runtime value flattened from NHWC whose ONNX order is C, H, W
};

class Lowering {
 public:
  Lowering(const ModelProto& m, std::string source, const loaders::LoadOptions& o)
      : m_(m), source_(std::move(source)), options_(o) {}
  graph::Graph run();

 private:
  [[noreturn]] void fail(const NodeProto& n, ErrorCode code, const std::string& what) const {
    throw Error(code, source_ + ": node '" + (n.name().empty() ? n.output(0) : n.name()) + "' (" +
                          n.op_type() + "): " + what);
  }
  const AttributeProto* attr(const NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::vector<std::int64_t> ints(const NodeProto& n, const std::string& name,
                                 std::vector<std::int64_t> dflt) const {
    auto* a = attr(n, name);
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : dflt;
  }
  std::int64_t int_attr(const NodeProto& n, const std::string& name, std::int64_t dflt) const {
    auto* a = attr(n, name);
    return a ? a->i() : dflt;
  }
  Entry& in(const NodeProto& n, int i) {
    if (i >= n.input_size() || n.input(i).empty()) fail(n, ErrorCode::kInvalidModel, "missing input " + std::to_string(i));
    auto it = entries_.find(n.input(i));
    if (it == entries_.end()) fail(n, ErrorCode::kInvalidModel, "input '" + n.input(i) + "' is not produced before it");
    return it->second;
  }
  const Entry& known(const NodeProto& n, int i, const char* what) {
    Entry& e = in(n, i);
    if (e.kind != Entry::kKnown) fail(n, ErrorCode::kUnsupported, std::string(what) + " must be a constant");
    return e;
  }
  ValueId runtime(const NodeProto& n, int i) {
    Entry& e = in(n, i);
    if (e.kind != Entry::kRuntime) fail(n, ErrorCode::kUnsupported, "input " + std::to_string(i) + " must be computed at run time");
    return e.value;
  }
  ValueId add_node(const NodeProto& n, OpType op, graph::OpParams p, std::vector<ValueId> ins, Shape s) {
    ValueId out = g_.add_value(n.output(0), DataType::kFloat32, std::move(s));
    Node node;
    node.name = n.name().empty() ? n.output(0) : n.name();
    node.source_op = n.op_type();
    node.op = op;
    node.params = std::move(p);
    node.inputs = std::move(ins);
    node.outputs = {out};
    g_.add_node(std::move(node));
    entries_[n.output(0)] = Entry{Entry::kRuntime, out, {}, {}, std::nullopt, {}};
    return out;
  }

  // Conv's and Gemm's optional third input, added to `y` (the op's result, of shape `s`); the
  // node's output name moves to the sum.
  void add_bias(const NodeProto& n, ValueId y, const Shape& s) {
    if (n.input_size() <= 2 || n.input(2).empty()) return;
    const Entry& b = known(n, 2, "the bias");
    if (static_cast<std::int64_t>(b.data.size()) != s.back())
      fail(n, ErrorCode::kInvalidModel, "bias does not match the output channels");
    ValueId bv = g_.add_constant(n.output(0) + "/bias", {s.back()}, b.data);
    g_.value(bv).fix = b.fix;
    g_.value(y).name = n.output(0) + "/pre_bias";
    ValueId out = g_.add_value(n.output(0), DataType::kFloat32, s);
    Node add;
    add.name = n.output(0) + "/bias_add";
    add.source_op = n.op_type();
    add.op = OpType::kBinary;
    add.params = graph::BinaryParams{};
    add.inputs = {y, bv};
    add.outputs = {out};
    g_.add_node(std::move(add));
    entries_[n.output(0)] = Entry{Entry::kRuntime, out, {}, {}, std::nullopt, {}};
  }

  static Entry tensor_entry(const TensorProto& t, const std::string& where);
  graph::FixInfo qdq_fix(const NodeProto& n);
  void lower(const NodeProto& n);

  const ModelProto& m_;
  std::string source_;
  const loaders::LoadOptions& options_;
  graph::Graph g_;
  std::unordered_map<std::string, Entry> entries_;
};

Entry Lowering::tensor_entry(const TensorProto& t, const std::string& where) {
  Entry e;
  e.kind = Entry::kKnown;
  e.shape.assign(t.dims().begin(), t.dims().end());
  std::int64_t count = element_count(e.shape);
  if (count < 0 || count > (std::int64_t{1} << 28))
    throw Error(ErrorCode::kInvalidModel, where + ": tensor '" + t.name() + "' is too large");
  e.data.resize(static_cast<std::size_t>(count));
  const std::string& raw = t.raw_data();
  auto from_raw = [&](auto sample) {
    using T = decltype(sample);
    if (raw.size() != static_cast<std::size_t>(count) * sizeof(T))
      throw Error(ErrorCode::kInvalidModel, where + ": tensor '" + t.name() + "' has " +
                                                std::to_string(raw.size()) + " bytes for its shape");
    for (std::int64_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, raw.data() + i * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
      e.data[static_cast<std::size_t>(i)] = static_cast<float>(v);
    }
  };
  auto from_list = [&](const auto& list) {
    if (list.size() != count)
      throw Error(ErrorCode::kInvalidModel, where + ": tensor '" + t.name() + "' has " +
                                                std::to_string(list.size()) + " values for its shape");
    for (std::int64_t i = 0; i < count; ++i) e.data[static_cast<std::size_t>(i)] = static_cast<float>(list[static_cast<int>(i)]);
  };
  switch (t.data_type()) {
    case 1: raw.empty() ? from_list(t.float_data()) : from_raw(float{}); break;
    case 2: raw.empty() ? from_list(t.int32_data()) : from_raw(std::uint8_t{}); break;
    case 3: raw.empty() ? from_list(t.int32_data()) : from_raw(std::int8_t{}); break;
    case 6: raw.empty() ? from_list(t.int32_data()) : from_raw(std::int32_t{}); break;
    case 7: raw.empty() ? from_list(t.int64_data()) : from_raw(std::int64_t{}); break;
    default:
      throw Error(ErrorCode::kUnsupported, where + ": tensor '" + t.name() + "' has data type " +
                                               std::to_string(t.data_type()));
  }
  return e;
}

// QuantizeLinear's scale and zero point as a fix point: scale = 2^-fp, zero point 0, int8.
// The DPU rounds half up; ONNX's QuantizeLinear half to even (options_.onnx_rounding).
graph::FixInfo Lowering::qdq_fix(const NodeProto& n) {
  const Entry& scale = known(n, 1, "the scale");
  if (scale.data.size() != 1) fail(n, ErrorCode::kUnsupported, "per-channel scales are not supported");
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Entry& zp = known(n, 2, "the zero point");
    for (float z : zp.data)
      if (z != 0.f) fail(n, ErrorCode::kUnsupported, "a non-zero zero point (the DPU is symmetric)");
  }
  double fp = -std::log2(double(scale.data[0]));
  if (!(scale.data[0] > 0) || fp != std::round(fp))
    fail(n, ErrorCode::kUnsupported, "scale " + std::to_string(scale.data[0]) + " is not a power of two");
  graph::FixInfo f;
  f.fix_point = static_cast<int>(fp);
  f.round = options_.onnx_rounding ? graph::RoundMode::kPy3 : graph::RoundMode::kDpu;
  return f;
}

void Lowering::lower(const NodeProto& n) {
  const std::string& t = n.op_type();
  if (n.output_size() < 1) fail(n, ErrorCode::kInvalidModel, "has no output");
  if (t == "Constant") {
    auto* v = attr(n, "value");
    if (!v || !v->has_t()) fail(n, ErrorCode::kUnsupported, "only tensor-valued constants");
    entries_[n.output(0)] = tensor_entry(v->t(), source_);
    return;
  }
  if (t == "QuantizeLinear") {
    graph::FixInfo f = qdq_fix(n);
    Entry e = in(n, 0);
    if (e.kind == Entry::kKnown) {
      graph::fake_quantize(e.data, f);
      e.fix = f;
    } else if (e.kind == Entry::kRuntime) {
      e.kind = Entry::kQuantized;
      e.fix = f;
    } else {
      fail(n, ErrorCode::kUnsupported, "quantizes an already quantized tensor");
    }
    entries_[n.output(0)] = e;
    return;
  }
  if (t == "DequantizeLinear") {
    graph::FixInfo f = qdq_fix(n);
    Entry e = in(n, 0);
    if (!e.fix || e.fix->fix_point != f.fix_point)
      fail(n, ErrorCode::kUnsupported, "must follow a QuantizeLinear of the same scale");
    if (e.kind == Entry::kKnown) {
      entries_[n.output(0)] = e;  // weights on their grid, annotated
      return;
    }
    Shape chw = e.chw;
    add_node(n, OpType::kFix, graph::FixParams{f}, {e.value}, g_.value(e.value).shape);
    entries_[n.output(0)].chw = chw;
    return;
  }
  if (t == "Conv") {
    ValueId x = runtime(n, 0);
    const Entry& w = known(n, 1, "the weights");
    const Shape xs = g_.value(x).shape;  // NHWC
    if (w.shape.size() != 4 || xs.size() != 4 || w.shape[1] != xs[3])
      fail(n, ErrorCode::kInvalidModel, "weights " + to_string(w.shape) + " do not fit input " + to_string(xs));
    if (int_attr(n, "group", 1) != 1) fail(n, ErrorCode::kUnsupported, "grouped convolution");
    auto strides = ints(n, "strides", {1, 1});
    auto dil = ints(n, "dilations", {1, 1});
    auto pads = ints(n, "pads", {0, 0, 0, 0});  // top, left, bottom, right
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
      fail(n, ErrorCode::kInvalidModel, "strides, dilations or pads have the wrong length");
    loaders::check_window(source_ + ": node '" + n.output(0) + "'", xs[1], xs[2], w.shape[2],
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
    ValueId wv = g_.add_constant(n.output(0) + "/weights", {kh, kw, c, o}, hwio);
    g_.value(wv).fix = w.fix;
    std::int64_t oh = (xs[1] + p.pad_top + p.pad_bottom - (kh - 1) * p.dilation_h - 1) / p.stride_h + 1;
    std::int64_t ow = (xs[2] + p.pad_left + p.pad_right - (kw - 1) * p.dilation_w - 1) / p.stride_w + 1;
    std::vector<ValueId> inputs{x, wv};
    Shape s{-1, oh, ow, o};
    ValueId y = add_node(n, OpType::kConv2D, p, inputs, s);
    add_bias(n, y, s);
    return;
  }
  if (t == "Relu") {
    Entry e = in(n, 0);
    ValueId x = runtime(n, 0);
    graph::UnaryParams p;
    p.act.kind = graph::Activation::kRelu;
    add_node(n, OpType::kUnary, p, {x}, g_.value(x).shape);
    entries_[n.output(0)].chw = e.chw;
    return;
  }
  if (t == "MaxPool" || t == "AveragePool") {
    ValueId x = runtime(n, 0);
    const Shape xs = g_.value(x).shape;
    auto k = ints(n, "kernel_shape", {});
    if (k.size() != 2 || int_attr(n, "ceil_mode", 0) != 0)
      fail(n, ErrorCode::kUnsupported, "only 2-D pooling with ceil_mode 0");
    auto s = ints(n, "strides", {1, 1});
    auto pads = ints(n, "pads", {0, 0, 0, 0});
    if (s.size() != 2 || pads.size() != 4)
      fail(n, ErrorCode::kInvalidModel, "strides or pads have the wrong length");
    loaders::check_window(source_ + ": node '" + n.output(0) + "'", xs[1], xs[2], k[0], k[1], s[0],
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
    p.count_include_pad = int_attr(n, "count_include_pad", 0) != 0;
    std::int64_t oh = (xs[1] + p.pad_top + p.pad_bottom - p.kernel_h) / p.stride_h + 1;
    std::int64_t ow = (xs[2] + p.pad_left + p.pad_right - p.kernel_w) / p.stride_w + 1;
    add_node(n, OpType::kPool, p, {x}, {-1, oh, ow, xs[3]});
    return;
  }
  if (t == "Flatten") {
    ValueId x = runtime(n, 0);
    const Shape xs = g_.value(x).shape;
    if (int_attr(n, "axis", 1) != 1) fail(n, ErrorCode::kUnsupported, "only axis 1");
    std::int64_t k = element_count(Shape(xs.begin() + 1, xs.end()));
    add_node(n, OpType::kReshape, std::monostate{}, {x}, {-1, k});
    // NHWC flattens in H, W, C order; ONNX's NCHW tensor flattens in C, H, W order.
    if (xs.size() == 4 && xs[3] > 1 && (xs[1] > 1 || xs[2] > 1)) entries_[n.output(0)].chw = {xs[3], xs[1], xs[2]};
    return;
  }
  if (t == "Gemm") {
    Entry a = in(n, 0);
    ValueId x = runtime(n, 0);
    const Entry& w = known(n, 1, "B");
    if (int_attr(n, "transA", 0) != 0) fail(n, ErrorCode::kUnsupported, "transA");
    auto* alpha = attr(n, "alpha");
    auto* beta = attr(n, "beta");
    if ((alpha && alpha->f() != 1.f) || (beta && beta->f() != 1.f))
      fail(n, ErrorCode::kUnsupported, "alpha and beta other than 1");
    bool tb = int_attr(n, "transB", 0) != 0;
    if (w.shape.size() != 2) fail(n, ErrorCode::kInvalidModel, "B is not 2-D");
    std::int64_t k = tb ? w.shape[1] : w.shape[0], m = tb ? w.shape[0] : w.shape[1];
    if (k != g_.value(x).shape[1]) fail(n, ErrorCode::kInvalidModel, "B does not fit A");
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
    ValueId wv = g_.add_constant(n.output(0) + "/weights", {k, m}, km);
    g_.value(wv).fix = w.fix;
    ValueId y = add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wv}, {-1, m});
    add_bias(n, y, {-1, m});
    return;
  }
  if (t == "Add") {
    ValueId a = runtime(n, 0), b = runtime(n, 1);
    if (g_.value(a).shape != g_.value(b).shape) fail(n, ErrorCode::kUnsupported, "broadcasting Add");
    add_node(n, OpType::kBinary, graph::BinaryParams{}, {a, b}, g_.value(a).shape);
    return;
  }
  if (t == "Softmax") {
    ValueId x = runtime(n, 0);
    add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, g_.value(x).shape);
    return;
  }
  fail(n, ErrorCode::kUnsupported, "op '" + t + "' is not supported by dpurun's ONNX reader");
}

graph::Graph Lowering::run() {
  g_.source = source_;
  const GraphProto& gp = m_.graph();
  for (const auto& t : gp.initializer()) entries_[t.name()] = tensor_entry(t, source_);
  for (const auto& v : gp.input()) {
    if (entries_.count(v.name())) continue;  // an initializer listed as input
    Shape s;
    for (const auto& d : v.type().tensor_type().shape().dim()) s.push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (s.size() != 4)
      throw Error(ErrorCode::kUnsupported, source_ + ": input '" + v.name() + "' is not an NCHW image");
    Shape nhwc{-1, s[2], s[3], s[1]};
    if (!options_.input_shape.empty()) nhwc = options_.input_shape;
    ValueId x = g_.add_value(v.name(), DataType::kFloat32, nhwc);
    g_.inputs.push_back(x);
    entries_[v.name()] = Entry{Entry::kRuntime, x, {}, {}, std::nullopt, {}};
  }
  for (const auto& n : gp.node()) lower(n);
  for (const auto& v : gp.output()) {
    auto it = entries_.find(v.name());
    if (it == entries_.end() || it->second.kind != Entry::kRuntime)
      throw Error(ErrorCode::kInvalidModel, source_ + ": output '" + v.name() + "' is not computed");
    g_.outputs.push_back(it->second.value);
  }
  if (g_.inputs.empty() || g_.outputs.empty())
    throw Error(ErrorCode::kInvalidModel, source_ + ": the graph has no input or no output");
  g_.finalize();
  return std::move(g_);
}

}  // namespace

graph::Graph load_onnx(const std::string& bytes, const std::string& source,
                       const loaders::LoadOptions& options) {
  ModelProto m;
  if (bytes.empty() || !m.ParseFromString(bytes) || m.graph().node_size() == 0)
    throw Error(ErrorCode::kInvalidModel,
                source + ": not an ONNX model (the file is truncated, empty or of another format)");
  return Lowering(m, source, options).run();
}

}  // namespace dpurun::onnx

namespace dpurun::onnx {

void describe_onnx(const std::string& bytes, ModelInfo& info) {
  ModelProto m;
  if (bytes.empty() || !m.ParseFromString(bytes) || m.graph().node_size() == 0)
    throw Error(ErrorCode::kInvalidModel, info.path + ": not an ONNX model (truncated or another format)");
  info.format = "onnx";
  info.graph_name = m.graph().name();
  bool quantized = false;
  for (const auto& n : m.graph().node()) {
    loaders::count_op(info.op_counts, n.op_type());
    quantized |= n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear";
  }
  info.kind = quantized ? "quantized" : "float";
  if (!m.producer_name().empty()) info.properties.emplace_back("producer", m.producer_name());
  std::set<std::string> initializers;
  for (const auto& t : m.graph().initializer()) initializers.insert(t.name());
  auto tensor = [](const ValueInfoProto& v) {
    TensorInfo t{v.name(), {}, DataType::kFloat32, std::nullopt};
    const auto& tt = v.type().tensor_type();
    for (const auto& d : tt.shape().dim()) t.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (tt.elem_type() == 2) t.type = DataType::kUInt8;
    if (tt.elem_type() == 3) t.type = DataType::kInt8;
    return t;
  };
  for (const auto& v : m.graph().input())
    if (!initializers.count(v.name())) info.inputs.push_back(tensor(v));
  for (const auto& v : m.graph().output()) info.outputs.push_back(tensor(v));
}

}  // namespace dpurun::onnx

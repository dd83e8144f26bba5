#include "loaders/onnx/onnx_loader.h"

#include <cmath>
#include <cstring>
#include <set>

#include "dpurun/error.h"
#include "loaders/describe.h"
#include "loaders/onnx/lowering.h"
#include "loaders/onnx/ops/ops.h"
#include "onnx.pb.h"

namespace dpurun::loaders::onnx {

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
// The DPU rounds half up; ONNX's QuantizeLinear half to even (options.onnx_rounding).
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
  f.round = options.onnx_rounding ? graph::RoundMode::kPy3 : graph::RoundMode::kDpu;
  return f;
}

void Lowering::lower(const NodeProto& n) {
  if (n.output_size() < 1) fail(n, ErrorCode::kInvalidModel, "has no output");
  if (Converter convert = find_converter(n.op_type())) return convert(*this, n);
  fail(n, ErrorCode::kUnsupported, "op '" + n.op_type() + "' is not supported by dpurun's ONNX reader");
}

graph::Graph Lowering::run() {
  g.source = source;
  const GraphProto& gp = m.graph();
  for (const auto& t : gp.initializer()) entries[t.name()] = tensor_entry(t, source);
  for (const auto& v : gp.input()) {
    if (entries.count(v.name())) continue;  // an initializer listed as input
    Shape s;
    for (const auto& d : v.type().tensor_type().shape().dim()) s.push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (s.size() != 4)
      throw Error(ErrorCode::kUnsupported, source + ": input '" + v.name() + "' is not an NCHW image");
    Shape nhwc{-1, s[2], s[3], s[1]};
    if (!options.input_shape.empty()) nhwc = options.input_shape;
    ValueId x = g.add_value(v.name(), DataType::kFloat32, nhwc);
    g.inputs.push_back(x);
    entries[v.name()] = Entry{Entry::kRuntime, x, {}, {}, std::nullopt, {}};
  }
  for (const auto& n : gp.node()) lower(n);
  for (const auto& v : gp.output()) {
    auto it = entries.find(v.name());
    if (it == entries.end() || it->second.kind != Entry::kRuntime)
      throw Error(ErrorCode::kInvalidModel, source + ": output '" + v.name() + "' is not computed");
    g.outputs.push_back(it->second.value);
  }
  if (g.inputs.empty() || g.outputs.empty())
    throw Error(ErrorCode::kInvalidModel, source + ": the graph has no input or no output");
  g.finalize();
  return std::move(g);
}

graph::Graph load_onnx(const std::string& bytes, const std::string& source,
                       const loaders::LoadOptions& options) {
  ModelProto m;
  if (bytes.empty() || !m.ParseFromString(bytes) || m.graph().node_size() == 0)
    throw Error(ErrorCode::kInvalidModel,
                source + ": not an ONNX model (the file is truncated, empty or of another format)");
  return Lowering(m, source, options).run();
}

}  // namespace dpurun::loaders::onnx

namespace dpurun::loaders::onnx {

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

}  // namespace dpurun::loaders::onnx

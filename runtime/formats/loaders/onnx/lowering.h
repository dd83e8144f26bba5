// The lowering of one ONNX (QDQ) model into dpurun's graph: 4-D tensors become NHWC, QDQ pairs
// become Fix nodes; the state and helpers the op converters (ops/) share.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dpurun/error.h"
#include "graph/graph.h"
#include "loaders/loader.h"
#include "onnx.pb.h"

namespace dpurun::loaders::onnx {

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
      : m(m), source(std::move(source)), options(o) {}
  graph::Graph run();

  [[noreturn]] void fail(const NodeProto& n, ErrorCode code, const std::string& what) const {
    // A node is named by its name, else its first output (a fuzzed node may have neither).
    std::string label = !n.name().empty() ? n.name() : n.output_size() > 0 ? n.output(0) : "(unnamed)";
    throw Error(code, source + ": node '" + label + "' (" + n.op_type() + "): " + what);
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
    auto it = entries.find(n.input(i));
    if (it == entries.end()) fail(n, ErrorCode::kInvalidModel, "input '" + n.input(i) + "' is not produced before it");
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
    ValueId out = g.add_value(n.output(0), DataType::kFloat32, std::move(s));
    Node node;
    node.name = n.name().empty() ? n.output(0) : n.name();
    node.source_op = n.op_type();
    node.op = op;
    node.params = std::move(p);
    node.inputs = std::move(ins);
    node.outputs = {out};
    g.add_node(std::move(node));
    entries[n.output(0)] = Entry{Entry::kRuntime, out, {}, {}, std::nullopt, {}};
    return out;
  }

  // Conv's and Gemm's optional third input, added to `y` (the op's result, of shape `s`); the
  // node's output name moves to the sum.
  void add_bias(const NodeProto& n, ValueId y, const Shape& s) {
    if (n.input_size() <= 2 || n.input(2).empty()) return;
    const Entry& b = known(n, 2, "the bias");
    if (static_cast<std::int64_t>(b.data.size()) != s.back())
      fail(n, ErrorCode::kInvalidModel, "bias does not match the output channels");
    ValueId bv = g.add_constant(n.output(0) + "/bias", {s.back()}, b.data);
    g.value(bv).fix = b.fix;
    g.value(y).name = n.output(0) + "/pre_bias";
    ValueId out = g.add_value(n.output(0), DataType::kFloat32, s);
    Node add;
    add.name = n.output(0) + "/bias_add";
    add.source_op = n.op_type();
    add.op = OpType::kBinary;
    add.params = graph::BinaryParams{};
    add.inputs = {y, bv};
    add.outputs = {out};
    g.add_node(std::move(add));
    entries[n.output(0)] = Entry{Entry::kRuntime, out, {}, {}, std::nullopt, {}};
  }

  static Entry tensor_entry(const TensorProto& t, const std::string& where);
  // QuantizeLinear's scale and zero point as a fix point (a power-of-two scale, zero point 0).
  graph::FixInfo qdq_fix(const NodeProto& n);

 private:
  void lower(const NodeProto& n);

 public:
  const ModelProto& m;
  std::string source;
  const loaders::LoadOptions& options;
  graph::Graph g;
  std::unordered_map<std::string, Entry> entries;
};

}  // namespace dpurun::loaders::onnx

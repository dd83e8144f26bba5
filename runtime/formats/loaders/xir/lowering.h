// The lowering of one XIR graph into dpurun's graph: the state the op converters share and the
// helpers they use (attributes, arguments, shapes, adding nodes). Converters: ops/.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dpurun/error.h"
#include "graph/graph.h"
#include "loaders/loader.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders::xir {

class DpuParameters;
using graph::Node;
using graph::OpType;
using graph::ValueId;

// Integers of an attribute, scalar or vector; empty for other kinds.
std::vector<std::int64_t> ints(const AttrValue& a);

class Lowering {
 public:
  Lowering(const Graph& def, std::string source, const loaders::LoadOptions& options)
      : def(def), source(std::move(source)), options(options) {}

  graph::Graph run();

  [[noreturn]] void fail(const OPNode& n, ErrorCode code, const std::string& what) const {
    throw Error(code, source + ": op '" + n.op_name() + "' (" + n.op_type() + "): " + what);
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
    auto it = values.find(producer);
    if (it == values.end() && !only.empty() && !only.count(producer) && ops.count(producer))
      return boundary_input(*ops.at(producer));
    if (it == values.end())
      fail(n, ErrorCode::kInvalidModel, "reads '" + producer + "', which no op before it produces");
    return it->second;
  }
  // A tensor from another subgraph: a float input of the subgraph's graph.
  ValueId boundary_input(const OPNode& producer) {
    ValueId v = g.add_value(producer.op_name(), DataType::kFloat32, output_shape(producer, true));
    g.inputs.push_back(v);
    values[producer.op_name()] = v;
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
    ValueId out = g.add_value(n.op_name(), DataType::kFloat32, std::move(shape));
    Node node;
    node.name = n.op_name();
    node.source_op = n.op_type();
    node.op = op;
    node.params = std::move(params);
    node.inputs = std::move(in);
    node.outputs = {out};
    g.add_node(std::move(node));
    values[n.op_name()] = out;
    return out;
  }

  const std::vector<float>& floats_of(const OPNode& n, ValueId v) {
    const auto& val = g.value(v);
    if (!val.is_constant()) fail(n, ErrorCode::kUnsupported, "weights must be constants");
    auto s = val.as<float>();
    scratch.assign(s.begin(), s.end());
    return scratch;
  }

  // A 1-D op (input [N, L, C]) as a 2-D one of height 1: its copy named n + `suffix`, with
  // output [1, 1, L', C'] and its input reshaped to [N, 1, L, C]. The caller sets the 2-D
  // attributes (set_ints), lowers the copy, then reshapes its value back under the op's name.
  OPNode height_one_twin(const OPNode& n, const std::string& suffix, ValueId x, const Shape& out3) {
    const Shape xs = g.value(x).shape;
    OPNode twin = n;
    twin.set_op_name(n.op_name() + suffix);
    twin.mutable_output_tensor()->clear_tensor_dim();
    for (auto d : {std::int64_t{1}, std::int64_t{1}, out3[1], out3[2]})
      twin.mutable_output_tensor()->add_tensor_dim(static_cast<std::uint32_t>(d));
    const std::string name = n.op_name() + "/input_2d";
    reroute(twin, "input", name, add_step(n, name, OpType::kReshape, std::monostate{}, x, {-1, 1, xs[1], xs[2]}));
    return twin;
  }
  // A node of op `n`'s own lowering, between its input and its result: named `name`, not an
  // XIR op (so not in `values`).
  ValueId add_step(const OPNode& n, const std::string& name, OpType op, graph::OpParams params, ValueId in,
                   Shape shape) {
    ValueId v = g.add_value(name, DataType::kFloat32, std::move(shape));
    Node node;
    node.name = name;
    node.source_op = n.op_type();
    node.op = op;
    node.params = std::move(params);
    node.inputs = {in};
    node.outputs = {v};
    g.add_node(std::move(node));
    return v;
  }
  // Points argument `arg` of `op` (a copy being lowered) at `value`, registered as `name`.
  void reroute(OPNode& op, const std::string& arg, const std::string& name, ValueId value) {
    values[name] = value;
    for (auto& a : *op.mutable_args())
      if (a.arg_name() == arg) {
        a.clear_arg_ops();
        a.add_arg_ops(name);
      }
  }
  static void set_ints(OPNode& op, const std::string& key, std::vector<std::int32_t> v) {
    auto* vec = (*op.mutable_op_attr())[key].mutable_int32_vec_value();
    vec->clear_value();
    for (auto e : v) vec->add_value(e);
  }

  // Adds the op's bias (its "bias" argument, if any) after the node just added, which then
  // produces the pre-bias value; the add takes the op's name and writes `out`.
  void add_bias(const OPNode& n, ValueId& out, const Shape& shape) {
    auto b = arg(n, "bias");
    if (b.empty()) return;
    ValueId bias = value_of(n, b[0]);
    if (!g.value(bias).is_constant() || element_count(g.value(bias).shape) != shape.back())
      fail(n, ErrorCode::kInvalidModel, "bias does not match the output channels");
    // The op's own value becomes the pre-bias result; the bias add carries the op's name.
    Node& last = g.nodes.back();
    ValueId pre = g.add_value(n.op_name() + "/pre_bias", DataType::kFloat32, shape);
    last.outputs = {pre};
    g.value(pre).producer = static_cast<graph::NodeId>(g.nodes.size() - 1);
    Node add;
    add.name = n.op_name();
    add.source_op = n.op_type();
    add.op = OpType::kBinary;
    add.params = graph::BinaryParams{};
    add.inputs = {pre, bias};
    add.outputs = {out};
    g.add_node(std::move(add));
  }

  const Graph& def;
  std::string source;
  const loaders::LoadOptions& options;
  graph::Graph g;
  std::unordered_map<std::string, ValueId> values;  // XIR op name → its value
  std::unordered_map<std::string, const OPNode*> ops;
  std::unordered_set<std::string> only;  // options.subgraph's ops
  std::unordered_map<std::string, const OPNode*> first_user;  // op name → the first op reading it
  std::shared_ptr<DpuParameters> dpu_params;  // a compiled model's constants, read when first needed
  std::vector<float> scratch;

 private:
  void lower(const OPNode& n);
};

}  // namespace dpurun::loaders::xir

#include "loaders/xir/xmodel_loader.h"

#include "dpurun/custom_op.h"
#include "dpurun/error.h"
#include "loaders/xir/lowering.h"
#include "loaders/xir/ops/ops.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders::xir {

std::vector<std::int64_t> ints(const AttrValue& a) {
  switch (a.value_case()) {
    case AttrValue::kInt32VecValue: return {a.int32_vec_value().value().begin(), a.int32_vec_value().value().end()};
    case AttrValue::kInt64VecValue: return {a.int64_vec_value().value().begin(), a.int64_vec_value().value().end()};
    case AttrValue::kInt32Value: return {a.int32_value()};
    case AttrValue::kInt64Value: return {a.int64_value()};
    default: return {};
  }
}

namespace {

const SubGraph* find_subgraph(const SubGraph& s, const std::string& name) {
  if (s.subgraph_name() == name) return &s;
  for (const auto& c : s.subg_child())
    if (auto* f = find_subgraph(c, name)) return f;
  return nullptr;
}

}  // namespace

// Built-in ops by the table, then custom ops registered by the application.
void Lowering::lower(const OPNode& n) {
  const std::string& t = n.op_type();
  if (Converter convert = find_converter(t)) return convert(*this, n);
  if (auto fn = find_custom_op(t)) {  // a registered custom op: every argument, in order
    std::vector<ValueId> ins;
    for (const auto& a : n.args())
      for (const auto& o : a.arg_ops()) ins.push_back(value_of(n, o));
    if (ins.empty()) fail(n, ErrorCode::kInvalidModel, "custom op has no inputs");
    add_node(n, OpType::kCustom, graph::CustomParams{t, fn}, ins, output_shape(n, true));
    return;
  }
  if (is_compiled_op(t))
    fail(n, ErrorCode::kUnsupported,
         "this compiled op is not emulated yet. Give the quantized model it was compiled from "
         "(e.g. *_int.xmodel) with --weights-from, or run that model directly");
  fail(n, ErrorCode::kUnsupported,
       "op type '" + t + "' is not supported by dpurun's CPU reference (a custom op needs an "
       "implementation registered for it)");
}

graph::Graph Lowering::run() {
  g.source = source;
  for (const auto& n : def.op_node()) {
    ops[n.op_name()] = &n;
    for (const auto& a : n.args())
      for (const auto& o : a.arg_ops()) first_user.emplace(o, &n);
  }
  if (!options.subgraph.empty()) {
    const SubGraph* s = def.has_subg_root() ? find_subgraph(def.subg_root(), options.subgraph) : nullptr;
    if (!s) throw Error(ErrorCode::kNotFound, source + ": no subgraph named '" + options.subgraph + "'");
    only.insert(s->op_name().begin(), s->op_name().end());
    if (only.empty()) throw Error(ErrorCode::kInvalidModel, source + ": subgraph '" + options.subgraph + "' has no ops");
    // Boundary inputs in the order asked for.
    for (const auto& name : options.inputs)
      if (ops.count(name) && !only.count(name)) boundary_input(*ops.at(name));
  }
  auto wanted = [&](const OPNode& n) { return only.empty() || only.count(n.op_name()); };
  // Custom ops are named up front: no other error should hide them.
  std::string custom;
  for (const auto& n : def.op_node())
    if (wanted(n) && !find_converter(n.op_type()) && !is_compiled_op(n.op_type()) &&
        !find_custom_op(n.op_type()))
      custom += (custom.empty() ? "" : ", ") + std::string("'") + n.op_name() + "' (" + n.op_type() + ")";
  if (!custom.empty())
    throw Error(ErrorCode::kUnsupported,
                source + ": custom or unknown op(s) " + custom +
                    " have no implementation in dpurun's CPU reference; register one or run the "
                    "model where its custom op library is installed");
  // XIR stores ops in topological order; an arg naming a later op is reported as missing.
  for (const auto& n : def.op_node()) {
    if (n.op_name().empty() || n.op_type().empty())
      throw Error(ErrorCode::kInvalidModel, source + ": an op has no name or type");
    if (wanted(n)) lower(n);
  }
  std::unordered_map<std::string, bool> consumed;
  for (const auto& n : def.op_node())
    for (const auto& a : n.args())
      for (const auto& o : a.arg_ops()) consumed[o] = true;
  if (!options.outputs.empty()) {
    for (const auto& o : options.outputs) {
      auto it = values.find(o);
      // The compiler renames an output `o` to the fix2float it adds: `o_fix_`.
      if (it == values.end()) it = values.find(o + "_fix_");
      if (it == values.end()) throw Error(ErrorCode::kNotFound, source + ": no op named '" + o + "'");
      if (g.value(it->second).is_constant())
        throw Error(ErrorCode::kInvalidArgument, source + ": '" + o + "' is a constant (weights), not a tensor the model computes");
      g.outputs.push_back(it->second);
    }
  } else {
    for (const auto& n : def.op_node()) {
      auto it = values.find(n.op_name());
      if (!consumed.count(n.op_name()) && it != values.end() && !g.value(it->second).is_constant())
        g.outputs.push_back(it->second);
    }
    if (!only.empty()) {  // a subgraph's outputs: its ops that others read, or none reads
      g.outputs.clear();
      for (const auto& n : def.op_node()) {
        if (!only.count(n.op_name()) || !values.count(n.op_name())) continue;
        bool read_outside = !consumed.count(n.op_name());
        for (const auto& m : def.op_node())
          if (!only.count(m.op_name()))
            for (const auto& a : m.args())
              for (const auto& o : a.arg_ops()) read_outside |= o == n.op_name();
        ValueId v = values.at(n.op_name());
        if (read_outside && !g.value(v).is_constant()) g.outputs.push_back(v);
      }
    }
  }
  if (g.inputs.empty()) throw Error(ErrorCode::kInvalidModel, source + ": the graph has no data op (input)");
  if (g.outputs.empty()) throw Error(ErrorCode::kInvalidModel, source + ": the graph computes nothing");
  g.finalize();
  return std::move(g);
}


bool parse_xmodel(const std::string& bytes, Graph& def) {
  return !bytes.empty() && def.ParseFromString(bytes) && def.op_node_size() > 0;
}

graph::Graph load_xmodel(const Graph& def, const std::string& source, const loaders::LoadOptions& options) {
  return Lowering(def, source, options).run();
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

}  // namespace dpurun::loaders::xir

// The lowering of one TensorFlow GraphDef into dpurun's graph: tensors known at load time
// (weights, shapes) beside run-time values, and the helpers the op converters (ops/) share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dpurun/error.h"
#include "graph/graph.h"
#include "graph_def.pb.h"
#include "loaders/loader.h"

namespace dpurun::loaders::tf {

using graph::Graph;
using graph::Node;
using graph::OpType;
using graph::ValueId;

// A TensorFlow tensor during lowering: computed at run time (a graph value), known at load time
// (weights, shapes, axes; integers use -1 for the open batch dimension), or dead (the untaken
// branch of a Switch).
struct Known {
  dpurun::DataType type =
      dpurun::DataType::kFloat32;  // kFloat32 or kInt64 (all integer types) or bool as int64
  Shape shape;
  std::vector<float> f;
  std::vector<std::int64_t> i;
  std::optional<graph::FixInfo> fix;  // weights after a FixNeuron: values on this fix grid
  std::int64_t size() const { return element_count(shape); }
};

struct Entry {
  enum Kind { kRuntime, kKnown, kDead } kind = kRuntime;
  ValueId value = graph::kNone;
  std::shared_ptr<Known> known;
};

struct TensorRef {
  std::string node;
  int index = 0;
};

TensorRef parse_ref(const std::string& s);
std::string key(const TensorRef& r);
// NumPy broadcasting of two shapes; ok is false when they do not broadcast.
Shape broadcast(const Shape& a, const Shape& b, bool& ok);

class Lowering {
 public:
  Lowering(const GraphDef& def, std::string source, const loaders::LoadOptions& options)
      : def(def), source(std::move(source)), options(options) {}

  Graph run();

  [[noreturn]] void fail(const NodeDef& n, ErrorCode code, const std::string& what) const {
    throw Error(code, source + ": node '" + n.name() + "' (" + n.op() + "): " + what);
  }

  const AttrValue* attr(const NodeDef& n, const std::string& name) const {
    auto it = n.attr().find(name);
    return it == n.attr().end() ? nullptr : &it->second;
  }
  std::string attr_s(const NodeDef& n, const std::string& name, std::string dflt = "") const {
    auto* a = attr(n, name);
    return a && a->value_case() == AttrValue::kS ? a->s() : dflt;
  }
  std::int64_t attr_i(const NodeDef& n, const std::string& name, std::int64_t dflt) const {
    auto* a = attr(n, name);
    return a && a->value_case() == AttrValue::kI ? a->i() : dflt;
  }
  float attr_f(const NodeDef& n, const std::string& name, float dflt) const {
    auto* a = attr(n, name);
    return a && a->value_case() == AttrValue::kF ? a->f() : dflt;
  }
  bool attr_b(const NodeDef& n, const std::string& name, bool dflt) const {
    auto* a = attr(n, name);
    return a && a->value_case() == AttrValue::kB ? a->b() : dflt;
  }
  std::vector<std::int64_t> attr_ints(const NodeDef& n, const std::string& name) const {
    auto* a = attr(n, name);
    if (!a || a->value_case() != AttrValue::kList) return {};
    return {a->list().i().begin(), a->list().i().end()};
  }

  std::vector<TensorRef> data_inputs(const NodeDef& n) const {
    std::vector<TensorRef> refs;
    for (const auto& in : n.input())
      if (!in.empty() && in[0] != '^') refs.push_back(parse_ref(in));
    return refs;
  }

  Entry& input(const NodeDef& n, std::size_t i) {
    auto refs = data_inputs(n);
    if (i >= refs.size()) fail(n, ErrorCode::kInvalidModel, "has too few inputs");
    auto it = entries.find(key(refs[i]));
    if (it == entries.end())
      fail(n, ErrorCode::kInvalidModel, "input '" + key(refs[i]) + "' is not produced by any node");
    return it->second;
  }
  const Known& known_input(const NodeDef& n, std::size_t i, const char* what) {
    Entry& e = input(n, i);
    if (e.kind != Entry::kKnown)
      fail(n, ErrorCode::kUnsupported,
           std::string(what) + " must be a constant in a frozen graph (freeze the model first)");
    return *e.known;
  }
  ValueId runtime_input(const NodeDef& n, std::size_t i) {
    Entry& e = input(n, i);
    if (e.kind == Entry::kRuntime) return e.value;
    if (e.kind == Entry::kKnown)
      return materialize(*e.known, n.name() + "/const" + std::to_string(i));
    fail(n, ErrorCode::kInternal, "reads a dead tensor");
  }
  ValueId materialize(const Known& k, const std::string& name) {
    if (k.type != dpurun::DataType::kFloat32)
      throw Error(ErrorCode::kUnsupported,
                  source + ": integer tensor '" + name + "' is used as data; only float runs");
    ValueId v = g.add_constant(name, k.shape, k.f);
    g.value(v).fix = k.fix;
    return v;
  }

  void set_runtime(const NodeDef& n, ValueId v) {
    entries[n.name() + ":0"] = Entry{Entry::kRuntime, v, nullptr};
  }
  void set_known(const NodeDef& n, Known k, int index = 0) {
    entries[n.name() + ":" + std::to_string(index)] =
        Entry{Entry::kKnown, graph::kNone, std::make_shared<Known>(std::move(k))};
  }
  void set_dead(const NodeDef& n, int index) {
    entries[n.name() + ":" + std::to_string(index)] = Entry{Entry::kDead, graph::kNone, nullptr};
  }

  ValueId add_node(const NodeDef& n, OpType op, graph::OpParams params, std::vector<ValueId> inputs,
                   Shape out_shape) {
    ValueId out = g.add_value(n.name(), dpurun::DataType::kFloat32, std::move(out_shape));
    Node node;
    node.name = n.name();
    node.source_op = n.op();
    node.op = op;
    node.params = std::move(params);
    node.inputs = std::move(inputs);
    node.outputs = {out};
    g.add_node(std::move(node));
    set_runtime(n, out);
    return out;
  }

  const Shape& shape_of(ValueId v) const { return g.value(v).shape; }

  // Input i as integers (a known shape, axes); fails unless it is a known integer tensor.
  const std::vector<std::int64_t>& known_ints(const NodeDef& n, std::size_t i) {
    const Known& k = known_input(n, i, "this input");
    if (k.type != dpurun::DataType::kInt64)
      fail(n, ErrorCode::kUnsupported, "expects an integer input");
    return k.i;
  }

  Known tensor_to_known(const NodeDef& n, const TensorProto& t);
  // Output size and padding of a window along one axis: SAME, VALID, or EXPLICIT (before/after
  // already set). Fails naming the node when the window does not fit.
  void same_padding(const NodeDef& n, const std::string& padding, std::int64_t in, int k, int s,
                    int d, int& before, int& after, std::int64_t& out);
  Shape placeholder_shape(const NodeDef& n);
  // A reshape that keeps the batch open (the target's leading dimension is the batch).
  void lower_reshape(const NodeDef& n, Shape target);
  // Evaluates an op whose inputs are all known, by the folding table (ops/fold.cpp).
  void fold_known(const NodeDef& n);

 private:
  std::vector<const NodeDef*> order();
  void lower(const NodeDef& n);

 public:
  const GraphDef& def;
  std::string source;
  const loaders::LoadOptions& options;
  Graph g;
  std::unordered_map<std::string, const NodeDef*> by_name;
  std::unordered_map<std::string, Entry> entries;
  std::vector<std::string> input_names;
};

}  // namespace dpurun::loaders::tf

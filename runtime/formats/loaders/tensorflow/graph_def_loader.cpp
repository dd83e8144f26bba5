#include "loaders/tensorflow/graph_def_loader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "dpurun/error.h"
#include "graph/lower_fix.h"
#include "graph_def.pb.h"

namespace dpurun::tf {
namespace {

using graph::Graph;
using graph::Node;
using graph::OpType;
using graph::ValueId;

// A TensorFlow tensor during lowering: computed at run time (a graph value), known at load time
// (weights, shapes, axes; integers use -1 for the open batch dimension), or dead (the untaken
// branch of a Switch).
struct Known {
  dpurun::DataType type = dpurun::DataType::kFloat32;  // kFloat32 or kInt64 (all integer types) or bool as int64
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

TensorRef parse_ref(const std::string& s) {
  TensorRef r;
  auto colon = s.rfind(':');
  if (colon != std::string::npos && colon + 1 < s.size() &&
      std::all_of(s.begin() + static_cast<long>(colon) + 1, s.end(), ::isdigit)) {
    r.node = s.substr(0, colon);
    r.index = std::stoi(s.substr(colon + 1));
  } else {
    r.node = s;
  }
  return r;
}

std::string key(const TensorRef& r) { return r.node + ":" + std::to_string(r.index); }

class Lowering {
 public:
  Lowering(const GraphDef& def, std::string source, const loaders::LoadOptions& options)
      : def_(def), source_(std::move(source)), options_(options) {}

  Graph run();

 private:
  [[noreturn]] void fail(const NodeDef& n, ErrorCode code, const std::string& what) const {
    throw Error(code, source_ + ": node '" + n.name() + "' (" + n.op() + "): " + what);
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
    auto it = entries_.find(key(refs[i]));
    if (it == entries_.end())
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
    if (e.kind == Entry::kKnown) return materialize(*e.known, n.name() + "/const" + std::to_string(i));
    fail(n, ErrorCode::kInternal, "reads a dead tensor");
  }
  ValueId materialize(const Known& k, const std::string& name) {
    if (k.type != dpurun::DataType::kFloat32)
      throw Error(ErrorCode::kUnsupported,
                  source_ + ": integer tensor '" + name + "' is used as data; only float runs");
    ValueId v = g_.add_constant(name, k.shape, k.f);
    g_.value(v).fix = k.fix;
    return v;
  }

  void set_runtime(const NodeDef& n, ValueId v) {
    entries_[n.name() + ":0"] = Entry{Entry::kRuntime, v, nullptr};
  }
  void set_known(const NodeDef& n, Known k, int index = 0) {
    entries_[n.name() + ":" + std::to_string(index)] =
        Entry{Entry::kKnown, graph::kNone, std::make_shared<Known>(std::move(k))};
  }
  void set_dead(const NodeDef& n, int index) {
    entries_[n.name() + ":" + std::to_string(index)] = Entry{Entry::kDead, graph::kNone, nullptr};
  }

  ValueId add_node(const NodeDef& n, OpType op, graph::OpParams params,
                   std::vector<ValueId> inputs, Shape out_shape) {
    ValueId out = g_.add_value(n.name(), dpurun::DataType::kFloat32, std::move(out_shape));
    Node node;
    node.name = n.name();
    node.source_op = n.op();
    node.op = op;
    node.params = std::move(params);
    node.inputs = std::move(inputs);
    node.outputs = {out};
    g_.add_node(std::move(node));
    set_runtime(n, out);
    return out;
  }

  const Shape& shape_of(ValueId v) const { return g_.value(v).shape; }

  Known tensor_to_known(const NodeDef& n, const TensorProto& t);
  std::vector<const NodeDef*> order();
  void lower(const NodeDef& n);
  void lower_conv(const NodeDef& n, bool depthwise);
  void lower_pool(const NodeDef& n);
  void lower_binary(const NodeDef& n, graph::BinaryKind kind);
  void lower_reshape(const NodeDef& n, Shape target);
  void fold_known(const NodeDef& n);
  void same_padding(const NodeDef& n, const std::string& padding, std::int64_t in, int k, int s,
                    int d, int& before, int& after, std::int64_t& out);
  Shape placeholder_shape(const NodeDef& n);
  void lower_fix_neuron(const NodeDef& n);

  const GraphDef& def_;
  std::string source_;
  const loaders::LoadOptions& options_;
  Graph g_;
  std::unordered_map<std::string, const NodeDef*> by_name_;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<std::string> input_names_;
};

Known Lowering::tensor_to_known(const NodeDef& n, const TensorProto& t) {
  Known k;
  for (const auto& d : t.tensor_shape().dim()) {
    if (d.size() < 0) fail(n, ErrorCode::kInvalidModel, "constant has a negative dimension");
    k.shape.push_back(d.size());
  }
  std::int64_t count = 1;
  for (auto d : k.shape) {
    count *= d;
    if (count > (std::int64_t{1} << 31))
      fail(n, ErrorCode::kInvalidModel, "constant of shape " + to_string(k.shape) + " is too large");
  }
  const std::string& raw = t.tensor_content();
  auto fill = [&](auto& dst, const auto& vals, auto convert) {
    dst.resize(static_cast<std::size_t>(count));
    if (vals.size() == 0) {
      std::fill(dst.begin(), dst.end(), 0);
    } else if (vals.size() == count) {
      for (int j = 0; j < count; ++j) dst[static_cast<std::size_t>(j)] = convert(vals[j]);
    } else if (vals.size() == 1 || vals.size() < count) {  // TF repeats the last value
      for (std::int64_t j = 0; j < count; ++j)
        dst[static_cast<std::size_t>(j)] =
            convert(vals[static_cast<int>(std::min<std::int64_t>(j, vals.size() - 1))]);
    } else {
      fail(n, ErrorCode::kInvalidModel, "constant holds more values than its shape");
    }
  };
  auto from_raw = [&](auto& dst, auto sample) {
    using T = decltype(sample);
    if (raw.size() != static_cast<std::size_t>(count) * sizeof(T))
      fail(n, ErrorCode::kInvalidModel,
           "constant of shape " + to_string(k.shape) + " holds " + std::to_string(raw.size()) +
               " bytes, expected " + std::to_string(count * static_cast<std::int64_t>(sizeof(T))));
    dst.resize(static_cast<std::size_t>(count));
    for (std::int64_t j = 0; j < count; ++j) {
      T v;
      std::memcpy(&v, raw.data() + j * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
      dst[static_cast<std::size_t>(j)] = static_cast<std::remove_reference_t<decltype(dst[0])>>(v);
    }
  };
  switch (t.dtype()) {
    case DT_FLOAT:
      k.type = dpurun::DataType::kFloat32;
      if (!raw.empty()) from_raw(k.f, float{});
      else fill(k.f, t.float_val(), [](float v) { return v; });
      break;
    case DT_DOUBLE:
      k.type = dpurun::DataType::kFloat32;
      if (!raw.empty()) from_raw(k.f, double{});
      else fill(k.f, t.double_val(), [](double v) { return static_cast<float>(v); });
      break;
    case DT_INT32:
    case DT_INT16:
    case DT_INT8:
    case DT_UINT8:
      k.type = dpurun::DataType::kInt64;
      if (!raw.empty()) {
        if (t.dtype() == DT_INT32) from_raw(k.i, std::int32_t{});
        else if (t.dtype() == DT_INT16) from_raw(k.i, std::int16_t{});
        else if (t.dtype() == DT_INT8) from_raw(k.i, std::int8_t{});
        else from_raw(k.i, std::uint8_t{});
      } else {
        fill(k.i, t.int_val(), [](std::int32_t v) { return std::int64_t{v}; });
      }
      break;
    case DT_INT64:
      k.type = dpurun::DataType::kInt64;
      if (!raw.empty()) from_raw(k.i, std::int64_t{});
      else fill(k.i, t.int64_val(), [](std::int64_t v) { return v; });
      break;
    case DT_BOOL:
      k.type = dpurun::DataType::kInt64;
      if (!raw.empty()) from_raw(k.i, std::uint8_t{});
      else fill(k.i, t.bool_val(), [](bool v) { return std::int64_t{v}; });
      break;
    default:
      fail(n, ErrorCode::kUnsupported,
           "constant of data type " + std::string(DataType_Name(t.dtype())) + " is not supported");
  }
  return k;
}

std::vector<const NodeDef*> Lowering::order() {
  for (const auto& n : def_.node()) {
    if (n.name().empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": a node has no name");
    if (n.op().empty())
      throw Error(ErrorCode::kInvalidModel, source_ + ": node '" + n.name() + "' has no op");
    if (!by_name_.emplace(n.name(), &n).second)
      throw Error(ErrorCode::kInvalidModel, source_ + ": two nodes are named '" + n.name() + "'");
  }
  // Roots: the requested outputs, or every node nothing consumes.
  std::vector<std::string> roots;
  if (!options_.outputs.empty()) {
    for (const auto& o : options_.outputs) {
      auto r = parse_ref(o);
      if (!by_name_.count(r.node))
        throw Error(ErrorCode::kNotFound, source_ + ": output node '" + r.node +
                                              "' is not in the graph (check the manifest)");
      roots.push_back(r.node);
    }
  } else {
    std::unordered_map<std::string, bool> consumed;
    for (const auto& n : def_.node())
      for (const auto& in : n.input())
        consumed[parse_ref(in[0] == '^' ? in.substr(1) : in).node] = true;
    for (const auto& n : def_.node())
      if (!consumed.count(n.name()) && n.op() != "NoOp" && n.op() != "Const" &&
          n.op() != "Placeholder")
        roots.push_back(n.name());
  }
  if (roots.empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": the graph has no output");

  std::vector<const NodeDef*> sorted;
  std::unordered_map<const NodeDef*, int> mark;  // 1 open, 2 done
  for (const auto& root : roots) {
    const NodeDef* r = by_name_.at(root);
    if (mark[r] == 2) continue;
    std::vector<std::pair<const NodeDef*, int>> stack{{r, 0}};
    mark[r] = 1;
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next < n->input_size()) {
        std::string in = n->input(next++);
        if (in.empty()) continue;
        if (in[0] == '^') in = in.substr(1);
        auto it = by_name_.find(parse_ref(in).node);
        if (it == by_name_.end())
          fail(*n, ErrorCode::kInvalidModel, "input '" + in + "' names no node in the graph");
        const NodeDef* p = it->second;
        if (mark[p] == 1 && p->op() != "NextIteration")
          fail(*p, ErrorCode::kInvalidModel, "the graph has a cycle through this node");
        if (mark[p] == 0) {
          mark[p] = 1;
          stack.emplace_back(p, 0);
        }
      } else {
        mark[n] = 2;
        sorted.push_back(n);
        stack.pop_back();
      }
    }
  }
  return sorted;
}

Shape Lowering::placeholder_shape(const NodeDef& n) {
  Shape shape;
  const AttrValue* a = attr(n, "shape");
  bool known = a && a->value_case() == AttrValue::kShape && !a->shape().unknown_rank();
  if (known)
    for (const auto& d : a->shape().dim()) shape.push_back(d.size() < 0 ? -1 : d.size());
  if (!options_.input_shape.empty()) {
    if (known && shape.size() != options_.input_shape.size())
      fail(n, ErrorCode::kInvalidArgument,
           "the manifest's input shape " + to_string(options_.input_shape) +
               " does not match the placeholder's " + to_string(shape));
    shape = options_.input_shape;
  }
  if (shape.empty())
    fail(n, ErrorCode::kUnsupported,
         "the input has no static shape; give \"input_shape\" in the model's manifest");
  for (std::size_t d = 1; d < shape.size(); ++d)
    if (shape[d] < 0)
      fail(n, ErrorCode::kUnsupported,
           "input shape " + to_string(shape) +
               " is open in a dimension other than the batch; give \"input_shape\" in the manifest");
  shape[0] = -1;  // the batch is chosen when a plan is made
  return shape;
}

void Lowering::same_padding(const NodeDef& n, const std::string& padding, std::int64_t in, int k,
                            int s, int d, int& before, int& after, std::int64_t& out) {
  std::int64_t ek = static_cast<std::int64_t>(d) * (k - 1) + 1;
  if (padding == "SAME") {
    out = (in + s - 1) / s;
    std::int64_t total = std::max<std::int64_t>(0, (out - 1) * s + ek - in);
    before = static_cast<int>(total / 2);
    after = static_cast<int>(total - total / 2);
  } else if (padding == "VALID") {
    out = (in - ek) / s + 1;
    before = after = 0;
  } else {
    out = (in + before + after - ek) / s + 1;  // EXPLICIT: before/after already set
  }
  if (out <= 0)
    fail(n, ErrorCode::kInvalidModel,
         "window of " + std::to_string(ek) + " does not fit an input of " + std::to_string(in));
}

void Lowering::lower_conv(const NodeDef& n, bool depthwise) {
  if (attr_s(n, "data_format", "NHWC") != "NHWC")
    fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
  ValueId x = runtime_input(n, 0);
  const Known& w = known_input(n, 1, "the filter");
  const Shape xs = shape_of(x);
  if (xs.size() != 4) fail(n, ErrorCode::kInvalidModel, "input is not 4-D: " + to_string(xs));
  if (w.shape.size() != 4 || w.type != dpurun::DataType::kFloat32)
    fail(n, ErrorCode::kInvalidModel, "filter is not a 4-D float tensor");
  if (w.shape[2] != xs[3])
    fail(n, ErrorCode::kInvalidModel,
         "filter " + to_string(w.shape) + " does not match input channels " + to_string(xs));
  auto strides = attr_ints(n, "strides");
  auto dil = attr_ints(n, "dilations");
  if (strides.empty()) strides = {1, 1, 1, 1};
  if (dil.empty()) dil = {1, 1, 1, 1};
  if (strides.size() != 4 || dil.size() != 4 || strides[0] != 1 || strides[3] != 1 ||
      dil[0] != 1 || dil[3] != 1 || strides[1] < 1 || strides[2] < 1 || dil[1] < 1 || dil[2] < 1)
    fail(n, ErrorCode::kUnsupported, "strides/dilations other than over H and W are not supported");
  graph::ConvParams p;
  p.stride_h = static_cast<int>(strides[1]);
  p.stride_w = static_cast<int>(strides[2]);
  p.dilation_h = static_cast<int>(dil[1]);
  p.dilation_w = static_cast<int>(dil[2]);
  std::string padding = attr_s(n, "padding", "VALID");
  if (padding == "EXPLICIT") {
    auto e = attr_ints(n, "explicit_paddings");
    if (e.size() != 8) fail(n, ErrorCode::kInvalidModel, "explicit_paddings must have 8 values");
    p.pad_top = static_cast<int>(e[2]);
    p.pad_bottom = static_cast<int>(e[3]);
    p.pad_left = static_cast<int>(e[4]);
    p.pad_right = static_cast<int>(e[5]);
    loaders::check_window(source_ + ": node '" + n.name() + "'", xs[1], xs[2], w.shape[0],
                          w.shape[1], strides[1], strides[2], dil[1], dil[2], e[2], e[3], e[4],
                          e[5]);
  } else if (padding != "SAME" && padding != "VALID") {
    fail(n, ErrorCode::kUnsupported, "padding '" + padding + "' is not supported");
  }
  std::int64_t oh, ow;
  same_padding(n, padding, xs[1], static_cast<int>(w.shape[0]), p.stride_h, p.dilation_h,
               p.pad_top, p.pad_bottom, oh);
  same_padding(n, padding, xs[2], static_cast<int>(w.shape[1]), p.stride_w, p.dilation_w,
               p.pad_left, p.pad_right, ow);
  ValueId wv = materialize(w, n.name() + "/filter");
  std::int64_t oc = depthwise ? w.shape[2] * w.shape[3] : w.shape[3];
  add_node(n, depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D, p, {x, wv},
           {xs[0], oh, ow, oc});
}

void Lowering::lower_pool(const NodeDef& n) {
  if (attr_s(n, "data_format", "NHWC") != "NHWC")
    fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
  ValueId x = runtime_input(n, 0);
  const Shape xs = shape_of(x);
  if (xs.size() != 4) fail(n, ErrorCode::kInvalidModel, "input is not 4-D: " + to_string(xs));
  auto k = attr_ints(n, "ksize");
  auto s = attr_ints(n, "strides");
  if (k.size() != 4 || s.size() != 4 || k[0] != 1 || k[3] != 1 || s[0] != 1 || s[3] != 1 ||
      k[1] < 1 || k[2] < 1 || s[1] < 1 || s[2] < 1)
    fail(n, ErrorCode::kUnsupported, "pooling windows other than over H and W are not supported");
  graph::PoolParams p;
  p.kind = n.op() == "MaxPool" ? graph::PoolKind::kMax : graph::PoolKind::kAverage;
  p.kernel_h = static_cast<int>(k[1]);
  p.kernel_w = static_cast<int>(k[2]);
  p.stride_h = static_cast<int>(s[1]);
  p.stride_w = static_cast<int>(s[2]);
  std::string padding = attr_s(n, "padding", "VALID");
  if (padding != "SAME" && padding != "VALID")
    fail(n, ErrorCode::kUnsupported, "padding '" + padding + "' is not supported");
  std::int64_t oh, ow;
  same_padding(n, padding, xs[1], p.kernel_h, p.stride_h, 1, p.pad_top, p.pad_bottom, oh);
  same_padding(n, padding, xs[2], p.kernel_w, p.stride_w, 1, p.pad_left, p.pad_right, ow);
  add_node(n, OpType::kPool, p, {x}, {xs[0], oh, ow, xs[3]});
}

Shape broadcast(const Shape& a, const Shape& b, bool& ok) {
  ok = true;
  Shape out(std::max(a.size(), b.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    std::int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da == db || db == 1) out[i] = da;
    else if (da == 1) out[i] = db;
    else ok = false;
  }
  return out;
}

void Lowering::lower_binary(const NodeDef& n, graph::BinaryKind kind) {
  Entry& a = input(n, 0);
  Entry& b = input(n, 1);
  if (a.kind == Entry::kKnown && b.kind == Entry::kKnown) return fold_known(n);
  ValueId va = runtime_input(n, 0);
  ValueId vb = runtime_input(n, 1);
  bool ok;
  Shape out = broadcast(shape_of(va), shape_of(vb), ok);
  if (!ok)
    fail(n, ErrorCode::kInvalidModel,
         "shapes " + to_string(shape_of(va)) + " and " + to_string(shape_of(vb)) +
             " do not broadcast");
  add_node(n, OpType::kBinary, graph::BinaryParams{kind, {}}, {va, vb}, out);
}

void Lowering::lower_reshape(const NodeDef& n, Shape target) {
  ValueId x = runtime_input(n, 0);
  const Shape xs = shape_of(x);
  std::int64_t per_sample = element_count(Shape(xs.begin() + 1, xs.end()));
  // The batch stays open: the leading dimension (-1, or a literal such as 1 in graphs exported
  // at batch 1) is taken as the batch when the rest holds exactly one sample.
  if (target.empty() || xs.empty() || xs[0] != -1)
    fail(n, ErrorCode::kUnsupported, "reshape of " + to_string(xs) + " to " + to_string(target) +
                                         " does not keep the batch dimension");
  Shape rest(target.begin() + 1, target.end());
  int infer = -1;
  std::int64_t known = 1;
  for (std::size_t d = 0; d < rest.size(); ++d) {
    if (rest[d] == -1) {
      if (infer >= 0) fail(n, ErrorCode::kInvalidModel, "shape has two -1 dimensions");
      infer = static_cast<int>(d);
    } else {
      known *= rest[d];
    }
  }
  if (infer >= 0) {
    if (known == 0 || per_sample % known != 0)
      fail(n, ErrorCode::kInvalidModel, "cannot reshape " + to_string(xs) + " to " + to_string(target));
    rest[static_cast<std::size_t>(infer)] = per_sample / known;
    known = per_sample;
  }
  if (known != per_sample)
    fail(n, ErrorCode::kInvalidModel, "cannot reshape " + to_string(xs) + " (" +
                                          std::to_string(per_sample) + " values per image) to " +
                                          to_string(target));
  Shape out{-1};
  out.insert(out.end(), rest.begin(), rest.end());
  add_node(n, OpType::kReshape, std::monostate{}, {x}, out);
}

// Evaluates an op whose inputs are all known (shape arithmetic, folded constants).
void Lowering::fold_known(const NodeDef& n) {
  const std::string& op = n.op();
  auto ints = [&](std::size_t i) -> const std::vector<std::int64_t>& {
    const Known& k = known_input(n, i, "this input");
    if (k.type != dpurun::DataType::kInt64) fail(n, ErrorCode::kUnsupported, "expects an integer input");
    return k.i;
  };
  if (op == "Add" || op == "AddV2" || op == "Sub" || op == "Mul" || op == "RealDiv" ||
      op == "Maximum" || op == "Minimum") {
    const Known& a = known_input(n, 0, "a");
    const Known& b = known_input(n, 1, "b");
    bool ok;
    Known r;
    r.shape = broadcast(a.shape, b.shape, ok);
    if (!ok || a.type != b.type) fail(n, ErrorCode::kInvalidModel, "operands do not broadcast");
    r.type = a.type;
    auto idx = [&](const Known& k, std::int64_t flat) {
      // Index into k for output position `flat` under broadcasting.
      std::int64_t off = 0, stride = 1, rem = flat;
      std::size_t lead = r.shape.size() - k.shape.size();
      std::vector<std::int64_t> pos(r.shape.size());
      for (std::size_t d = r.shape.size(); d-- > 0;) {
        pos[d] = rem % r.shape[d];
        rem /= r.shape[d];
      }
      for (std::size_t d = k.shape.size(); d-- > 0;) {
        std::int64_t p = k.shape[d] == 1 ? 0 : pos[d + lead];
        off += p * stride;
        stride *= k.shape[d];
      }
      return static_cast<std::size_t>(off);
    };
    auto apply = [&](auto x, auto y) -> decltype(x) {
      if (op == "Add" || op == "AddV2") return x + y;
      if (op == "Sub") return x - y;
      if (op == "Mul") return x * y;
      if (op == "Maximum") return std::max(x, y);
      if (op == "Minimum") return std::min(x, y);
      return y == 0 ? 0 : x / y;
    };
    std::int64_t count = r.size();
    for (std::int64_t j = 0; j < count; ++j) {
      if (r.type == dpurun::DataType::kFloat32) r.f.push_back(apply(a.f[idx(a, j)], b.f[idx(b, j)]));
      else r.i.push_back(apply(a.i[idx(a, j)], b.i[idx(b, j)]));
    }
    return set_known(n, std::move(r));
  }
  if (op == "StridedSlice") {
    const Known& x = known_input(n, 0, "the sliced tensor");
    const auto& begin = ints(1);
    const auto& end = ints(2);
    const auto& stride = ints(3);
    if (x.shape.size() != 1 || begin.size() != 1 || end.size() != 1 || stride.size() != 1 ||
        stride[0] == 0 || attr_i(n, "ellipsis_mask", 0) || attr_i(n, "new_axis_mask", 0))
      fail(n, ErrorCode::kUnsupported, "only 1-D strided slices of shapes are supported");
    std::int64_t len = x.shape[0];
    auto clamp_index = [&](std::int64_t v) { return v < 0 ? v + len : v; };
    std::int64_t b = attr_i(n, "begin_mask", 0) & 1 ? (stride[0] > 0 ? 0 : len - 1) : clamp_index(begin[0]);
    std::int64_t e = attr_i(n, "end_mask", 0) & 1 ? (stride[0] > 0 ? len : -1) : clamp_index(end[0]);
    bool shrink = attr_i(n, "shrink_axis_mask", 0) & 1;
    if (shrink) e = b + 1;
    Known r;
    r.type = x.type;
    for (std::int64_t j = b; stride[0] > 0 ? j < e : j > e; j += stride[0]) {
      if (j < 0 || j >= len) fail(n, ErrorCode::kInvalidModel, "slice index out of range");
      if (x.type == dpurun::DataType::kInt64) r.i.push_back(x.i[static_cast<std::size_t>(j)]);
      else r.f.push_back(x.f[static_cast<std::size_t>(j)]);
    }
    std::int64_t count = static_cast<std::int64_t>(x.type == dpurun::DataType::kInt64 ? r.i.size() : r.f.size());
    if (!shrink) r.shape = {count};
    else if (count != 1) fail(n, ErrorCode::kInvalidModel, "slice is empty");
    return set_known(n, std::move(r));
  }
  if (op == "Pack") {
    Known r;
    r.type = dpurun::DataType::kInt64;
    auto refs = data_inputs(n);
    if (attr_i(n, "axis", 0) != 0) fail(n, ErrorCode::kUnsupported, "only axis 0 is supported");
    for (std::size_t j = 0; j < refs.size(); ++j) {
      const Known& k = known_input(n, j, "each packed value");
      if (!k.shape.empty()) fail(n, ErrorCode::kUnsupported, "only scalars can be packed");
      if (k.type == dpurun::DataType::kInt64) r.i.push_back(k.i[0]);
      else {
        r.type = dpurun::DataType::kFloat32;
        r.f.push_back(k.f[0]);
      }
    }
    if (r.type == dpurun::DataType::kFloat32 && !r.i.empty())
      fail(n, ErrorCode::kUnsupported, "mixed integer and float values");
    r.shape = {static_cast<std::int64_t>(refs.size())};
    return set_known(n, std::move(r));
  }
  if (op == "Prod") {
    const auto& x = ints(0);
    Known r;
    r.type = dpurun::DataType::kInt64;
    std::int64_t p = 1;
    for (auto v : x) p = (v < 0 || p < 0) ? -1 : p * v;
    r.i = {p};
    if (attr_b(n, "keep_dims", false)) r.shape = {1};
    return set_known(n, std::move(r));
  }
  if (op == "Cast") {
    Known r = known_input(n, 0, "the value");
    if (attr(n, "DstT") && attr(n, "DstT")->type() == DT_FLOAT && r.type == dpurun::DataType::kInt64) {
      r.f.assign(r.i.begin(), r.i.end());
      r.i.clear();
      r.type = dpurun::DataType::kFloat32;
    } else if (attr(n, "DstT") && attr(n, "DstT")->type() != DT_FLOAT && r.type == dpurun::DataType::kFloat32) {
      for (float v : r.f) r.i.push_back(static_cast<std::int64_t>(v));
      r.f.clear();
      r.type = dpurun::DataType::kInt64;
    }
    return set_known(n, std::move(r));
  }
  if (op == "Rsqrt" || op == "Sqrt" || op == "Neg") {
    Known r = known_input(n, 0, "the value");
    if (r.type != dpurun::DataType::kFloat32) fail(n, ErrorCode::kUnsupported, "expects a float input");
    for (float& v : r.f)
      v = op == "Rsqrt" ? 1.f / std::sqrt(v) : op == "Sqrt" ? std::sqrt(v) : -v;
    return set_known(n, std::move(r));
  }
  if (op == "Reshape") {
    Known r = known_input(n, 0, "the value");
    const auto& s = ints(1);
    std::int64_t count = r.size(), known = 1;
    int infer = -1;
    for (std::size_t d = 0; d < s.size(); ++d)
      if (s[d] < 0) infer = static_cast<int>(d);
      else known *= s[d];
    r.shape = Shape(s.begin(), s.end());
    if (infer >= 0 && known) r.shape[static_cast<std::size_t>(infer)] = count / known;
    if (element_count(r.shape) != count) fail(n, ErrorCode::kInvalidModel, "bad reshape of a constant");
    return set_known(n, std::move(r));
  }
  fail(n, ErrorCode::kUnsupported, "cannot be evaluated on constants");
}

void Lowering::lower(const NodeDef& n) {
  const std::string& op = n.op();
  auto refs = data_inputs(n);

  // Dead-branch propagation (Keras learning phase): a node with a dead input is dead, except
  // Merge, which forwards its live input.
  if (op == "Merge") {
    for (std::size_t j = 0; j < refs.size(); ++j) {
      Entry& e = input(n, j);
      if (e.kind != Entry::kDead) {
        entries_[n.name() + ":0"] = e;
        Known idx;
        idx.type = dpurun::DataType::kInt64;
        idx.i = {static_cast<std::int64_t>(j)};
        set_known(n, std::move(idx), 1);
        return;
      }
    }
    return set_dead(n, 0);
  }
  for (std::size_t j = 0; j < refs.size(); ++j)
    if (input(n, j).kind == Entry::kDead) {
      for (int k = 0; k < 4; ++k) set_dead(n, k);
      return;
    }

  if (op == "Placeholder") {
    if (attr(n, "dtype") && attr(n, "dtype")->type() == DT_BOOL) {
      // Keras's learning phase: inference means false.
      Known k;
      k.type = dpurun::DataType::kInt64;
      k.i = {0};
      return set_known(n, std::move(k));
    }
    if (attr(n, "dtype") && attr(n, "dtype")->type() != DT_FLOAT)
      fail(n, ErrorCode::kUnsupported, "only float inputs are supported");
    ValueId v = g_.add_value(n.name(), dpurun::DataType::kFloat32, placeholder_shape(n));
    g_.inputs.push_back(v);
    return set_runtime(n, v);
  }
  if (op == "PlaceholderWithDefault") {
    entries_[n.name() + ":0"] = input(n, 0);
    return;
  }
  if (op == "Const") {
    const AttrValue* v = attr(n, "value");
    if (!v || v->value_case() != AttrValue::kTensor)
      fail(n, ErrorCode::kInvalidModel, "constant has no value");
    return set_known(n, tensor_to_known(n, v->tensor()));
  }
  if (op == "Identity" || op == "StopGradient" || op == "Snapshot" || op == "PreventGradient") {
    entries_[n.name() + ":0"] = input(n, 0);
    return;
  }
  if (op == "Switch") {
    const Known& pred = known_input(n, 1, "the Switch predicate (Keras learning phase)");
    bool taken = pred.type == dpurun::DataType::kInt64 ? pred.i.at(0) != 0 : pred.f.at(0) != 0.f;
    entries_[n.name() + ":" + std::to_string(taken ? 1 : 0)] = input(n, 0);
    return set_dead(n, taken ? 0 : 1);
  }
  if (op == "Shape") {
    Entry& e = input(n, 0);
    Known k;
    k.type = dpurun::DataType::kInt64;
    const Shape& s = e.kind == Entry::kRuntime ? shape_of(e.value) : e.known->shape;
    k.i.assign(s.begin(), s.end());
    k.shape = {static_cast<std::int64_t>(s.size())};
    return set_known(n, std::move(k));
  }

  if (op == "FixNeuron") return lower_fix_neuron(n);

  // Ops on known values only are folded at load time.
  bool all_known = !refs.empty();
  for (std::size_t j = 0; j < refs.size(); ++j) all_known &= input(n, j).kind == Entry::kKnown;

  if (op == "Conv2D") return lower_conv(n, false);
  if (op == "DepthwiseConv2dNative") return lower_conv(n, true);
  if (op == "MaxPool" || op == "AvgPool") return lower_pool(n);
  if (op == "BiasAdd") {
    if (attr_s(n, "data_format", "NHWC") != "NHWC")
      fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
    ValueId x = runtime_input(n, 0);
    const Known& b = known_input(n, 1, "the bias");
    if (b.shape.size() != 1 || b.shape[0] != shape_of(x).back())
      fail(n, ErrorCode::kInvalidModel, "bias " + to_string(b.shape) + " does not match input " +
                                            to_string(shape_of(x)));
    ValueId bv = materialize(b, n.name() + "/bias");
    return void(add_node(n, OpType::kBinary, graph::BinaryParams{graph::BinaryKind::kAdd, {}}, {x, bv},
                         shape_of(x)));
  }
  if (op == "Relu" || op == "Relu6" || op == "LeakyRelu" || op == "Elu" || op == "Sigmoid" ||
      op == "Tanh") {
    ValueId x = runtime_input(n, 0);
    graph::UnaryParams p;
    p.act.kind = op == "Relu"        ? graph::Activation::kRelu
                 : op == "Relu6"     ? graph::Activation::kRelu6
                 : op == "LeakyRelu" ? graph::Activation::kLeakyRelu
                 : op == "Elu"       ? graph::Activation::kElu
                 : op == "Sigmoid"   ? graph::Activation::kSigmoid
                                     : graph::Activation::kTanh;
    p.act.alpha = attr_f(n, "alpha", 0.2f);
    return void(add_node(n, OpType::kUnary, p, {x}, shape_of(x)));
  }
  if (op == "FusedBatchNorm" || op == "FusedBatchNormV2" || op == "FusedBatchNormV3") {
    if (attr_b(n, "is_training", false))
      fail(n, ErrorCode::kUnsupported,
           "batch normalization in training mode; export the graph for inference");
    if (attr_s(n, "data_format", "NHWC") != "NHWC")
      fail(n, ErrorCode::kUnsupported, "only NHWC data_format is supported");
    ValueId x = runtime_input(n, 0);
    std::int64_t c = shape_of(x).back();
    const Known* parts[4];
    const char* names[4] = {"scale", "offset", "mean", "variance"};
    for (int j = 0; j < 4; ++j) {
      parts[j] = &known_input(n, static_cast<std::size_t>(j + 1), names[j]);
      if (parts[j]->type != dpurun::DataType::kFloat32 || parts[j]->size() != c)
        fail(n, ErrorCode::kInvalidModel, std::string(names[j]) + " does not have " +
                                              std::to_string(c) + " values");
    }
    float eps = attr_f(n, "epsilon", 1e-3f);
    std::vector<float> scale(static_cast<std::size_t>(c)), shift(static_cast<std::size_t>(c));
    for (std::size_t j = 0; j < scale.size(); ++j) {
      scale[j] = parts[0]->f[j] / std::sqrt(parts[3]->f[j] + eps);
      shift[j] = parts[1]->f[j] - parts[2]->f[j] * scale[j];
    }
    ValueId sv = g_.add_constant(n.name() + "/scale", {c}, scale);
    ValueId tv = g_.add_constant(n.name() + "/shift", {c}, shift);
    return void(add_node(n, OpType::kScaleShift, graph::ScaleShiftParams{}, {x, sv, tv}, shape_of(x)));
  }
  if (all_known && op != "Softmax" && op != "Relu") return fold_known(n);
  if (op == "Add" || op == "AddV2") return lower_binary(n, graph::BinaryKind::kAdd);
  if (op == "Sub") return lower_binary(n, graph::BinaryKind::kSub);
  if (op == "Mul") return lower_binary(n, graph::BinaryKind::kMul);
  if (op == "RealDiv") return lower_binary(n, graph::BinaryKind::kDiv);
  if (op == "ConcatV2") {
    std::size_t count = refs.size() - 1;
    const Known& axis_k = known_input(n, count, "the axis");
    std::vector<ValueId> ins;
    for (std::size_t j = 0; j < count; ++j) ins.push_back(runtime_input(n, j));
    Shape out = shape_of(ins[0]);
    std::int64_t axis = axis_k.i.at(0);
    if (axis < 0) axis += static_cast<std::int64_t>(out.size());
    if (axis <= 0 || axis >= static_cast<std::int64_t>(out.size()))
      fail(n, ErrorCode::kUnsupported, "concatenation along axis " + std::to_string(axis));
    for (std::size_t j = 1; j < ins.size(); ++j) {
      const Shape s = shape_of(ins[j]);
      bool ok = s.size() == out.size();
      for (std::size_t d = 0; ok && d < s.size(); ++d)
        ok = static_cast<std::int64_t>(d) == axis || s[d] == out[d];
      if (!ok)
        fail(n, ErrorCode::kInvalidModel, "inputs " + to_string(out) + " and " + to_string(s) +
                                              " cannot be concatenated");
      out[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
    }
    return void(add_node(n, OpType::kConcat, graph::ConcatParams{static_cast<int>(axis)}, ins, out));
  }
  if (op == "Pad" || op == "PadV2") {
    ValueId x = runtime_input(n, 0);
    const Known& pk = known_input(n, 1, "the paddings");
    Shape xs = shape_of(x);
    if (pk.shape != Shape{static_cast<std::int64_t>(xs.size()), 2})
      fail(n, ErrorCode::kInvalidModel, "paddings " + to_string(pk.shape) + " do not fit input " +
                                            to_string(xs));
    graph::PadParams p;
    if (op == "PadV2") p.value = known_input(n, 2, "the pad value").f.at(0);
    Shape out = xs;
    for (std::size_t d = 0; d < xs.size(); ++d) {
      std::int64_t b = pk.i[2 * d], a = pk.i[2 * d + 1];
      if (b < 0 || a < 0) fail(n, ErrorCode::kUnsupported, "negative padding");
      if (d == 0 && (b || a)) fail(n, ErrorCode::kUnsupported, "padding of the batch dimension");
      p.pads.push_back({b, a});
      if (d > 0) out[d] += b + a;
    }
    return void(add_node(n, OpType::kPad, p, {x}, out));
  }
  if (op == "Mean") {
    ValueId x = runtime_input(n, 0);
    const Known& ak = known_input(n, 1, "the axes");
    Shape xs = shape_of(x);
    graph::MeanParams p;
    p.keep_dims = attr_b(n, "keep_dims", false);
    for (auto a : ak.i) {
      if (a < 0) a += static_cast<std::int64_t>(xs.size());
      if (a <= 0 || a >= static_cast<std::int64_t>(xs.size()))
        fail(n, ErrorCode::kUnsupported, "mean over axis " + std::to_string(a));
      p.axes.push_back(static_cast<int>(a));
    }
    std::sort(p.axes.begin(), p.axes.end());
    p.axes.erase(std::unique(p.axes.begin(), p.axes.end()), p.axes.end());
    Shape out;
    for (std::size_t d = 0; d < xs.size(); ++d) {
      bool reduced = std::find(p.axes.begin(), p.axes.end(), static_cast<int>(d)) != p.axes.end();
      if (!reduced) out.push_back(xs[d]);
      else if (p.keep_dims) out.push_back(1);
    }
    return void(add_node(n, OpType::kMean, p, {x}, out));
  }
  if (op == "Max") {  // global max pooling (Keras GlobalMaxPooling2D): a pool over H × W
    ValueId x = runtime_input(n, 0);
    const Known& ak = known_input(n, 1, "the axes");
    Shape xs = shape_of(x);
    std::vector<std::int64_t> axes;
    for (auto a : ak.i) axes.push_back(a < 0 ? a + static_cast<std::int64_t>(xs.size()) : a);
    std::sort(axes.begin(), axes.end());
    if (xs.size() != 4 || axes != std::vector<std::int64_t>{1, 2})
      fail(n, ErrorCode::kUnsupported, "max over axes other than H and W of an NHWC tensor");
    graph::PoolParams p;
    p.kind = graph::PoolKind::kMax;
    p.kernel_h = p.stride_h = static_cast<int>(xs[1]);
    p.kernel_w = p.stride_w = static_cast<int>(xs[2]);
    if (attr_b(n, "keep_dims", false)) return void(add_node(n, OpType::kPool, p, {x}, {xs[0], 1, 1, xs[3]}));
    ValueId pooled = g_.add_value(n.name() + "/pool", dpurun::DataType::kFloat32, {xs[0], 1, 1, xs[3]});
    Node pool;
    pool.name = n.name() + "/pool";
    pool.source_op = n.op();
    pool.op = OpType::kPool;
    pool.params = p;
    pool.inputs = {x};
    pool.outputs = {pooled};
    g_.add_node(std::move(pool));
    return void(add_node(n, OpType::kReshape, std::monostate{}, {pooled}, {xs[0], xs[3]}));
  }
  if (op == "Reshape") {
    const Known& s = known_input(n, 1, "the target shape");
    return lower_reshape(n, Shape(s.i.begin(), s.i.end()));
  }
  if (op == "Squeeze") {
    ValueId x = runtime_input(n, 0);
    Shape xs = shape_of(x);
    auto dims = attr_ints(n, "squeeze_dims");
    Shape out;
    for (std::size_t d = 0; d < xs.size(); ++d) {
      bool listed = false;
      for (auto s : dims) listed |= (s < 0 ? s + static_cast<std::int64_t>(xs.size()) : s) ==
                                    static_cast<std::int64_t>(d);
      bool drop = dims.empty() ? (d > 0 && xs[d] == 1) : listed;
      if (drop && xs[d] != 1)
        fail(n, ErrorCode::kInvalidModel, "cannot squeeze dimension " + std::to_string(d) + " of " +
                                              to_string(xs));
      if (!drop) out.push_back(xs[d]);
    }
    return lower_reshape(n, out);
  }
  if (op == "MatMul") {
    if (attr_b(n, "transpose_a", false))
      fail(n, ErrorCode::kUnsupported, "transpose_a is not supported");
    ValueId x = runtime_input(n, 0);
    const Known& w = known_input(n, 1, "the weights");
    Shape xs = shape_of(x);
    if (xs.size() != 2 || w.shape.size() != 2)
      fail(n, ErrorCode::kUnsupported, "only 2-D MatMul is supported");
    std::vector<float> wf = w.f;
    Shape ws = w.shape;
    if (attr_b(n, "transpose_b", false)) {
      ws = {w.shape[1], w.shape[0]};
      for (std::int64_t r = 0; r < ws[0]; ++r)
        for (std::int64_t c = 0; c < ws[1]; ++c)
          wf[static_cast<std::size_t>(r * ws[1] + c)] = w.f[static_cast<std::size_t>(c * ws[0] + r)];
    }
    if (ws[0] != xs[1])
      fail(n, ErrorCode::kInvalidModel, "weights " + to_string(ws) + " do not match input " +
                                            to_string(xs));
    ValueId wv = g_.add_constant(n.name() + "/weights", ws, wf);
    g_.value(wv).fix = w.fix;  // transposing keeps quantized weights on their grid
    return void(add_node(n, OpType::kFullyConnected, graph::FullyConnectedParams{}, {x, wv},
                         {xs[0], ws[1]}));
  }
  if (op == "Softmax") {
    ValueId x = runtime_input(n, 0);
    return void(add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, shape_of(x)));
  }
  if (op == "NoOp") return;
  fail(n, ErrorCode::kUnsupported, "op '" + op + "' is not supported by dpurun's TensorFlow loader");
}

// vai_q_tensorflow's FixNeuron: quantize_pos is the fix point. The DPU rounds half up
// (DPU_ROUND); the attribute set has no round mode, so that is what is emulated.
void Lowering::lower_fix_neuron(const NodeDef& n) {
  graph::FixInfo fix;
  if (!attr(n, "quantize_pos"))
    fail(n, ErrorCode::kInvalidModel, "FixNeuron has no quantize_pos (the fix point)");
  fix.fix_point = static_cast<int>(attr_i(n, "quantize_pos", 0));
  fix.bit_width = static_cast<int>(attr_i(n, "bit_width", 8));
  if (fix.bit_width < 2 || fix.bit_width > 16)
    fail(n, ErrorCode::kInvalidModel, "bit_width " + std::to_string(fix.bit_width) + " is not valid");
  if (fix.fix_point < -32 || fix.fix_point > 32)
    fail(n, ErrorCode::kInvalidModel, "quantize_pos " + std::to_string(fix.fix_point) + " is not valid");
  Entry& in = input(n, 0);
  if (in.kind == Entry::kKnown) {  // weights: snapped to the grid at load time
    Known k = *in.known;
    if (k.type != dpurun::DataType::kFloat32) fail(n, ErrorCode::kInvalidModel, "quantizes integers");
    graph::fake_quantize(k.f, fix);
    k.fix = fix;
    return set_known(n, std::move(k));
  }
  ValueId x = runtime_input(n, 0);
  add_node(n, OpType::kFix, graph::FixParams{fix}, {x}, shape_of(x));
}

Graph Lowering::run() {
  g_.source = source_;
  for (const NodeDef* n : order()) lower(*n);

  auto resolve = [&](const std::string& name) -> ValueId {
    auto r = parse_ref(name);
    auto it = entries_.find(key(r));
    if (it == entries_.end() || it->second.kind == Entry::kDead)
      throw Error(ErrorCode::kNotFound, source_ + ": tensor '" + name + "' is not computed");
    if (it->second.kind == Entry::kKnown)
      throw Error(ErrorCode::kUnsupported, source_ + ": output '" + name + "' is a constant");
    return it->second.value;
  };
  if (!options_.outputs.empty()) {
    for (const auto& o : options_.outputs) g_.outputs.push_back(resolve(o));
  } else {
    std::unordered_map<std::string, bool> consumed;
    for (const auto& n : def_.node())
      for (const auto& in : n.input()) consumed[parse_ref(in[0] == '^' ? in.substr(1) : in).node] = true;
    for (const auto& n : def_.node()) {
      if (consumed.count(n.name()) || n.op() == "NoOp" || n.op() == "Const" ||
          n.op() == "Placeholder")
        continue;
      auto it = entries_.find(n.name() + ":0");
      if (it != entries_.end() && it->second.kind == Entry::kRuntime)
        g_.outputs.push_back(it->second.value);
    }
  }
  if (g_.outputs.empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": the graph computes nothing");
  if (!options_.inputs.empty()) {
    std::vector<ValueId> wanted;
    for (const auto& in : options_.inputs) {
      ValueId v = resolve(in);
      if (std::find(g_.inputs.begin(), g_.inputs.end(), v) == g_.inputs.end())
        throw Error(ErrorCode::kInvalidArgument,
                    source_ + ": input '" + in + "' is not a Placeholder of the graph");
      wanted.push_back(v);
    }
    g_.inputs = wanted;
  }
  if (g_.inputs.empty()) throw Error(ErrorCode::kInvalidModel, source_ + ": the graph has no input");
  g_.finalize();
  return std::move(g_);
}

}  // namespace

Graph lower_graph_def(const GraphDef& def, const std::string& source,
                      const loaders::LoadOptions& options) {
  return Lowering(def, source, options).run();
}

Graph load_graph_def(const std::string& bytes, const std::string& source,
                     const loaders::LoadOptions& options) {
  GraphDef def;
  if (bytes.empty() || !def.ParseFromString(bytes) || def.node_size() == 0)
    throw Error(ErrorCode::kInvalidModel,
                source + ": not a TensorFlow GraphDef (the file is truncated, empty or of another "
                         "format); give a frozen graph .pb written by freeze_graph or "
                         "vai_q_tensorflow");
  return lower_graph_def(def, source, options);
}

}  // namespace dpurun::tf

#include "loaders/tensorflow/graph_def_loader.h"
#include "loaders/tensorflow/deploy_graph.h"

#include <algorithm>
#include <cstring>

#include "dpurun/error.h"
#include "graph_def.pb.h"
#include "loaders/tensorflow/lowering.h"
#include "loaders/tensorflow/ops/ops.h"

namespace dpurun::loaders::tf {

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
  for (const auto& n : def.node()) {
    if (n.name().empty()) throw Error(ErrorCode::kInvalidModel, source + ": a node has no name");
    if (n.op().empty())
      throw Error(ErrorCode::kInvalidModel, source + ": node '" + n.name() + "' has no op");
    if (!by_name.emplace(n.name(), &n).second)
      throw Error(ErrorCode::kInvalidModel, source + ": two nodes are named '" + n.name() + "'");
  }
  // Roots: the requested outputs, or every node nothing consumes.
  std::vector<std::string> roots;
  if (!options.outputs.empty()) {
    for (const auto& o : options.outputs) {
      auto r = parse_ref(o);
      if (!by_name.count(r.node))
        throw Error(ErrorCode::kNotFound, source + ": output node '" + r.node +
                                              "' is not in the graph (check the manifest)");
      roots.push_back(r.node);
    }
  } else {
    std::unordered_map<std::string, bool> consumed;
    for (const auto& n : def.node())
      for (const auto& in : n.input())
        consumed[parse_ref(in[0] == '^' ? in.substr(1) : in).node] = true;
    for (const auto& n : def.node())
      if (!consumed.count(n.name()) && n.op() != "NoOp" && n.op() != "Const" &&
          n.op() != "Placeholder")
        roots.push_back(n.name());
  }
  if (roots.empty()) throw Error(ErrorCode::kInvalidModel, source + ": the graph has no output");

  std::vector<const NodeDef*> sorted;
  std::unordered_map<const NodeDef*, int> mark;  // 1 open, 2 done
  for (const auto& root : roots) {
    const NodeDef* r = by_name.at(root);
    if (mark[r] == 2) continue;
    std::vector<std::pair<const NodeDef*, int>> stack{{r, 0}};
    mark[r] = 1;
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next < n->input_size()) {
        std::string in = n->input(next++);
        if (in.empty()) continue;
        if (in[0] == '^') in = in.substr(1);
        auto it = by_name.find(parse_ref(in).node);
        if (it == by_name.end())
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
  if (!options.input_shape.empty()) {
    if (known && shape.size() != options.input_shape.size())
      fail(n, ErrorCode::kInvalidArgument,
           "the manifest's input shape " + to_string(options.input_shape) +
               " does not match the placeholder's " + to_string(shape));
    shape = options.input_shape;
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

void Lowering::fold_known(const NodeDef& n) {
  if (Converter fold = find_folder(n.op())) return fold(*this, n);
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
        entries[n.name() + ":0"] = e;
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

  const OpEntry* entry = find_op(op);
  if (entry && entry->always) return entry->convert(*this, n);
  // Ops on known values only are folded at load time.
  bool all_known = !refs.empty();
  for (std::size_t j = 0; j < refs.size(); ++j) all_known &= input(n, j).kind == Entry::kKnown;
  if (all_known) return fold_known(n);
  if (entry) return entry->convert(*this, n);
  fail(n, ErrorCode::kUnsupported, "op '" + op + "' is not supported by dpurun's TensorFlow loader");
}

Graph Lowering::run() {
  g.source = source;
  for (const NodeDef* n : order()) lower(*n);

  auto resolve = [&](const std::string& name) -> ValueId {
    auto r = parse_ref(name);
    auto it = entries.find(key(r));
    if (it == entries.end() || it->second.kind == Entry::kDead)
      throw Error(ErrorCode::kNotFound, source + ": tensor '" + name + "' is not computed");
    if (it->second.kind == Entry::kKnown)
      throw Error(ErrorCode::kUnsupported, source + ": output '" + name + "' is a constant");
    return it->second.value;
  };
  if (!options.outputs.empty()) {
    for (const auto& o : options.outputs) g.outputs.push_back(resolve(o));
  } else {
    std::unordered_map<std::string, bool> consumed;
    for (const auto& n : def.node())
      for (const auto& in : n.input()) consumed[parse_ref(in[0] == '^' ? in.substr(1) : in).node] = true;
    for (const auto& n : def.node()) {
      if (consumed.count(n.name()) || n.op() == "NoOp" || n.op() == "Const" ||
          n.op() == "Placeholder")
        continue;
      auto it = entries.find(n.name() + ":0");
      if (it != entries.end() && it->second.kind == Entry::kRuntime)
        g.outputs.push_back(it->second.value);
    }
  }
  if (g.outputs.empty()) throw Error(ErrorCode::kInvalidModel, source + ": the graph computes nothing");
  if (!options.inputs.empty()) {
    std::vector<ValueId> wanted;
    for (const auto& in : options.inputs) {
      ValueId v = resolve(in);
      if (std::find(g.inputs.begin(), g.inputs.end(), v) == g.inputs.end())
        throw Error(ErrorCode::kInvalidArgument,
                    source + ": input '" + in + "' is not a Placeholder of the graph");
      wanted.push_back(v);
    }
    g.inputs = wanted;
  }
  if (g.inputs.empty()) throw Error(ErrorCode::kInvalidModel, source + ": the graph has no input");
  g.finalize();
  return std::move(g);
}

Graph lower_graph_def(const GraphDef& def, const std::string& source,
                      const loaders::LoadOptions& options) {
  if (is_deploy_graph(def)) return Lowering(expand_deploy_graph(def, source), source, options).run();
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

}  // namespace dpurun::loaders::tf

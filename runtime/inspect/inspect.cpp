#include "dpurun/inspect.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dpurun/error.h"
#include "dpurun/freeze.h"
#include "dpurun/model.h"
#include "graph_def.pb.h"
#include "loaders/dnndk/elf_reader.h"
#include "loaders/loader.h"
#include "loaders/xir/xmodel_loader.h"
#include "xir_graph.pb.h"

namespace dpurun {
namespace {

void count(std::vector<std::pair<std::string, int>>& counts, const std::string& type) {
  for (auto& [k, v] : counts)
    if (k == type) {
      ++v;
      return;
    }
  counts.emplace_back(type, 1);
}

// --- XIR ---------------------------------------------------------------------------------

std::optional<std::int64_t> int_attr(
    const google::protobuf::Map<std::string, xir::AttrValue>& attrs, const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return std::nullopt;
  const auto& a = it->second;
  switch (a.value_case()) {
    case xir::AttrValue::kInt32Value:
      return a.int32_value();
    case xir::AttrValue::kInt64Value:
      return a.int64_value();
    case xir::AttrValue::kUint32Value:
      return a.uint32_value();
    case xir::AttrValue::kUint64Value:
      return static_cast<std::int64_t>(a.uint64_value());
    default:
      return std::nullopt;
  }
}

std::string string_attr(const google::protobuf::Map<std::string, xir::AttrValue>& attrs,
                        const std::string& key) {
  auto it = attrs.find(key);
  return it != attrs.end() && it->second.value_case() == xir::AttrValue::kStringValue
             ? it->second.string_value()
             : "";
}

TensorInfo tensor_info(const xir::Tensor& t) {
  TensorInfo info;
  info.name = t.tensor_name();
  info.shape.assign(t.tensor_dim().begin(), t.tensor_dim().end());
  bool integer = t.data_type() != 4;  // 4: FLOAT in XIR's DataType
  info.type = !integer                                   ? DataType::kFloat32
              : t.data_type() == 1 || t.data_type() == 3 ? DataType::kUInt8
                                                         : DataType::kInt8;
  if (t.tensor_bit_width() == 32 && integer) info.type = DataType::kInt32;
  if (auto fp = int_attr(t.tensor_attr(), "fix_point")) info.fix_point = static_cast<int>(*fp);
  return info;
}

struct XirIndex {
  std::map<std::string, const xir::OPNode*> ops;
  std::map<std::string, std::vector<std::string>> consumers;
};

void collect_ops(const xir::SubGraph& s, std::set<std::string>& out) {
  for (const auto& o : s.op_name()) out.insert(o);
  for (const auto& c : s.subg_child()) collect_ops(c, out);
}

SubgraphInfo subgraph_info(const xir::SubGraph& s, const XirIndex& index) {
  SubgraphInfo info;
  info.name = s.subgraph_name();
  info.device = string_attr(s.subg_attr(), "device");
  info.dpu_name = string_attr(s.subg_attr(), "dpu_name");
  if (auto fp = int_attr(s.subg_attr(), "dpu_fingerprint"))
    info.dpu_fingerprint = static_cast<std::uint64_t>(*fp);
  if (auto w = int_attr(s.subg_attr(), "workload")) info.workload = static_cast<std::uint64_t>(*w);
  std::set<std::string> ops;
  collect_ops(s, ops);
  info.op_count = static_cast<int>(ops.size());
  // Inputs: tensors read from outside; outputs: tensors read outside, or read by nobody.
  std::set<std::string> seen_in;
  for (const auto& name : ops) {
    auto it = index.ops.find(name);
    if (it == index.ops.end()) continue;
    for (const auto& a : it->second->args())
      for (const auto& src : a.arg_ops())
        if (!ops.count(src) && seen_in.insert(src).second) {
          auto p = index.ops.find(src);
          if (p != index.ops.end() && p->second->op_type().rfind("const", 0) != 0)
            info.inputs.push_back(tensor_info(p->second->output_tensor()));
        }
    auto c = index.consumers.find(name);
    bool outside = c == index.consumers.end();
    if (!outside)
      for (const auto& user : c->second) outside |= !ops.count(user);
    if (outside && it->second->op_type().rfind("const", 0) != 0)
      info.outputs.push_back(tensor_info(it->second->output_tensor()));
  }
  if (s.subg_child_size() > 0 && info.device != "DPU")
    for (const auto& c : s.subg_child()) info.children.push_back(subgraph_info(c, index));
  return info;
}

void inspect_xmodel(const std::string& bytes, ModelInfo& info) {
  xir::Graph def;
  if (!xir::parse_xmodel(bytes, def))
    throw Error(ErrorCode::kInvalidModel,
                info.path + ": not an XIR .xmodel (truncated or another format)");
  info.format = "xir-xmodel";
  info.graph_name = def.graph_name();
  XirIndex index;
  bool compiled = false, quantized = false;
  for (const auto& n : def.op_node()) {
    index.ops[n.op_name()] = &n;
    count(info.op_counts, n.op_type());
    for (const auto& a : n.args())
      for (const auto& src : a.arg_ops()) index.consumers[src].push_back(n.op_name());
    compiled |=
        n.op_type().size() > 4 && n.op_type().compare(n.op_type().size() - 4, 4, "-fix") == 0;
    quantized |= n.op_type() == "fix";
  }
  info.kind = compiled ? "compiled" : quantized ? "quantized" : "float";
  for (const auto& n : def.op_node()) {
    if (n.op_type() == "data" || n.op_type() == "data-fix")
      info.inputs.push_back(tensor_info(n.output_tensor()));
    if (!index.consumers.count(n.op_name()) && n.op_type().rfind("const", 0) != 0)
      info.outputs.push_back(tensor_info(n.output_tensor()));
  }
  if (def.has_subg_root()) {
    if (auto w = int_attr(def.subg_root().subg_attr(), "workload"))
      info.workload = static_cast<std::uint64_t>(*w);
    for (const auto& c : def.subg_root().subg_child())
      info.subgraphs.push_back(subgraph_info(c, index));
  }
}

// --- TensorFlow --------------------------------------------------------------------------

void inspect_graph_def(const std::string& bytes, ModelInfo& info) {
  tf::GraphDef def;
  if (bytes.empty() || !def.ParseFromString(bytes) || def.node_size() == 0)
    throw Error(ErrorCode::kInvalidModel,
                info.path + ": not a TensorFlow GraphDef (truncated or another format)");
  info.format = "tensorflow-graphdef";
  std::set<std::string> consumed;
  bool quantized = false;
  for (const auto& n : def.node()) {
    count(info.op_counts, n.op());
    quantized |= n.op() == "FixNeuron";
    for (const auto& in : n.input()) {
      std::string s = in.empty() || in[0] != '^' ? in : in.substr(1);
      consumed.insert(s.substr(0, s.rfind(':') == std::string::npos ? s.size() : s.rfind(':')));
    }
  }
  info.kind = quantized ? "quantized" : "float";
  for (const auto& n : def.node()) {
    if (n.op() == "Placeholder") {
      TensorInfo t;
      t.name = n.name();
      auto it = n.attr().find("shape");
      if (it != n.attr().end())
        for (const auto& d : it->second.shape().dim()) t.shape.push_back(d.size());
      info.inputs.push_back(t);
    } else if (!consumed.count(n.name()) && n.op() != "Const" && n.op() != "NoOp") {
      info.outputs.push_back(TensorInfo{n.name(), {}, DataType::kFloat32, std::nullopt});
    }
  }
}

// --- DNNDK .elf ---------------------------------------------------------------------------

TensorInfo elf_tensor(const loaders::dnndk::ElfTensor& t) {
  return TensorInfo{t.name, {1, t.height, t.width, t.channels}, DataType::kInt8, t.fix_point};
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void inspect_elf(const std::string& bytes, ModelInfo& info) {
  auto m = loaders::dnndk::read_dnndk_elf(bytes, info.path);
  info.format = "dnndk-elf";
  info.kind = "compiled";
  info.properties.emplace_back("machine", m.machine);
  std::uint64_t workload = 0;
  for (const auto& k : m.kernels) {
    SubgraphInfo s;
    s.name = k.name;
    s.device = "DPU";
    s.dpu_name = k.dpu_arch + " (DPU target " + k.dpu_target + ")";
    s.workload = k.workload();
    s.op_count = static_cast<int>(k.nodes.size());
    for (const auto& t : k.tensors) {
      if (t.kind == 2) s.inputs.push_back(elf_tensor(t));
      if (t.kind == 4) s.outputs.push_back(elf_tensor(t));
    }
    s.properties = {{"compiler", k.compiler},
                    {"dpu_target", k.dpu_target},
                    {"build_label", k.build_label},
                    {"mode", k.debug_mode ? "debug" : "normal"},
                    {"input_nodes", joined(k.input_nodes)},
                    {"output_nodes", joined(k.output_nodes)},
                    {"nodes", std::to_string(k.nodes.size())},
                    {"tensors", std::to_string(k.tensors.size())},
                    {"io_bytes", std::to_string(k.io_bytes)},
                    {"code_bytes", std::to_string(k.code_bytes)},
                    {"parameter_bytes", std::to_string(k.parameter_bytes)}};
    for (std::size_t n = 0; n < k.nodes.size(); ++n) count(info.op_counts, "dpu-node");
    info.inputs.insert(info.inputs.end(), s.inputs.begin(), s.inputs.end());
    info.outputs.insert(info.outputs.end(), s.outputs.begin(), s.outputs.end());
    workload += *s.workload;
    info.subgraphs.push_back(std::move(s));
  }
  info.workload = workload;
  info.graph_name = m.kernels.size() == 1 ? m.kernels[0].name : "";
}

}  // namespace

ModelInfo inspect_model(const std::string& path) {
  ModelInfo info;
  info.path = path;
  std::string bytes = loaders::read_file(path);
  info.file_bytes = bytes.size();
  switch (loaders::detect_format(path)) {
    case loaders::ModelFormat::kTensorFlowGraphDef:
      inspect_graph_def(bytes, info);
      break;
    case loaders::ModelFormat::kXirModel:
      inspect_xmodel(bytes, info);
      break;
    case loaders::ModelFormat::kDnndkElf:
      inspect_elf(bytes, info);
      break;
    case loaders::ModelFormat::kKeras: {  // as the graph `dpurun freeze` writes for it
      FreezeResult frozen = freeze_keras(path);
      inspect_graph_def(frozen.graph_def, info);
      info.format = "keras-h5";
      // A GraphDef holds no shapes but the inputs'; freezing knows the outputs'.
      for (auto& t : info.outputs)
        for (const auto& o : frozen.outputs)
          if (t.name == o.name) t.shape = o.shape;
      info.properties.emplace_back("keras_version", frozen.keras_version);
      break;
    }
    default:
      throw Error(ErrorCode::kUnsupported, path +
                                               ": unknown model format; dpurun inspects .pb, "
                                               ".xmodel, DNNDK .elf and Keras .h5 files");
  }
  try {
    Model m = Model::load(path);
    info.cpu_runnable = true;
    info.cpu_arithmetic = m.is_integer() ? "int8 (DPU emulation)" : "float32";
    info.cpu_op_counts = m.op_counts();
  } catch (const Error& e) {
    info.cpu_message = e.what();
  }
  return info;
}

namespace {

std::string tensor_text(const TensorInfo& t) {
  std::string s = fmt::format("{} {} {}", t.name, to_string(t.shape), to_string(t.type));
  // The scale is what DNNDK's dpuGetInputTensorScale returns: int8 = real · scale.
  if (t.fix_point)
    s += fmt::format(" fix_point {} (scale {})", *t.fix_point, std::ldexp(1.0, *t.fix_point));
  return s;
}

void subgraph_text(const SubgraphInfo& s, int depth, std::string& out) {
  std::string pad(static_cast<std::size_t>(2 * depth), ' ');
  out += fmt::format("{}- {} [{}] {} op(s)", pad, s.name, s.device.empty() ? "?" : s.device,
                     s.op_count);
  if (s.workload) out += fmt::format(", {} ops/image", *s.workload);
  out += "\n";
  if (!s.dpu_name.empty()) out += fmt::format("{}    DPU {}\n", pad, s.dpu_name);
  if (s.dpu_fingerprint) out += fmt::format("{}    fingerprint 0x{:x}\n", pad, *s.dpu_fingerprint);
  for (const auto& [k, v] : s.properties) out += fmt::format("{}    {:<15} {}\n", pad, k, v);
  if (s.device == "DPU") {
    for (const auto& t : s.inputs) out += fmt::format("{}    in  {}\n", pad, tensor_text(t));
    for (const auto& t : s.outputs) out += fmt::format("{}    out {}\n", pad, tensor_text(t));
  }
  for (const auto& c : s.children) subgraph_text(c, depth + 1, out);
}

nlohmann::json tensor_json(const TensorInfo& t) {
  nlohmann::json j{{"name", t.name}, {"shape", t.shape}, {"type", to_string(t.type)}};
  if (t.fix_point) j["fix_point"] = *t.fix_point;
  return j;
}

nlohmann::json subgraph_json(const SubgraphInfo& s) {
  nlohmann::json j{{"name", s.name}, {"device", s.device}, {"op_count", s.op_count}};
  if (!s.dpu_name.empty()) j["dpu_name"] = s.dpu_name;
  if (s.dpu_fingerprint) j["dpu_fingerprint"] = fmt::format("0x{:x}", *s.dpu_fingerprint);
  if (s.workload) j["workload"] = *s.workload;
  j["inputs"] = nlohmann::json::array();
  j["outputs"] = nlohmann::json::array();
  for (const auto& t : s.inputs) j["inputs"].push_back(tensor_json(t));
  for (const auto& t : s.outputs) j["outputs"].push_back(tensor_json(t));
  for (const auto& [k, v] : s.properties) j[k] = v;
  j["children"] = nlohmann::json::array();
  for (const auto& c : s.children) j["children"].push_back(subgraph_json(c));
  return j;
}

}  // namespace

std::string to_text(const ModelInfo& m) {
  std::string out;
  out += fmt::format("file     {} ({} bytes)\n", m.path, m.file_bytes);
  out += fmt::format("format   {}, {} model{}\n", m.format, m.kind,
                     m.graph_name.empty() ? "" : ", graph \"" + m.graph_name + "\"");
  for (const auto& [k, v] : m.properties) out += fmt::format("{:<8} {}\n", k, v);
  if (m.workload) out += fmt::format("workload {} operations per image\n", *m.workload);
  for (const auto& t : m.inputs) out += fmt::format("input    {}\n", tensor_text(t));
  for (const auto& t : m.outputs) out += fmt::format("output   {}\n", tensor_text(t));
  if (!m.subgraphs.empty()) {
    out += "subgraphs\n";
    for (const auto& s : m.subgraphs) subgraph_text(s, 1, out);
  }
  out += "ops     ";
  for (const auto& [k, v] : m.op_counts) out += fmt::format(" {}×{}", k, v);
  out += "\n";
  if (m.cpu_runnable) {
    out += fmt::format("cpu reference: runs, {}; after fusion:", m.cpu_arithmetic);
    for (const auto& [k, v] : m.cpu_op_counts) out += fmt::format(" {}×{}", k, v);
    out += "\n";
  } else {
    out += fmt::format("cpu reference: cannot run it: {}\n", m.cpu_message);
  }
  return out;
}

std::string to_json(const ModelInfo& m) {
  nlohmann::json j{{"path", m.path},
                   {"format", m.format},
                   {"kind", m.kind},
                   {"graph_name", m.graph_name},
                   {"file_bytes", m.file_bytes}};
  if (m.workload) j["workload"] = *m.workload;
  for (const auto& [k, v] : m.properties) j[k] = v;
  auto counts = [](const auto& v) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, n] : v) o[k] = n;
    return o;
  };
  j["op_counts"] = counts(m.op_counts);
  j["inputs"] = nlohmann::json::array();
  j["outputs"] = nlohmann::json::array();
  for (const auto& t : m.inputs) j["inputs"].push_back(tensor_json(t));
  for (const auto& t : m.outputs) j["outputs"].push_back(tensor_json(t));
  j["subgraphs"] = nlohmann::json::array();
  for (const auto& s : m.subgraphs) j["subgraphs"].push_back(subgraph_json(s));
  j["cpu_reference"] = {{"runnable", m.cpu_runnable}};
  if (m.cpu_runnable) {
    j["cpu_reference"]["arithmetic"] = m.cpu_arithmetic;
    j["cpu_reference"]["op_counts"] = counts(m.cpu_op_counts);
  } else {
    j["cpu_reference"]["reason"] = m.cpu_message;
  }
  return j.dump(2) + "\n";
}

namespace {
const SubgraphInfo* first_dpu(const std::vector<SubgraphInfo>& subs) {
  for (const auto& s : subs) {
    if (s.device == "DPU") return &s;
    if (const auto* c = first_dpu(s.children)) return c;
  }
  return nullptr;
}
}  // namespace

const SubgraphInfo* find_dpu_subgraph(const ModelInfo& info) { return first_dpu(info.subgraphs); }

}  // namespace dpurun

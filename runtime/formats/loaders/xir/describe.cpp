// `describe` for XIR .xmodels: kind (float, quantized, compiled), tensors, the subgraph tree with
// each DPU subgraph's target, fingerprint and workload.
#include <map>
#include <set>

#include "dpurun/error.h"
#include "loaders/describe.h"
#include "loaders/xir/dpu_params.h"
#include "loaders/xir/xmodel_loader.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders::xir {
namespace {

std::optional<std::int64_t> int_attr(const google::protobuf::Map<std::string, AttrValue>& attrs,
                                     const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return std::nullopt;
  const auto& a = it->second;
  switch (a.value_case()) {
    case AttrValue::kInt32Value:
      return a.int32_value();
    case AttrValue::kInt64Value:
      return a.int64_value();
    case AttrValue::kUint32Value:
      return a.uint32_value();
    case AttrValue::kUint64Value:
      return static_cast<std::int64_t>(a.uint64_value());
    default:
      return std::nullopt;
  }
}

std::string string_attr(const google::protobuf::Map<std::string, AttrValue>& attrs,
                        const std::string& key) {
  auto it = attrs.find(key);
  return it != attrs.end() && it->second.value_case() == AttrValue::kStringValue
             ? it->second.string_value()
             : "";
}

TensorInfo tensor_info(const Tensor& t) {
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
  std::map<std::string, const OPNode*> ops;
  std::map<std::string, std::vector<std::string>> consumers;
};

void collect_ops(const SubGraph& s, std::set<std::string>& out) {
  for (const auto& o : s.op_name()) out.insert(o);
  for (const auto& c : s.subg_child()) collect_ops(c, out);
}

SubgraphInfo subgraph_info(const SubGraph& s, const XirIndex& index) {
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

}  // namespace

void describe_xmodel(const std::string& bytes, ModelInfo& info) {
  Graph def;
  if (!parse_xmodel(bytes, def))
    throw Error(ErrorCode::kInvalidModel,
                info.path + ": not an XIR .xmodel (truncated or another format)");
  info.format = "xir-xmodel";
  info.graph_name = def.graph_name();
  XirIndex index;
  bool compiled = false, quantized = false;
  for (const auto& n : def.op_node()) {
    index.ops[n.op_name()] = &n;
    loaders::count_op(info.op_counts, n.op_type());
    for (const auto& a : n.args())
      for (const auto& src : a.arg_ops()) index.consumers[src].push_back(n.op_name());
    compiled |=
        n.op_type().size() > 4 && n.op_type().compare(n.op_type().size() - 4, 4, "-fix") == 0;
    quantized |= n.op_type() == "fix";
  }
  info.kind = compiled ? "compiled" : quantized ? "quantized" : "float";
  std::set<std::string> constant;
  for (const auto& n : def.op_node()) {
    LayerInfo l;
    l.constant = n.op_type() == "const" || n.op_type() == "const-fix";
    if (!l.constant && n.args_size() > 0) {
      l.constant = true;
      for (const auto& a : n.args())
        for (const auto& src : a.arg_ops()) l.constant &= constant.count(src) > 0;
    }
    if (l.constant) constant.insert(n.op_name());
    l.name = n.op_name();
    l.op = n.op_type();
    l.shape.assign(n.output_tensor().tensor_dim().begin(), n.output_tensor().tensor_dim().end());
    if (auto fp = int_attr(n.op_attr(), "fix_point"); fp && (l.op == "fix" || l.op == "float2fix"))
      l.fix_point = static_cast<int>(*fp);
    else if (auto tfp = int_attr(n.output_tensor().tensor_attr(), "fix_point"))
      l.fix_point = static_cast<int>(*tfp);
    info.layers.push_back(std::move(l));
  }
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
    // Whether each DPU subgraph's constants can be read back (dpu_params.h).
    const DpuParameters params(def, info.path);
    for (const auto& p : params.subgraphs())
      for (auto& s : info.subgraphs)
        if (s.name == p.name) {
          s.properties.emplace_back("parameters", std::to_string(p.parameter_bytes) + " bytes");
          s.properties.emplace_back("weights", p.refusal.empty() ? "can be unpacked (" + p.layout + " layout)"
                                                                 : "cannot be unpacked: " + p.refusal);
        }
  }
}

}  // namespace dpurun::loaders::xir

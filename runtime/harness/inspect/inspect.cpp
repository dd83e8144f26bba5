#include "dpurun/inspect.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "dpurun/error.h"
#include "dpurun/model.h"

namespace dpurun {

ModelInfo inspect_model(const std::string& path, const std::string& weights_from) {
  ModelInfo info = describe_model(path, weights_from);  // a Keras architecture needs its weights
  try {
    ModelOptions options;
    options.weights_from = weights_from;
    Model m = Model::load(path, options);
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

}  // namespace dpurun

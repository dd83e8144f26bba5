// `describe` for DNNDK .elfs: one subgraph per DPU kernel, with its tensors, target and sizes.
#include "loaders/describe.h"
#include "loaders/dnndk/elf_reader.h"

namespace dpurun::loaders::dnndk {
namespace {

TensorInfo elf_tensor(const ElfTensor& t) {
  return TensorInfo{t.name, {1, t.height, t.width, t.channels}, DataType::kInt8, t.fix_point};
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

void describe_elf(const std::string& bytes, ModelInfo& info) {
  auto m = read_dnndk_elf(bytes, info.path);
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
    for (std::size_t n = 0; n < k.nodes.size(); ++n) count_op(info.op_counts, "dpu-node");
    info.inputs.insert(info.inputs.end(), s.inputs.begin(), s.inputs.end());
    info.outputs.insert(info.outputs.end(), s.outputs.begin(), s.outputs.end());
    workload += *s.workload;
    info.subgraphs.push_back(std::move(s));
  }
  info.workload = workload;
  info.graph_name = m.kernels.size() == 1 ? m.kernels[0].name : "";
}

}  // namespace dpurun::loaders::dnndk

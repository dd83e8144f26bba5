// DNNDK (Vitis AI ≤ 1.2) DPU kernels: the `.deephi.*` sections of a vai_c / dnnc ELF. The layout
// was read from real files (the tutorials' ZCU102 kernels, DPU target v1.4.1): every count and
// offset is checked against the section it comes from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dpurun/model_info.h"

namespace dpurun::loaders::dnndk {

struct ElfTensor {
  std::string name;  // e.g. "conv2d_1_input:0"
  int height = 0, width = 0, channels = 0;
  int fix_point = 0;  // real = int8 · 2^-fix_point
  int bit_width = 8;
  std::uint32_t kind = 0;  // 1 intermediate, 2 kernel input, 4 kernel output
};

struct ElfNode {
  std::string name;  // e.g. "conv2d_1_convolution"
  std::uint32_t type = 0;
  std::uint64_t workload = 0;  // operations
  std::vector<std::uint32_t> inputs, outputs;  // tensor indices
  int params = 0;
};

struct ElfKernel {
  std::string name;        // from the section names, e.g. "miniVggNet_0"
  std::string dpu_arch;    // e.g. "dpuv2"
  std::string compiler;    // the banner's first line, e.g. "VAI_C Compiler for Edge, Version v5.01"
  std::string dpu_target;  // e.g. "v1.4.1"
  std::string build_label;
  bool debug_mode = false;
  std::uint32_t abi_word = 0;
  std::uint64_t io_bytes = 0;
  std::uint64_t code_bytes = 0, parameter_bytes = 0;  // sizes of the code and parameter sections
  std::uint64_t node_parameter_bytes = 0;             // the nodes' parameters, summed
  std::vector<ElfTensor> tensors;
  std::vector<ElfNode> nodes;
  std::vector<std::string> input_nodes, output_nodes;  // nodes reading inputs / writing outputs
  std::uint64_t workload() const;
};

struct ElfModel {
  std::string machine;  // "aarch64", "arm", …
  std::vector<ElfKernel> kernels;
};

bool looks_like_elf(const std::string& bytes);
// Throws Error(kInvalidModel) naming `source` and the section at fault.
ElfModel read_dnndk_elf(const std::string& bytes, const std::string& source);
// Describes the file for inspect: one DPU subgraph per kernel.
void describe_elf(const std::string& bytes, ModelInfo& info);

}  // namespace dpurun::loaders::dnndk

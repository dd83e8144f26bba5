// What a model file holds, read without lowering it: format, kind, tensors, subgraphs, DPU target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dpurun/tensor.h"

namespace dpurun {

struct SubgraphInfo {
  std::string name;
  std::string device;  // USER, DPU, CPU (XIR); empty where the format has none
  std::string dpu_name;
  std::optional<std::uint64_t> dpu_fingerprint;
  std::optional<std::uint64_t> workload;  // operations per image
  int op_count = 0;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<SubgraphInfo> children;
  std::vector<std::pair<std::string, std::string>> properties;  // format-specific facts
};

// One op of the source graph (XIR): what `dpurun dump` can ask the CPU reference for.
struct LayerInfo {
  std::string name;
  std::string op;                // its type in the file: conv2d, fix, conv2d-fix, …
  Shape shape;                   // its output's, as the file gives it
  std::optional<int> fix_point;  // a fix op's, or a compiled op's output tensor's
  bool constant = false;         // computed from constants only (weights and their fix ops)
};

struct ModelInfo {
  std::string path;
  std::string format;  // "tensorflow-graphdef", "xir-xmodel", "onnx", "dnndk-elf", "keras-h5"
  std::string kind;    // "float", "quantized", "compiled"
  std::string graph_name;
  std::uint64_t file_bytes = 0;
  std::vector<std::pair<std::string, int>> op_counts;  // source op types, as in the file
  std::vector<TensorInfo> inputs, outputs;             // of the whole model
  std::optional<std::uint64_t> workload;               // operations per image
  std::vector<SubgraphInfo> subgraphs;                 // XIR's tree below the root; DNNDK's kernels
  std::vector<LayerInfo> layers;                       // XIR: every op, in the file's (topological) order
  std::vector<std::pair<std::string, std::string>> properties;  // format-specific facts
  // The CPU reference: whether it runs the model, and how, or why not (inspect_model fills these).
  bool cpu_runnable = false;
  std::string cpu_arithmetic;                              // float32 / int8 (DPU emulation)
  std::string cpu_message;                                 // the load error when it cannot
  std::vector<std::pair<std::string, int>> cpu_op_counts;  // after fusion
};

// The file's description (the cpu_* fields left empty): its format is recognised by content,
// whatever its name. `weights_from`: a Keras architecture .json's weights .h5 (other formats ignore it). Throws Error when
// it cannot be read or is not a model of a known format.
ModelInfo describe_model(const std::string& path, const std::string& weights_from = "");
// The first DPU subgraph of a compiled model (depth first), or null.
const SubgraphInfo* find_dpu_subgraph(const ModelInfo& info);

}  // namespace dpurun

// A compiled .xmodel as the DPU backend runs it: the chain of its subgraphs (DPU on VART, CPU on
// dpurun's executor, fix2float as a plain dequantize), planned once and shared by every runner.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <xir/graph/graph.hpp>
#include <xir/graph/subgraph.hpp>

#include "dpurun/model.h"
#include "dpurun/tensor.h"

namespace dpurun::backends::dpu {

std::string device_of(const xir::Subgraph* s);
std::optional<int> fix_point_of(const xir::Tensor* t);
TensorInfo info_of(const xir::Tensor* t, const std::string& where);
// "subgraph 'x', DPU …, fingerprint 0x…", for messages.
std::string dpu_description(const xir::Subgraph* s);

struct Step {
  enum Kind { kDpu, kDequantize, kCpu } kind = kDpu;
  const xir::Subgraph* subgraph = nullptr;
  std::vector<const xir::Tensor*> inputs, outputs;  // the subgraph's, by name
  std::shared_ptr<Model> model;                     // kCpu
};

struct Plan {
  std::string path;
  std::unique_ptr<xir::Graph> graph;
  std::vector<Step> steps;
};

// Reads the model with XIR and plans its chain. Throws Error naming the file and the subgraph
// that dpurun cannot run.
std::shared_ptr<Plan> plan_model(const std::string& path);

}  // namespace dpurun::backends::dpu

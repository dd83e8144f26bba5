// A loaded model: any supported file format, lowered into dpurun's graph and fused for inference.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dpurun/tensor.h"

namespace dpurun {

namespace graph {
class Graph;
}

struct ModelOptions {
  std::vector<std::string> inputs;   // tensor names; empty: the model's own
  std::vector<std::string> outputs;  // tensor names; empty: the model's sinks
  Shape input_shape;                 // where the file leaves it open (NHWC, batch -1)
  // Quantized models run as DPU integer arithmetic, bit for bit; true runs their fix ops as
  // the quantizer's float simulation instead (vai_q's quantize_eval), for comparison.
  bool fix_in_float = false;
  // For a compiled .xmodel: the quantized .xmodel it was compiled from, whose readable weights
  // the CPU reference runs once ops, shapes and fix points are checked to agree.
  std::string weights_from;
  // ONNX QDQ models run as the DPU would run them (rounding half up); true follows ONNX's
  // QuantizeLinear instead (half to even), as ONNX Runtime computes.
  bool onnx_rounding = false;
  // XIR: load only this subgraph (e.g. a CPU subgraph of a compiled model); the tensors it reads
  // from other subgraphs become float inputs, in the order of `inputs` where given.
  std::string subgraph;
};

class Model {
 public:
  // Throws Error naming the file (and node) when the model cannot be loaded or run.
  // Defined by the formats layer (dpurun_formats).
  static Model load(const std::string& path, const ModelOptions& options = {});
  // The file read (and an XIR model parsed) once, then a model per options: e.g. each CPU
  // subgraph of a compiled .xmodel. Defined by the formats layer.
  static std::vector<Model> load_each(const std::string& path, const std::vector<ModelOptions>& options);
  // The same from the file's bytes, already read (e.g. the bytes XIR parsed); not for Keras.
  static std::vector<Model> load_each(const std::string& path, const std::string& bytes,
                                      const std::vector<ModelOptions>& options);
  // Wraps a graph a loader made; refuses tensors too large to plan. `path` names it in messages.
  static Model from_graph(graph::Graph graph, const std::string& path);

  const std::string& path() const;
  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  // Ops after fusion, by type, in order of first appearance.
  std::vector<std::pair<std::string, int>> op_counts() const;
  // Multiply-adds × 2 of convolutions and fully connected layers, per image.
  double flops_per_image() const;
  // True when the model runs as DPU integer arithmetic (a quantized model, lowered).
  bool is_integer() const;

  const graph::Graph& graph() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dpurun

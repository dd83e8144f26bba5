// The CPU kernel interface. A kernel is made once per plan with everything fixed — shapes with
// the batch resolved, and the addresses of its inputs and output — so run() only computes.
#pragma once

#include <memory>
#include <vector>

#include "graph/graph.h"

namespace dpurun::cpu {

struct KernelArgs {
  const graph::Graph& graph;
  const graph::Node& node;
  std::vector<Shape> input_shapes;  // batch resolved
  Shape output_shape;
  std::vector<const void*> inputs;  // constants point into the graph
  void* output = nullptr;
  // True when the output buffer is the residual input's (Conv2D) or input 0's (elementwise),
  // so that the kernel computes in place.
  bool output_aliases_input = false;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run() = 0;
};

enum class KernelSet {
  kFast,       // oneDNN where it applies, reference kernels elsewhere
  kReference,  // the plain loops only
};

// Reference kernels run every op of the graph.
std::unique_ptr<Kernel> make_reference_kernel(const KernelArgs& args);
// Fast kernels; nullptr when none applies to this node.
std::unique_ptr<Kernel> make_fast_kernel(const KernelArgs& args);

// Which input the output may share a buffer with (-1: none); see KernelArgs.
int inplace_input(const graph::Node& node);

}  // namespace dpurun::cpu

// The CPU kernel interface. A kernel is made once per plan with everything fixed — shapes with
// the batch resolved, and the addresses of its inputs and output — so run() only computes.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "graph/graph.h"

namespace dpurun::cpu {

// 64-byte aligned memory, as the plan's buffers and oneDNN want it.
struct AlignedFree {
  void operator()(std::byte* p) const;
};
using AlignedBytes = std::unique_ptr<std::byte[], AlignedFree>;
AlignedBytes aligned_bytes(std::size_t bytes);  // rounded up to 64

// Temporary memory the kernels of one plan share (they run one after another, never at once):
// each states its size when it is made; the plan then allocates the largest, once.
class Scratchpad {
 public:
  void reserve(std::size_t bytes) { bytes_ = bytes > bytes_ ? bytes : bytes_; }
  void allocate();                 // by the plan, after its kernels are made
  std::byte* data() const;         // valid once allocated
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_ = 0;
  AlignedBytes buffer_;
};

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
  Scratchpad* scratchpad = nullptr;  // the plan's
};

// The sizes of a convolution: Conv2D, DepthwiseConv2D (mult = channel multiplier), and a
// fully connected layer seen as a 1×1 convolution over a 1×1 image (its [K, M] weights are
// HWIO with KH = KW = 1).
struct ConvShape {
  std::int64_t n, h, w, c, kh, kw, oh, ow, oc, mult = 1;
  explicit ConvShape(const KernelArgs& a) {
    const Shape& xs = a.input_shapes[0];
    const Shape& ws = a.input_shapes[1];
    if (a.node.op == graph::OpType::kFullyConnected) {
      n = xs[0], h = w = kh = kw = oh = ow = 1, c = xs[1], oc = a.output_shape[1];
      return;
    }
    n = xs[0], h = xs[1], w = xs[2], c = xs[3], kh = ws[0], kw = ws[1];
    oh = a.output_shape[1], ow = a.output_shape[2], oc = a.output_shape[3];
    if (a.node.op == graph::OpType::kDepthwiseConv2D) mult = ws[3];
  }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run() = 0;
};

}  // namespace dpurun::cpu

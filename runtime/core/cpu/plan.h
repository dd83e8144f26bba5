// A plan runs a graph at one batch size: kernels made, memory laid out, all once.
#pragma once

#include <memory>
#include <vector>

#include "cpu/kernel.h"
#include "dpurun/cpu_executor.h"

namespace dpurun::cpu {

class Plan {
 public:
  Plan(const graph::Graph& g, int batch, KernelChoice kernels);

  // Copies `input` in, runs every kernel, copies the first output out.
  void run(const float* input, float* output);

  std::size_t scratchpad_bytes() const { return scratchpad_.bytes(); }

 private:
  std::vector<AlignedBytes> blocks_;
  Scratchpad scratchpad_;  // before steps_: kernels hold its address
  std::vector<std::unique_ptr<Kernel>> steps_;
  float* input_ = nullptr;
  const float* output_ = nullptr;
  std::size_t input_bytes_ = 0, output_bytes_ = 0;
};

}  // namespace dpurun::cpu

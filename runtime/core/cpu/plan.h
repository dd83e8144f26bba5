// A plan runs a graph at one batch size: kernels made, memory laid out, all once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "cpu/kernel.h"
#include "dpurun/cpu_executor.h"

namespace dpurun::cpu {

// The Quantize node that alone reads the graph's input (an integer model's entry), whose output
// can be given as int8 in place of the float input; nullopt where there is none.
std::optional<std::size_t> int8_input_node(const graph::Graph& g);

class Plan {
 public:
  Plan(const graph::Graph& g, int batch, KernelChoice kernels, bool profile = false);

  // Copies `input` in, runs every kernel, copies the first output out.
  void run(const float* input, float* output);

  // The input as int8, where the graph's input is read only by a Quantize (an integer model):
  // it goes straight to the Quantize's output, whose kernel is skipped. Exact: Quantize of the
  // int8's float value gives the int8 back. Null fix point: this plan cannot.
  std::optional<int> int8_input_fix_point() const { return int8_fix_point_; }
  void run(const std::int8_t* input, float* output);

  std::size_t scratchpad_bytes() const { return scratchpad_.bytes(); }

  // With profiling: each step's kernel name and its time summed over the runs, and the runs'.
  const std::vector<const char*>& step_kernels() const { return step_kernels_; }
  const std::vector<double>& step_seconds() const { return step_seconds_; }
  double run_seconds() const { return run_seconds_; }
  std::int64_t runs() const { return runs_; }

 private:
  void run_steps(std::size_t skip);

  bool profile_ = false;
  std::vector<const char*> step_kernels_;
  std::vector<double> step_seconds_;
  double run_seconds_ = 0;
  std::int64_t runs_ = 0;
  std::vector<AlignedBytes> blocks_;
  Scratchpad scratchpad_;  // before steps_: kernels hold its address
  std::vector<std::unique_ptr<Kernel>> steps_;
  float* input_ = nullptr;
  const float* output_ = nullptr;
  std::size_t input_bytes_ = 0, output_bytes_ = 0;
  std::optional<int> int8_fix_point_;
  std::size_t int8_step_ = 0;  // the input Quantize's kernel
  std::int8_t* int8_input_ = nullptr;
  std::size_t int8_bytes_ = 0;
};

}  // namespace dpurun::cpu

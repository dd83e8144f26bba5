#include "cpu/plan.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cpu/kernels/registry.h"
#include "cpu/memory_planner.h"
#include "dpurun/error.h"

namespace dpurun::cpu {

void AlignedFree::operator()(std::byte* p) const { std::free(p); }

AlignedBytes aligned_bytes(std::size_t bytes) {
  auto* p = static_cast<std::byte*>(std::aligned_alloc(64, std::max<std::size_t>(64, (bytes + 63) / 64 * 64)));
  if (!p) throw std::bad_alloc();
  return AlignedBytes(p);
}

void Scratchpad::allocate() {
  if (bytes_ > 0 && !buffer_) buffer_ = aligned_bytes(bytes_);
}

std::byte* Scratchpad::data() const {
  if (bytes_ > 0 && !buffer_) throw Error(ErrorCode::kInternal, "a kernel ran before its plan's scratchpad was allocated");
  return buffer_.get();
}

std::optional<std::size_t> int8_input_node(const graph::Graph& g) {
  if (g.inputs.size() != 1) return std::nullopt;
  const graph::ValueId in = g.inputs[0];
  std::vector<std::size_t> readers;
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    if (std::count(g.nodes[i].inputs.begin(), g.nodes[i].inputs.end(), in)) readers.push_back(i);
  if (readers.size() != 1 || std::count(g.outputs.begin(), g.outputs.end(), in)) return std::nullopt;
  const graph::Node& q = g.nodes[readers[0]];
  const graph::Value& qv = g.value(q.outputs[0]);
  if (q.op != graph::OpType::kQuantize || qv.type != DataType::kInt8 || !qv.fix) return std::nullopt;
  return readers[0];
}

Plan::Plan(const graph::Graph& g, int batch, KernelChoice kernels, bool profile) : profile_(profile) {
  if (g.inputs.size() != 1 || g.outputs.empty())
    throw Error(ErrorCode::kUnsupported, g.source + ": models with " +
                                             std::to_string(g.inputs.size()) +
                                             " inputs are not supported (one image input expected)");
  auto resolve = [&](const Shape& s) {
    Shape r = s;
    for (auto& d : r)
      if (d < 0) d = batch;
    return r;
  };

  // Buffers: one per block of the memory plan; constants point into the graph.
  const MemoryPlan memory = plan_memory(g, batch, inplace_input);
  std::vector<std::byte*> block_data;
  for (std::size_t bytes : memory.block_bytes) {
    blocks_.push_back(aligned_bytes(bytes));
    block_data.push_back(blocks_.back().get());
  }
  auto data = [&](graph::ValueId v) -> std::byte* {
    const auto& val = g.value(v);
    if (val.is_constant()) return const_cast<std::byte*>(val.data->data());
    return block_data[static_cast<std::size_t>(memory.block_of[static_cast<std::size_t>(v)])];
  };

  graph::ValueId in = g.inputs[0], out = g.outputs[0];
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const graph::Node& node = g.nodes[i];
    graph::ValueId ov = node.outputs[0];
    const bool aliased = memory.in_place[i];
    KernelArgs args{g, node, {}, resolve(g.value(ov).shape), {}, data(ov), aliased, &scratchpad_};
    for (auto v : node.inputs) {
      args.input_shapes.push_back(resolve(g.value(v).shape));
      args.inputs.push_back(data(v));
    }
    const KernelEntry* kernel = choose_kernel(args, kernels);
    if (!kernel)
      throw Error(ErrorCode::kUnsupported, g.source + ": node '" + node.name + "' (" +
                                               graph::to_string(node.op) + ") has no CPU kernel");
    steps_.push_back(kernel->make(args));
    step_kernels_.push_back(kernel->name);
  }
  step_seconds_.assign(steps_.size(), 0.0);
  scratchpad_.allocate();
  if (auto q = int8_input_node(g)) {
    const graph::Value& qv = g.value(g.nodes[*q].outputs[0]);
    int8_fix_point_ = qv.fix->fix_point;
    int8_step_ = *q;
    int8_input_ = reinterpret_cast<std::int8_t*>(data(g.nodes[*q].outputs[0]));
    int8_bytes_ = static_cast<std::size_t>(element_count(qv.shape, batch));
  }
  input_ = reinterpret_cast<float*>(data(in));
  output_ = reinterpret_cast<const float*>(data(out));
  input_bytes_ = static_cast<std::size_t>(element_count(g.value(in).shape, batch)) * sizeof(float);
  output_bytes_ = static_cast<std::size_t>(element_count(g.value(out).shape, batch)) * sizeof(float);
}

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

// Every step but `skip` (steps_.size(): none), timed where profiling.
void Plan::run_steps(std::size_t skip) {
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (i == skip) continue;
    if (!profile_) {
      steps_[i]->run();
      continue;
    }
    const auto t = std::chrono::steady_clock::now();
    steps_[i]->run();
    step_seconds_[i] += seconds_since(t);
  }
}

void Plan::run(const float* input, float* output) {
  const auto t = std::chrono::steady_clock::now();
  std::memcpy(input_, input, input_bytes_);
  run_steps(steps_.size());
  std::memcpy(output, output_, output_bytes_);
  if (profile_) run_seconds_ += seconds_since(t), ++runs_;
}

void Plan::run(const std::int8_t* input, float* output) {
  if (!int8_fix_point_) throw Error(ErrorCode::kInternal, "this plan takes float input");
  const auto t = std::chrono::steady_clock::now();
  std::memcpy(int8_input_, input, int8_bytes_);
  run_steps(int8_step_);
  std::memcpy(output, output_, output_bytes_);
  if (profile_) run_seconds_ += seconds_since(t), ++runs_;
}

}  // namespace dpurun::cpu

#include "cpu/plan.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

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

Plan::Plan(const graph::Graph& g, int batch, KernelChoice kernels) {
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

  // Buffers: one per live value, reused once every reader of the value has run. Values that
  // share a buffer (reshapes, in-place ops) release it together.
  struct Block {
    std::size_t bytes;
    std::byte* data;
    int holders = 0;
  };
  std::vector<Block> pool;
  std::vector<int> block_of(g.values.size(), -1);
  std::vector<int> last_use(g.values.size(), -1);
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    for (auto v : g.nodes[i].inputs) last_use[static_cast<std::size_t>(v)] = static_cast<int>(i);
  for (auto v : g.outputs) last_use[static_cast<std::size_t>(v)] = static_cast<int>(g.nodes.size());

  auto allocate = [&](graph::ValueId v) {
    const auto& val = g.value(v);
    std::size_t bytes =
        static_cast<std::size_t>(element_count(val.shape, batch)) * size_of(val.type);
    int best = -1;
    for (std::size_t b = 0; b < pool.size(); ++b)
      if (pool[b].holders == 0 && pool[b].bytes >= bytes &&
          (best < 0 || pool[b].bytes < pool[static_cast<std::size_t>(best)].bytes))
        best = static_cast<int>(b);
    if (best < 0) {
      std::size_t rounded = std::max<std::size_t>(64, (bytes + 63) / 64 * 64);
      blocks_.push_back(aligned_bytes(rounded));
      std::byte* p = blocks_.back().get();
      pool.push_back({rounded, p, 0});
      best = static_cast<int>(pool.size() - 1);
    }
    pool[static_cast<std::size_t>(best)].holders++;
    block_of[static_cast<std::size_t>(v)] = best;
  };
  auto release = [&](graph::ValueId v) {
    int b = block_of[static_cast<std::size_t>(v)];
    if (b >= 0) pool[static_cast<std::size_t>(b)].holders--;
  };
  auto data = [&](graph::ValueId v) -> std::byte* {
    const auto& val = g.value(v);
    if (val.is_constant()) return const_cast<std::byte*>(val.data->data());
    return pool[static_cast<std::size_t>(block_of[static_cast<std::size_t>(v)])].data;
  };

  graph::ValueId in = g.inputs[0], out = g.outputs[0];
  allocate(in);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const graph::Node& node = g.nodes[i];
    graph::ValueId ov = node.outputs[0];
    int alias = inplace_input(node);
    bool aliased = false;
    if (alias >= 0) {
      graph::ValueId src = node.inputs[static_cast<std::size_t>(alias)];
      int b = block_of[static_cast<std::size_t>(src)];
      // Share the buffer when nobody reads the input after this node and it is the only holder.
      if (b >= 0 && last_use[static_cast<std::size_t>(src)] == static_cast<int>(i) &&
          pool[static_cast<std::size_t>(b)].holders == 1 &&
          std::count(node.inputs.begin(), node.inputs.end(), src) == 1) {
        block_of[static_cast<std::size_t>(ov)] = b;
        pool[static_cast<std::size_t>(b)].holders++;
        aliased = true;
      }
    }
    if (!aliased) allocate(ov);

    KernelArgs args{g, node, {}, resolve(g.value(ov).shape), {}, data(ov), aliased, &scratchpad_};
    for (auto v : node.inputs) {
      args.input_shapes.push_back(resolve(g.value(v).shape));
      args.inputs.push_back(data(v));
    }
    std::unique_ptr<Kernel> k;
    if (kernels == KernelChoice::kFast) k = make_fast_kernel(args);
    if (!k) k = make_reference_kernel(args);
    if (!k)
      throw Error(ErrorCode::kUnsupported, g.source + ": node '" + node.name + "' (" +
                                               graph::to_string(node.op) + ") has no CPU kernel");
    steps_.push_back(std::move(k));

    for (auto v : node.inputs)
      if (last_use[static_cast<std::size_t>(v)] == static_cast<int>(i) && !g.value(v).is_constant())
        release(v);
  }
  scratchpad_.allocate();
  input_ = reinterpret_cast<float*>(data(in));
  output_ = reinterpret_cast<const float*>(data(out));
  input_bytes_ = static_cast<std::size_t>(element_count(g.value(in).shape, batch)) * sizeof(float);
  output_bytes_ = static_cast<std::size_t>(element_count(g.value(out).shape, batch)) * sizeof(float);
}

void Plan::run(const float* input, float* output) {
  std::memcpy(input_, input, input_bytes_);
  for (auto& k : steps_) k->run();
  std::memcpy(output, output_, output_bytes_);
}

}  // namespace dpurun::cpu

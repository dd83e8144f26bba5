#include "cpu/memory_planner.h"

#include <algorithm>

namespace dpurun::cpu {

MemoryPlan plan_memory(const graph::Graph& g, int batch,
                       const std::function<int(const graph::Node&)>& inplace) {
  MemoryPlan plan;
  plan.block_of.assign(g.values.size(), -1);
  plan.in_place.assign(g.nodes.size(), false);
  std::vector<int> holders;  // per block: values holding it now
  std::vector<int> last_use(g.values.size(), -1);
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    for (auto v : g.nodes[i].inputs) last_use[static_cast<std::size_t>(v)] = static_cast<int>(i);
  for (auto v : g.outputs) last_use[static_cast<std::size_t>(v)] = static_cast<int>(g.nodes.size());

  auto allocate = [&](graph::ValueId v) {
    const auto& val = g.value(v);
    std::size_t bytes =
        static_cast<std::size_t>(element_count(val.shape, batch)) * size_of(val.type);
    int best = -1;
    for (std::size_t b = 0; b < plan.block_bytes.size(); ++b)
      if (holders[b] == 0 && plan.block_bytes[b] >= bytes &&
          (best < 0 || plan.block_bytes[b] < plan.block_bytes[static_cast<std::size_t>(best)]))
        best = static_cast<int>(b);
    if (best < 0) {
      plan.block_bytes.push_back(std::max<std::size_t>(64, (bytes + 63) / 64 * 64));
      holders.push_back(0);
      best = static_cast<int>(plan.block_bytes.size() - 1);
    }
    holders[static_cast<std::size_t>(best)]++;
    plan.block_of[static_cast<std::size_t>(v)] = best;
  };
  auto release = [&](graph::ValueId v) {
    int b = plan.block_of[static_cast<std::size_t>(v)];
    if (b >= 0) holders[static_cast<std::size_t>(b)]--;
  };

  if (!g.inputs.empty()) allocate(g.inputs[0]);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const graph::Node& node = g.nodes[i];
    graph::ValueId ov = node.outputs[0];
    int alias = inplace(node);
    if (alias >= 0) {
      graph::ValueId src = node.inputs[static_cast<std::size_t>(alias)];
      int b = plan.block_of[static_cast<std::size_t>(src)];
      // Share the block when nobody reads the input after this node and it is the only holder.
      if (b >= 0 && last_use[static_cast<std::size_t>(src)] == static_cast<int>(i) &&
          holders[static_cast<std::size_t>(b)] == 1 &&
          std::count(node.inputs.begin(), node.inputs.end(), src) == 1) {
        plan.block_of[static_cast<std::size_t>(ov)] = b;
        holders[static_cast<std::size_t>(b)]++;
        plan.in_place[i] = true;
      }
    }
    if (!plan.in_place[i]) allocate(ov);
    // Each input once: a value a node reads twice is released once.
    for (auto it = node.inputs.begin(); it != node.inputs.end(); ++it)
      if (last_use[static_cast<std::size_t>(*it)] == static_cast<int>(i) &&
          !g.value(*it).is_constant() && std::find(node.inputs.begin(), it, *it) == it)
        release(*it);
  }
  return plan;
}

}  // namespace dpurun::cpu

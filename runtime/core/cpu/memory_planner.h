// Where a plan keeps each value: buffers ("blocks") reused once every reader of a value has run,
// and shared in place where a kernel may overwrite its input with its output.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "graph/graph.h"

namespace dpurun::cpu {

struct MemoryPlan {
  std::vector<std::size_t> block_bytes;  // each a multiple of 64, at least 64
  std::vector<int> block_of;             // per value: its block; -1 for constants and unused values
  std::vector<bool> in_place;  // per node: its output shares the block of its in-place input
};

// Plans the non-constant values of `g` at `batch` (open dimensions resolved to it), in node
// order: the graph's first input first, each node's output when the node runs; a value's block
// is free again after its last reader (never for the graph's outputs). A free block is reused
// by the smallest that fits. `inplace(node)` is the input the node's kernel may overwrite, or -1:
// the output then shares that input's block when nothing reads the input later and nothing
// else holds the block.
MemoryPlan plan_memory(const graph::Graph& g, int batch,
                       const std::function<int(const graph::Node&)>& inplace);

}  // namespace dpurun::cpu

// Every CPU kernel in one table, keyed by op, data type and tier: the reference kernels (plain
// loops, the oracle, on every architecture) and the fast ones (oneDNN, portable optimized code),
// each fast kernel with the test of what it supports. Adding a kernel: its file under
// kernels/<op family>/, its factory in kernels.h and one row in registry.cpp.
#pragma once

#include <memory>
#include <vector>

#include "cpu/kernel.h"
#include "dpurun/cpu_executor.h"

namespace dpurun::cpu {

enum class KernelTier { kReference, kFast };

struct KernelEntry {
  graph::OpType op;
  DataType type;  // of the node's output: kFloat32, or kInt8 for the DPU's integer ops
  KernelTier tier;
  const char* name;                          // e.g. "onednn conv", for messages and benchmarks
  bool (*supports)(const KernelArgs& args);  // null: every node of this op and type
  std::unique_ptr<Kernel> (*make)(const KernelArgs& args);
};

const std::vector<KernelEntry>& kernel_table();

// The entry that runs a node: with kFast the first fast entry that supports it, else its
// reference entry; null when there is none.
const KernelEntry* choose_kernel(const KernelArgs& args, KernelChoice choice);

// Which input the output may share a buffer with (-1: none); see KernelArgs.
int inplace_input(const graph::Node& node);

}  // namespace dpurun::cpu

// The fix points of a DPU integer node's inputs and output, as the lowering recorded them.
#pragma once

#include "cpu/kernel.h"

namespace dpurun::cpu {

inline const graph::FixInfo& fix_of(const KernelArgs& a, std::size_t input) {
  return *a.graph.value(a.node.inputs[input]).fix;
}
inline const graph::FixInfo& out_fix(const KernelArgs& a) {
  return *a.graph.value(a.node.outputs[0]).fix;
}

}  // namespace dpurun::cpu

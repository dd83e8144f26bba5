// Portable optimized kernels (plain C++ the compiler vectorizes), for ops oneDNN does not
// cover. Each returns nullptr where it does not apply, and the reference kernel runs.
#pragma once

#include "cpu/kernel.h"

namespace dpurun::cpu::optimized {

std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a);
std::unique_ptr<Kernel> make_quantize(const KernelArgs& a);

}  // namespace dpurun::cpu::optimized

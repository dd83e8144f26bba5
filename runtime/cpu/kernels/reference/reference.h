// The reference kernels: one plain implementation of every op, kept as the oracle for the fast
// kernels and as the portable path on every architecture.
#pragma once

#include "cpu/kernel.h"

namespace dpurun::cpu::reference {

std::unique_ptr<Kernel> make_conv(const KernelArgs& a);  // Conv2D and DepthwiseConv2D
std::unique_ptr<Kernel> make_pool(const KernelArgs& a);
std::unique_ptr<Kernel> make_fully_connected(const KernelArgs& a);
std::unique_ptr<Kernel> make_binary(const KernelArgs& a);
std::unique_ptr<Kernel> make_unary(const KernelArgs& a);
std::unique_ptr<Kernel> make_scale_shift(const KernelArgs& a);
std::unique_ptr<Kernel> make_concat(const KernelArgs& a);
std::unique_ptr<Kernel> make_pad(const KernelArgs& a);
std::unique_ptr<Kernel> make_reshape(const KernelArgs& a);
std::unique_ptr<Kernel> make_mean(const KernelArgs& a);
std::unique_ptr<Kernel> make_softmax(const KernelArgs& a);

}  // namespace dpurun::cpu::reference

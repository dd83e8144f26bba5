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
std::unique_ptr<Kernel> make_prelu(const KernelArgs& a);
std::unique_ptr<Kernel> make_custom(const KernelArgs& a);

// DPU integer ops (fix_ops.cpp).
std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a);  // Conv2D, DepthwiseConv2D, FullyConnected
std::unique_ptr<Kernel> make_pool_fix(const KernelArgs& a);  // Pool and Mean over H, W
std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a);
std::unique_ptr<Kernel> make_unary_fix(const KernelArgs& a);
std::unique_ptr<Kernel> make_convert(const KernelArgs& a);  // Fix, Quantize, Dequantize

}  // namespace dpurun::cpu::reference

// oneDNN kernels: convolutions, pooling and fully connected layers on NHWC data, with bias,
// residual sum and activation fused as post-ops.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "cpu/kernel.h"

namespace dpurun::cpu::onednn {

dnnl::engine& engine();

// Maps a fused activation to a oneDNN post-op; false where oneDNN has none.
bool append_activation(dnnl::post_ops& ops, const graph::ActivationParams& act);

std::unique_ptr<Kernel> make_conv(const KernelArgs& a);
std::unique_ptr<Kernel> make_pool(const KernelArgs& a);
std::unique_ptr<Kernel> make_fully_connected(const KernelArgs& a);
std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a);  // int8 Conv2D, Depthwise, FC

}  // namespace dpurun::cpu::onednn

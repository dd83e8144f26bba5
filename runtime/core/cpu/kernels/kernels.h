// The kernels' factories, by op family (the folders beside this file) and tier (namespace):
// reference (plain loops, the oracle), onednn and optimized (fast). registry.cpp lists them.
#pragma once

#include "cpu/kernel.h"

namespace dpurun::cpu {

namespace reference {
// conv/
std::unique_ptr<Kernel> make_conv(const KernelArgs& a);  // Conv2D and DepthwiseConv2D
std::unique_ptr<Kernel> make_conv_fix(
    const KernelArgs& a);  // int8 Conv2D, DepthwiseConv2D, FullyConnected
// dense/
std::unique_ptr<Kernel> make_fully_connected(const KernelArgs& a);
// pool/
std::unique_ptr<Kernel> make_pool(const KernelArgs& a);
std::unique_ptr<Kernel> make_pool_fix(const KernelArgs& a);  // int8 Pool and Mean over H, W
// elementwise/
std::unique_ptr<Kernel> make_binary(const KernelArgs& a);
std::unique_ptr<Kernel> make_unary(const KernelArgs& a);
std::unique_ptr<Kernel> make_scale_shift(const KernelArgs& a);
std::unique_ptr<Kernel> make_prelu(const KernelArgs& a);
std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a);
std::unique_ptr<Kernel> make_unary_fix(const KernelArgs& a);
// convert/
std::unique_ptr<Kernel> make_convert(const KernelArgs& a);  // Fix, Quantize, Dequantize
// tensor/
std::unique_ptr<Kernel> make_concat(const KernelArgs& a);
std::unique_ptr<Kernel> make_pad(const KernelArgs& a);
std::unique_ptr<Kernel> make_reshape(const KernelArgs& a);
std::unique_ptr<Kernel> make_transpose(const KernelArgs& a);  // and Slice
std::unique_ptr<Kernel> make_resize(const KernelArgs& a);
// reduce/
std::unique_ptr<Kernel> make_mean(const KernelArgs& a);
std::unique_ptr<Kernel> make_softmax(const KernelArgs& a);
// custom/
std::unique_ptr<Kernel> make_custom(const KernelArgs& a);
}  // namespace reference

namespace optimized {  // portable C++ the compiler vectorizes
// elementwise/add_fix_fast.cpp: int8 add whose requantization is an integer shift
bool supports_add_fix(const KernelArgs& a);
std::unique_ptr<Kernel> make_add_fix(const KernelArgs& a);
// convert/quantize_fast.cpp: float → int8 at the DPU's rounding
bool supports_quantize(const KernelArgs& a);
std::unique_ptr<Kernel> make_quantize(const KernelArgs& a);
// elementwise/unary_fix_table.cpp: an int8 activation as a 256-entry table
std::unique_ptr<Kernel> make_unary_fix_table(const KernelArgs& a);
}  // namespace optimized

namespace onednn {  // built where oneDNN is found (DPURUN_HAVE_ONEDNN)
std::unique_ptr<Kernel> make_conv(const KernelArgs& a);             // conv/conv_onednn.cpp
std::unique_ptr<Kernel> make_conv_fix(const KernelArgs& a);         // conv/conv_fix_onednn.cpp
std::unique_ptr<Kernel> make_fully_connected(const KernelArgs& a);  // dense/dense_onednn.cpp
std::unique_ptr<Kernel> make_pool(const KernelArgs& a);             // pool/pool_onednn.cpp
}  // namespace onednn

}  // namespace dpurun::cpu

// Custom ops: the function an application registered (dpurun/custom_op.h), called on float tensors.
#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

class Custom : public Kernel {
 public:
  explicit Custom(const KernelArgs& a) : p_(a.node.p<graph::CustomParams>()) {
    for (const void* in : a.inputs) call_.inputs.push_back(static_cast<const float*>(in));
    call_.input_shapes = a.input_shapes;
    call_.output = static_cast<float*>(a.output);
    call_.output_shape = a.output_shape;
  }
  void run() override { (*p_.fn)(call_); }

 private:
  graph::CustomParams p_;
  CustomOpCall call_;
};

}  // namespace

std::unique_ptr<Kernel> make_custom(const KernelArgs& a) { return std::make_unique<Custom>(a); }

}  // namespace dpurun::cpu::reference

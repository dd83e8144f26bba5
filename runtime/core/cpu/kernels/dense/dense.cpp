// Plain fully connected layer: out[n, m] = act(sum_k x[n, k] w[k, m] + b[m]).
#include "cpu/kernels/activation.h"
#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

class FullyConnected : public Kernel {
 public:
  explicit FullyConnected(const KernelArgs& a)
      : p_(a.node.p<graph::FullyConnectedParams>()),
        x_(static_cast<const float*>(a.inputs[0])),
        w_(static_cast<const float*>(a.inputs[1])),
        b_(p_.has_bias ? static_cast<const float*>(a.inputs[2]) : nullptr),
        out_(static_cast<float*>(a.output)),
        n_(a.input_shapes[0][0]),
        k_(a.input_shapes[0][1]),
        m_(a.output_shape[1]) {}

  void run() override {
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t n = 0; n < n_; ++n)
      for (std::int64_t m = 0; m < m_; ++m) {
        double acc = b_ ? b_[m] : 0.0;
        for (std::int64_t k = 0; k < k_; ++k) acc += double(x_[n * k_ + k]) * w_[k * m_ + m];
        out_[n * m_ + m] = activate(static_cast<float>(acc), p_.act);
      }
  }

 private:
  graph::FullyConnectedParams p_;
  const float* x_;
  const float* w_;
  const float* b_;
  float* out_;
  std::int64_t n_, k_, m_;
};

}  // namespace

std::unique_ptr<Kernel> make_fully_connected(const KernelArgs& a) {
  return std::make_unique<FullyConnected>(a);
}

}  // namespace dpurun::cpu::reference

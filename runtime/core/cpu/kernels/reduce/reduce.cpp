// Plain reductions: mean, sum, max or product over axes; softmax over the last axis.
#include <algorithm>
#include <cmath>

#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

class Mean : public Kernel {
 public:
  explicit Mean(const KernelArgs& a)
      : x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        xs_(a.input_shapes[0]),
        axes_(a.node.p<graph::MeanParams>().axes),
        kind_(a.node.p<graph::MeanParams>().kind) {
    reduced_ = 1;
    for (int ax : axes_) reduced_ *= xs_[static_cast<std::size_t>(ax)];
  }

  void run() override {
    // Output index i walks the kept dimensions in order; the reduced ones are summed.
    std::vector<std::int64_t> kept, reduced;
    for (std::size_t d = 0; d < xs_.size(); ++d)
      (std::find(axes_.begin(), axes_.end(), static_cast<int>(d)) != axes_.end() ? reduced : kept)
          .push_back(static_cast<std::int64_t>(d));
    std::vector<std::int64_t> strides(xs_.size(), 1);
    for (std::size_t d = xs_.size() - 1; d-- > 0;) strides[d] = strides[d + 1] * xs_[d + 1];
    std::int64_t out_count = element_count(xs_) / reduced_;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < out_count; ++i) {
      std::int64_t base = 0, rem = i;
      for (std::size_t k = kept.size(); k-- > 0;) {
        auto d = static_cast<std::size_t>(kept[k]);
        base += (rem % xs_[d]) * strides[d];
        rem /= xs_[d];
      }
      double acc = kind_ == graph::ReduceKind::kProduct ? 1.0 : kind_ == graph::ReduceKind::kMax ? -INFINITY : 0.0;
      for (std::int64_t j = 0; j < reduced_; ++j) {
        std::int64_t off = 0, r = j;
        for (std::size_t k = reduced.size(); k-- > 0;) {
          auto d = static_cast<std::size_t>(reduced[k]);
          off += (r % xs_[d]) * strides[d];
          r /= xs_[d];
        }
        const double v = x_[base + off];
        switch (kind_) {
          case graph::ReduceKind::kMax: acc = std::max(acc, v); break;
          case graph::ReduceKind::kProduct: acc *= v; break;
          default: acc += v;
        }
      }
      out_[i] = static_cast<float>(kind_ == graph::ReduceKind::kMean ? acc / double(reduced_) : acc);
    }
  }

 private:
  const float* x_;
  float* out_;
  Shape xs_;
  std::vector<int> axes_;
  graph::ReduceKind kind_;
  std::int64_t reduced_;
};

class Softmax : public Kernel {
 public:
  explicit Softmax(const KernelArgs& a)
      : x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        classes_(a.output_shape.back()),
        rows_(element_count(a.output_shape) / a.output_shape.back()) {}

  void run() override {
    for (std::int64_t r = 0; r < rows_; ++r) {
      const float* x = x_ + r * classes_;
      float* y = out_ + r * classes_;
      float max = *std::max_element(x, x + classes_);
      double sum = 0;
      for (std::int64_t c = 0; c < classes_; ++c) sum += y[c] = std::exp(x[c] - max);
      for (std::int64_t c = 0; c < classes_; ++c) y[c] = static_cast<float>(y[c] / sum);
    }
  }

 private:
  const float* x_;
  float* out_;
  std::int64_t classes_, rows_;
};

}  // namespace

std::unique_ptr<Kernel> make_mean(const KernelArgs& a) { return std::make_unique<Mean>(a); }
std::unique_ptr<Kernel> make_softmax(const KernelArgs& a) { return std::make_unique<Softmax>(a); }

}  // namespace dpurun::cpu::reference

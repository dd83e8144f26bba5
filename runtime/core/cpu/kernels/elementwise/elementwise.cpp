// Plain elementwise ops: binary with numpy broadcasting, activations, per-channel scale-shift.
#include <algorithm>

#include "cpu/kernels/activation.h"
#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

// Strides of `s` aligned to the last dims of `out`, 0 where `s` broadcasts.
std::vector<std::int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<std::int64_t> strides(out.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t d = s.size(); d-- > 0;) {
    std::size_t od = d + out.size() - s.size();
    strides[od] = s[d] == 1 ? 0 : stride;
    stride *= s[d];
  }
  return strides;
}

class Binary : public Kernel {
 public:
  explicit Binary(const KernelArgs& a)
      : kind_(a.node.p<graph::BinaryParams>().kind),
        act_(a.node.p<graph::BinaryParams>().act),
        a_(static_cast<const float*>(a.inputs[0])),
        b_(static_cast<const float*>(a.inputs[1])),
        out_(static_cast<float*>(a.output)),
        shape_(a.output_shape),
        sa_(broadcast_strides(a.input_shapes[0], a.output_shape)),
        sb_(broadcast_strides(a.input_shapes[1], a.output_shape)) {}

  // Row by row over the last dimension: the outer index math once a row.
  void run() override {
    if (shape_.empty()) return one(0, 0, 0);
    const std::int64_t inner = shape_.back(), rows = element_count(shape_) / std::max<std::int64_t>(inner, 1);
    const std::int64_t step_a = sa_.back(), step_b = sb_.back();
#pragma omp parallel for schedule(static)
    for (std::int64_t row = 0; row < rows; ++row) {
      std::int64_t rem = row, ia = 0, ib = 0;
      for (std::size_t d = shape_.size() - 1; d-- > 0;) {
        std::int64_t pos = rem % shape_[d];
        rem /= shape_[d];
        ia += pos * sa_[d];
        ib += pos * sb_[d];
      }
      for (std::int64_t j = 0; j < inner; ++j) one(row * inner + j, ia + j * step_a, ib + j * step_b);
    }
  }

 private:
  void one(std::int64_t i, std::int64_t ia, std::int64_t ib) {
    float x = a_[ia], y = b_[ib], r = 0.f;
    switch (kind_) {
      case graph::BinaryKind::kAdd: r = x + y; break;
      case graph::BinaryKind::kSub: r = x - y; break;
      case graph::BinaryKind::kMul: r = x * y; break;
      case graph::BinaryKind::kDiv: r = x / y; break;
    }
    out_[i] = activate(r, act_);
  }

  graph::BinaryKind kind_;
  graph::ActivationParams act_;
  const float* a_;
  const float* b_;
  float* out_;
  Shape shape_;
  std::vector<std::int64_t> sa_, sb_;
};

class Unary : public Kernel {
 public:
  explicit Unary(const KernelArgs& a)
      : act_(a.node.p<graph::UnaryParams>().act),
        x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        total_(element_count(a.output_shape)) {}

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < total_; ++i) out_[i] = activate(x_[i], act_);
  }

 private:
  graph::ActivationParams act_;
  const float* x_;
  float* out_;
  std::int64_t total_;
};

class ScaleShift : public Kernel {
 public:
  explicit ScaleShift(const KernelArgs& a)
      : act_(a.node.p<graph::ScaleShiftParams>().act),
        x_(static_cast<const float*>(a.inputs[0])),
        scale_(static_cast<const float*>(a.inputs[1])),
        shift_(static_cast<const float*>(a.inputs[2])),
        out_(static_cast<float*>(a.output)),
        channels_(a.output_shape.back()),
        rows_(element_count(a.output_shape) / a.output_shape.back()) {}

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows_; ++r)
      for (std::int64_t c = 0; c < channels_; ++c) {
        std::int64_t i = r * channels_ + c;
        out_[i] = activate(x_[i] * scale_[c] + shift_[c], act_);
      }
  }

 private:
  graph::ActivationParams act_;
  const float* x_;
  const float* scale_;
  const float* shift_;
  float* out_;
  std::int64_t channels_, rows_;
};

class PRelu : public Kernel {
 public:
  explicit PRelu(const KernelArgs& a)
      : x_(static_cast<const float*>(a.inputs[0])),
        alpha_(static_cast<const float*>(a.inputs[1])),
        out_(static_cast<float*>(a.output)),
        channels_(a.output_shape.back()),
        rows_(element_count(a.output_shape) / a.output_shape.back()) {}

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows_; ++r)
      for (std::int64_t c = 0; c < channels_; ++c) {
        float v = x_[r * channels_ + c];
        out_[r * channels_ + c] = v >= 0.f ? v : alpha_[c] * v;
      }
  }

 private:
  const float* x_;
  const float* alpha_;
  float* out_;
  std::int64_t channels_, rows_;
};

}  // namespace

std::unique_ptr<Kernel> make_prelu(const KernelArgs& a) { return std::make_unique<PRelu>(a); }

std::unique_ptr<Kernel> make_binary(const KernelArgs& a) { return std::make_unique<Binary>(a); }
std::unique_ptr<Kernel> make_unary(const KernelArgs& a) { return std::make_unique<Unary>(a); }
std::unique_ptr<Kernel> make_scale_shift(const KernelArgs& a) {
  return std::make_unique<ScaleShift>(a);
}

}  // namespace dpurun::cpu::reference

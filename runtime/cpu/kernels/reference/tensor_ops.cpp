// Plain data movement: concat, pad, reshape.
#include <algorithm>
#include <cstring>

#include "cpu/kernels/reference/reference.h"

namespace dpurun::cpu::reference {
namespace {

class Concat : public Kernel {
 public:
  explicit Concat(const KernelArgs& a) : out_(static_cast<float*>(a.output)) {
    int axis = a.node.p<graph::ConcatParams>().axis;
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= a.output_shape[static_cast<std::size_t>(d)];
    for (std::size_t i = 0; i < a.inputs.size(); ++i) {
      std::int64_t inner = 1;
      for (std::size_t d = static_cast<std::size_t>(axis); d < a.input_shapes[i].size(); ++d)
        inner *= a.input_shapes[i][d];
      parts_.push_back({static_cast<const float*>(a.inputs[i]), inner});
      row_ += inner;
    }
  }

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t o = 0; o < outer_; ++o) {
      float* dst = out_ + o * row_;
      for (const auto& [src, inner] : parts_) {
        std::memcpy(dst, src + o * inner, static_cast<std::size_t>(inner) * sizeof(float));
        dst += inner;
      }
    }
  }

 private:
  float* out_;
  std::int64_t outer_ = 1, row_ = 0;
  std::vector<std::pair<const float*, std::int64_t>> parts_;
};

class Pad : public Kernel {
 public:
  explicit Pad(const KernelArgs& a)
      : p_(a.node.p<graph::PadParams>()),
        x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        xs_(a.input_shapes[0]),
        os_(a.output_shape) {}

  void run() override {
    std::int64_t total = element_count(os_);
    std::size_t rank = os_.size();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < total; ++i) {
      std::int64_t rem = i, src = 0, stride = 1;
      bool inside = true;
      for (std::size_t d = rank; d-- > 0;) {
        std::int64_t pos = rem % os_[d] - p_.pads[d][0];
        rem /= os_[d];
        if (pos < 0 || pos >= xs_[d]) inside = false;
        src += pos * stride;
        stride *= xs_[d];
      }
      out_[i] = inside ? x_[src] : p_.value;
    }
  }

 private:
  graph::PadParams p_;
  const float* x_;
  float* out_;
  Shape xs_, os_;
};

class Copy : public Kernel {
 public:
  explicit Copy(const KernelArgs& a)
      : x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        bytes_(static_cast<std::size_t>(element_count(a.output_shape)) * sizeof(float)) {}
  void run() override {
    if (out_ != x_) std::memcpy(out_, x_, bytes_);
  }

 private:
  const float* x_;
  float* out_;
  std::size_t bytes_;
};

}  // namespace

std::unique_ptr<Kernel> make_concat(const KernelArgs& a) { return std::make_unique<Concat>(a); }
std::unique_ptr<Kernel> make_pad(const KernelArgs& a) { return std::make_unique<Pad>(a); }
std::unique_ptr<Kernel> make_reshape(const KernelArgs& a) { return std::make_unique<Copy>(a); }

}  // namespace dpurun::cpu::reference

// Plain data movement: concat, pad, reshape, transpose; for any element type (float or int8).
#include <algorithm>
#include <cstring>

#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

std::size_t element_size(const KernelArgs& a) {
  return size_of(a.graph.value(a.node.outputs[0]).type);
}

class Concat : public Kernel {
 public:
  explicit Concat(const KernelArgs& a) : out_(static_cast<std::byte*>(a.output)) {
    const auto es = static_cast<std::int64_t>(element_size(a));
    int axis = a.node.p<graph::ConcatParams>().axis;
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= a.output_shape[static_cast<std::size_t>(d)];
    for (std::size_t i = 0; i < a.inputs.size(); ++i) {
      std::int64_t inner = es;
      for (std::size_t d = static_cast<std::size_t>(axis); d < a.input_shapes[i].size(); ++d)
        inner *= a.input_shapes[i][d];
      parts_.push_back({static_cast<const std::byte*>(a.inputs[i]), inner});
      row_ += inner;
    }
  }

  void run() override {
#pragma omp parallel for schedule(static)
    for (std::int64_t o = 0; o < outer_; ++o) {
      std::byte* dst = out_ + o * row_;
      for (const auto& [src, inner] : parts_) {
        std::memcpy(dst, src + o * inner, static_cast<std::size_t>(inner));
        dst += inner;
      }
    }
  }

 private:
  std::byte* out_;
  std::int64_t outer_ = 1, row_ = 0;  // row_ and the parts' sizes in bytes
  std::vector<std::pair<const std::byte*, std::int64_t>> parts_;
};

template <typename T>
class Pad : public Kernel {
 public:
  explicit Pad(const KernelArgs& a)
      : p_(a.node.p<graph::PadParams>()),
        x_(static_cast<const T*>(a.inputs[0])),
        out_(static_cast<T*>(a.output)),
        xs_(a.input_shapes[0]),
        os_(a.output_shape) {
    step_.assign(os_.size(), 1);
    for (std::size_t d = 0; d < p_.interior.size() && d < step_.size(); ++d) step_[d] += p_.interior[d];
  }

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
        if (pos < 0 || pos % step_[d] != 0) inside = false;
        pos /= step_[d];
        if (pos >= xs_[d]) inside = false;
        src += pos * stride;
        stride *= xs_[d];
      }
      out_[i] = inside ? x_[src] : static_cast<T>(p_.value);
    }
  }

 private:
  graph::PadParams p_;
  const T* x_;
  T* out_;
  Shape xs_, os_;
  std::vector<std::int64_t> step_;  // 1 + the interior pad, per dimension
};

// Transpose and Slice: each output element is the input's at offset_ + Σ index_d · strides_[d].
// Any element size: bytes move, values do not change.
class StridedView : public Kernel {
 public:
  explicit StridedView(const KernelArgs& a)
      : x_(static_cast<const std::byte*>(a.inputs[0])),
        out_(static_cast<std::byte*>(a.output)),
        es_(element_size(a)),
        os_(a.output_shape) {
    const Shape& xs = a.input_shapes[0];
    std::vector<std::int64_t> in_strides(xs.size(), 1);
    for (std::size_t d = xs.size() - 1; d-- > 0;) in_strides[d] = in_strides[d + 1] * xs[d + 1];
    if (a.node.op == graph::OpType::kTranspose) {
      for (int p : a.node.p<graph::TransposeParams>().perm) strides_.push_back(in_strides[static_cast<std::size_t>(p)]);
    } else {
      const auto& p = a.node.p<graph::SliceParams>();
      for (std::size_t d = 0; d < xs.size(); ++d) {
        strides_.push_back(in_strides[d] * p.step[d]);
        offset_ += p.begin[d] * in_strides[d];
      }
    }
  }

  // Row by row over the last output dimension: the index math once a row.
  void run() override {
    if (os_.empty()) {  // a scalar
      std::memcpy(out_, x_ + offset_ * static_cast<std::int64_t>(es_), es_);
      return;
    }
    const std::int64_t inner = os_.back(), rows = inner ? element_count(os_) / inner : 0;
    const auto es = static_cast<std::int64_t>(es_);
    const std::int64_t step = strides_.back() * es;
#pragma omp parallel for schedule(static)
    for (std::int64_t row = 0; row < rows; ++row) {
      std::int64_t rem = row, src = offset_;
      for (std::size_t d = os_.size() - 1; d-- > 0;) {
        src += (rem % os_[d]) * strides_[d];
        rem /= os_[d];
      }
      const std::byte* from = x_ + src * es;
      std::byte* to = out_ + row * inner * es;
      if (es == 1) {
        for (std::int64_t j = 0; j < inner; ++j) to[j] = from[j * step];
      } else if (es == 4) {
        for (std::int64_t j = 0; j < inner; ++j) std::memcpy(to + 4 * j, from + j * step, 4);
      } else {
        for (std::int64_t j = 0; j < inner; ++j) std::memcpy(to + j * es, from + j * step, es_);
      }
    }
  }

 private:
  const std::byte* x_;
  std::byte* out_;
  std::size_t es_;
  Shape os_;
  std::vector<std::int64_t> strides_;  // per output dimension: its input stride, in elements
  std::int64_t offset_ = 0;            // of the first element, in elements
};

class Copy : public Kernel {
 public:
  explicit Copy(const KernelArgs& a)
      : x_(a.inputs[0]),
        out_(a.output),
        bytes_(static_cast<std::size_t>(element_count(a.output_shape)) * element_size(a)) {}
  void run() override {
    if (out_ != x_) std::memcpy(out_, x_, bytes_);
  }

 private:
  const void* x_;
  void* out_;
  std::size_t bytes_;
};

}  // namespace

std::unique_ptr<Kernel> make_concat(const KernelArgs& a) { return std::make_unique<Concat>(a); }
std::unique_ptr<Kernel> make_pad(const KernelArgs& a) {
  if (element_size(a) == 1) return std::make_unique<Pad<std::int8_t>>(a);  // pads with integer 0
  return std::make_unique<Pad<float>>(a);
}
std::unique_ptr<Kernel> make_reshape(const KernelArgs& a) { return std::make_unique<Copy>(a); }
std::unique_ptr<Kernel> make_transpose(const KernelArgs& a) { return std::make_unique<StridedView>(a); }

}  // namespace dpurun::cpu::reference

// Nearest and bilinear resize of H and W (NHWC, float), with PyTorch's arithmetic: the source
// position and the weights in float, the four neighbours blended as
// (1 − ly)·((1 − lx)·a + lx·b) + ly·((1 − lx)·c + lx·d).
#include <algorithm>
#include <cmath>

#include "cpu/kernels/kernels.h"

namespace dpurun::cpu::reference {
namespace {

// Per output index along one axis: the two source indices and the second one's weight.
struct Tap {
  std::int64_t i0, i1;
  float w1;
};

std::vector<Tap> taps(std::int64_t in, std::int64_t out, const graph::ResizeParams& p) {
  std::vector<Tap> t(static_cast<std::size_t>(out));
  const float ratio = p.align_corners ? (out > 1 ? float(in - 1) / float(out - 1) : 0.f) : float(in) / float(out);
  for (std::int64_t d = 0; d < out; ++d) {
    float src = p.align_corners ? ratio * float(d) : p.half_pixel_centers ? ratio * (float(d) + 0.5f) - 0.5f : ratio * float(d);
    Tap& k = t[static_cast<std::size_t>(d)];
    if (!p.bilinear) {  // nearest: PyTorch's floor, or the rounded position with aligned corners
      std::int64_t i = p.align_corners ? std::lround(src)
                                       : static_cast<std::int64_t>(std::floor(p.half_pixel_centers ? src + 0.5f : src));
      k = {std::clamp<std::int64_t>(i, 0, in - 1), 0, 0.f};
      continue;
    }
    src = std::max(src, 0.f);
    const auto i0 = std::min(static_cast<std::int64_t>(src), in - 1);
    k = {i0, std::min(i0 + 1, in - 1), src - float(i0)};
  }
  return t;
}

class Resize : public Kernel {
 public:
  explicit Resize(const KernelArgs& a)
      : x_(static_cast<const float*>(a.inputs[0])),
        out_(static_cast<float*>(a.output)),
        xs_(a.input_shapes[0]),
        os_(a.output_shape),
        bilinear_(a.node.p<graph::ResizeParams>().bilinear),
        ty_(taps(xs_[1], os_[1], a.node.p<graph::ResizeParams>())),
        tx_(taps(xs_[2], os_[2], a.node.p<graph::ResizeParams>())) {}

  void run() override {
    const std::int64_t n = os_[0], oh = os_[1], ow = os_[2], c = os_[3], ih = xs_[1], iw = xs_[2];
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t b = 0; b < n; ++b)
      for (std::int64_t y = 0; y < oh; ++y) {
        const Tap& ky = ty_[static_cast<std::size_t>(y)];
        const float* row0 = x_ + (b * ih + ky.i0) * iw * c;
        const float* row1 = x_ + (b * ih + ky.i1) * iw * c;
        float* o = out_ + ((b * oh + y) * ow) * c;
        for (std::int64_t x = 0; x < ow; ++x) {
          const Tap& kx = tx_[static_cast<std::size_t>(x)];
          for (std::int64_t ch = 0; ch < c; ++ch) {
            if (!bilinear_) {
              o[x * c + ch] = row0[kx.i0 * c + ch];
              continue;
            }
            const float a = row0[kx.i0 * c + ch], bb = row0[kx.i1 * c + ch];
            const float cc = row1[kx.i0 * c + ch], d = row1[kx.i1 * c + ch];
            const float w0x = 1.f - kx.w1, w0y = 1.f - ky.w1;
            o[x * c + ch] = w0y * (w0x * a + kx.w1 * bb) + ky.w1 * (w0x * cc + kx.w1 * d);
          }
        }
      }
  }

 private:
  const float* x_;
  float* out_;
  Shape xs_, os_;
  bool bilinear_;
  std::vector<Tap> ty_, tx_;
};

}  // namespace

std::unique_ptr<Kernel> make_resize(const KernelArgs& a) { return std::make_unique<Resize>(a); }

}  // namespace dpurun::cpu::reference

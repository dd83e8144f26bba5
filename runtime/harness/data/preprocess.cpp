#include "data/preprocess.h"

#include <array>
#include <cmath>
#include <cstring>
#include <vector>
#include <opencv2/imgproc.hpp>

#include "data/decode.h"
#include "dpurun/error.h"
#include "dpurun/runner.h"

namespace dpurun::data {
namespace {

int interpolation_flag(Preprocessing::Interpolation i) {
  switch (i) {
    case Preprocessing::Interpolation::kNearest: return cv::INTER_NEAREST;
    case Preprocessing::Interpolation::kLinear: return cv::INTER_LINEAR;
    case Preprocessing::Interpolation::kArea: return cv::INTER_AREA;
    case Preprocessing::Interpolation::kCubic: return cv::INTER_CUBIC;
  }
  return cv::INTER_LINEAR;
}

// The per-channel affine map, x = pixel * mul + add; the reference loops and the tables both
// compute it here, so that they round (or contract to a fused multiply-add) alike.
float affine(int pixel, float mul, float add) { return static_cast<float>(pixel) * mul + add; }

struct Affine {
  int channels = 0;
  float mul[3] = {}, add[3] = {};
  bool operator==(const Affine&) const = default;
};

Affine affine_of(const Preprocessing& pre, int c) {
  Affine a;
  a.channels = c;
  for (int k = 0; k < c; ++k) {
    a.mul[k] = pre.scale / pre.std[static_cast<std::size_t>(k)];
    a.add[k] = -pre.mean[static_cast<std::size_t>(k)] / pre.std[static_cast<std::size_t>(k)];
  }
  return a;
}

// The manifest's checks, colour conversion and resize: the image the pixel loops read. Where no
// resize is asked for, BGR→RGB is left to the loops (`swap`) rather than copied by cvtColor.
cv::Mat prepare(cv::Mat img, const std::string& name, const Preprocessing& pre, const Shape& hwc,
                bool allow_swap, bool& swap) {
  using Order = Preprocessing::ChannelOrder;
  int want_c = pre.channel_order == Order::kGray ? 1 : 3;
  if (hwc.size() != 3 || hwc[2] != want_c)
    throw Error(ErrorCode::kInvalidArgument,
                "the model's input " + to_string(hwc) + " does not take " +
                    std::to_string(want_c) + "-channel images (manifest channel_order); " +
                    "use a manifest that matches the model, or --data random:N for random input tensors");
  swap = false;
  bool resizing = pre.resize_height > 0 && (img.rows != pre.resize_height || img.cols != pre.resize_width);
  // Never in place: `img` may be a cached image that other threads read.
  auto convert_color = [&] {
    cv::Mat converted;
    if (pre.channel_order == Order::kGray && img.channels() == 3)
      cv::cvtColor(img, converted, cv::COLOR_BGR2GRAY), img = converted;
    else if (pre.channel_order == Order::kRGB && allow_swap && !resizing && img.channels() == 3)
      swap = true;
    else if (pre.channel_order == Order::kRGB)
      cv::cvtColor(img, converted, cv::COLOR_BGR2RGB), img = converted;
  };
  auto resize = [&] {
    if (!resizing) return;
    cv::Mat resized;
    cv::resize(img, resized, cv::Size(pre.resize_width, pre.resize_height), 0, 0,
               interpolation_flag(pre.resize_interpolation));
    img = resized;
  };
  if (pre.resize_before_color) resize(), convert_color();
  else convert_color(), resize();
  if (img.rows != hwc[0] || img.cols != hwc[1])
    throw Error(ErrorCode::kInvalidData,
                name + ": image is " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
                    " but the model takes " + std::to_string(hwc[1]) + "x" +
                    std::to_string(hwc[0]) + "; set preprocess.resize in the manifest or use " +
                    "data of the model's size");
  return img;
}

// tf.image.per_image_standardization in double: the mean, then the squared deviations, in order.
void standardize_reference(float* out, std::size_t n) {
  double sum = 0, sq = 0;
  for (std::size_t k = 0; k < n; ++k) sum += out[k];
  double mean = sum / double(n);
  for (std::size_t k = 0; k < n; ++k) sq += (out[k] - mean) * (out[k] - mean);
  double stddev = std::max(std::sqrt(sq / double(n)), 1.0 / std::sqrt(double(n)));
  auto m = static_cast<float>(mean), inv = static_cast<float>(1.0 / stddev);
  for (std::size_t k = 0; k < n; ++k) out[k] = (out[k] - m) * inv;
}

// Each channel's 256 values, and the same as integers on the finest grid they share, 2^-bits:
// on that grid sums of up to 2^53 / max units are exact in double, in any order.
struct Tables {
  Affine affine;
  float value[3][256];
  std::int64_t grid[3][256];
  int bits = 0;
  std::int64_t max_grid = 0;
  bool on_grid = false;
  // Every channel's grid values are h + g·pixel (scale 1 and no mean, say): then the sums need
  // only the sums of the bytes and of their squares.
  bool linear = false;
  std::int64_t g = 0, h = 0;
};

const Tables& tables_for(const Affine& a) {
  thread_local Tables t;
  thread_local bool made = false;
  if (made && t.affine == a) return t;
  t.affine = a;
  int bits = 0;
  float max_abs = 0;
  bool finite = true;
  for (int k = 0; k < a.channels; ++k)
    for (int v = 0; v < 256; ++v) {
      float x = affine(v, a.mul[k], a.add[k]);
      t.value[k][v] = x;
      finite = finite && std::isfinite(x);
      if (x == 0 || !std::isfinite(x)) continue;
      int e = 0;
      auto mantissa = static_cast<std::int64_t>(std::ldexp(std::frexp(x, &e), 24));  // x = mantissa·2^(e-24)
      int lowest = e - 24 + __builtin_ctzll(static_cast<unsigned long long>(mantissa < 0 ? -mantissa : mantissa));
      bits = std::max(bits, -lowest);
      max_abs = std::max(max_abs, std::fabs(x));
    }
  // A grid no finer than 2^-62 and values under 2^40 units: products with counts and squares fit.
  t.on_grid = finite && bits <= 62 && std::ldexp(double(max_abs), bits) < 0x1p40;
  t.bits = bits;
  t.max_grid = 0;
  if (t.on_grid)
    for (int k = 0; k < a.channels; ++k)
      for (int v = 0; v < 256; ++v) {
        t.grid[k][v] = static_cast<std::int64_t>(std::ldexp(double(t.value[k][v]), bits));
        t.max_grid = std::max(t.max_grid, t.grid[k][v] < 0 ? -t.grid[k][v] : t.grid[k][v]);
      }
  t.linear = t.on_grid;
  t.h = t.grid[0][0], t.g = t.grid[0][1] - t.grid[0][0];
  for (int k = 0; k < a.channels && t.linear; ++k)
    for (int v = 0; v < 256 && t.linear; ++v) t.linear = t.grid[k][v] == t.h + t.g * v;
  made = true;
  return t;
}

// The standardisation's mean and 1/stddev, from the exact sums of the values and their squares
// on the grid: the sum is exact, so the mean is the reference's to the bit; the sum of squared
// deviations is exact before its one rounding, where the reference rounds at every step
// (tests/data/decode_test.cpp: the same floats on every CIFAR-10 test image). False where the
// values are not on a grid.
bool standardization(const cv::Mat& img, const Tables& t, bool swap, float& m, float& inv) {
  const int c = img.channels();
  const std::size_t n = std::size_t(img.total()) * c, row_bytes = std::size_t(img.cols) * c;
  if (!t.on_grid || double(n) * double(t.max_grid) >= 0x1p53) return false;
  std::int64_t s1 = 0;
  __int128 s2 = 0;
  if (t.linear) {  // sums of bytes, in 32-bit lanes over chunks that cannot overflow them
    std::uint64_t sp = 0, spp = 0;
    for (int y = 0; y < img.rows; ++y) {
      const std::uint8_t* row = img.ptr<std::uint8_t>(y);
      for (std::size_t at = 0; at < row_bytes; at += 16384) {
        std::uint32_t a = 0, b = 0;
        for (std::size_t i = at, end = std::min(row_bytes, at + 16384); i < end; ++i)
          a += row[i], b += std::uint32_t{row[i]} * row[i];
        sp += a, spp += b;
      }
    }
    s1 = t.g * std::int64_t(sp) + std::int64_t(n) * t.h;
    s2 = __int128(t.g) * t.g * spp + __int128(2 * t.g) * t.h * sp + __int128(n) * t.h * t.h;
  } else {  // each channel's histogram, in two halves (even and odd pixels) to keep the
            // increments of neighbouring equal pixels apart
    std::uint32_t hist[2][3][256] = {};
    const int src[3] = {swap ? 2 : 0, 1, swap ? 0 : 2};
    for (int y = 0; y < img.rows; ++y) {
      const std::uint8_t* row = img.ptr<std::uint8_t>(y);
      for (int x = 0; x < img.cols; ++x, row += c)
        for (int k = 0; k < c; ++k) ++hist[x & 1][k][row[src[k]]];
    }
    for (int k = 0; k < c; ++k)
      for (int v = 0; v < 256; ++v) {
        const std::uint32_t count = hist[0][k][v] + hist[1][k][v];
        if (!count) continue;
        s1 += std::int64_t{count} * t.grid[k][v];
        s2 += __int128{count} * (__int128{t.grid[k][v]} * t.grid[k][v]);
      }
  }
  double mean = std::ldexp(double(s1), -t.bits) / double(n);
  __int128 num = __int128(n) * s2 - __int128(s1) * s1;  // n² × variance, on the grid squared
  double sq = std::ldexp(double(num), -2 * t.bits) / double(n);
  double stddev = std::max(std::sqrt(sq / double(n)), 1.0 / std::sqrt(double(n)));
  m = static_cast<float>(mean), inv = static_cast<float>(1.0 / stddev);
  return true;
}

// Each pixel's value from its channel's table; output channel k reads source channel src[k]
// (BGR→RGB where `swap`).
template <typename T>
void map_pixels(const cv::Mat& img, const T (*table)[256], bool swap, T* out) {
  const int c = img.channels();
  const int src[3] = {swap ? 2 : 0, 1, swap ? 0 : 2};
  for (int y = 0; y < img.rows; ++y) {
    const std::uint8_t* row = img.ptr<std::uint8_t>(y);
    if (c == 3) {
      for (int x = 0; x < img.cols; ++x, row += 3, out += 3)
        out[0] = table[0][row[src[0]]], out[1] = table[1][row[1]], out[2] = table[2][row[src[2]]];
    } else {
      for (int x = 0; x < img.cols; ++x) *out++ = table[0][row[x]];
    }
  }
}

}  // namespace

void preprocess_image_reference(cv::Mat img, const std::string& name, const Preprocessing& pre,
                                const Shape& hwc, float* out) {
  bool swap = false;
  img = prepare(img, name, pre, hwc, false, swap);
  const int c = img.channels();
  const Affine a = affine_of(pre, c);
  float* o = out;
  for (int y = 0; y < img.rows; ++y) {
    const std::uint8_t* row = img.ptr<std::uint8_t>(y);
    for (int x = 0; x < img.cols; ++x, row += c)
      for (int k = 0; k < c; ++k) *o++ = affine(row[k], a.mul[k], a.add[k]);
  }
  if (pre.per_image_standardization) standardize_reference(out, std::size_t(img.total()) * c);
}

void preprocess_image(cv::Mat img, const std::string& name, const Preprocessing& pre, const Shape& hwc,
                      float* out) {
  bool swap = false;
  img = prepare(img, name, pre, hwc, true, swap);
  if (img.depth() != CV_8U) return preprocess_image_reference(img, name, pre, hwc, out);
  const Tables& t = tables_for(affine_of(pre, img.channels()));
  const std::size_t n = std::size_t(img.total()) * img.channels();
  map_pixels(img, t.value, swap, out);
  if (!pre.per_image_standardization) return;
  float m = 0, inv = 0;
  if (!standardization(img, t, swap, m, inv)) return standardize_reference(out, n);
  for (std::size_t k = 0; k < n; ++k) out[k] = (out[k] - m) * inv;
}

void preprocess_image_int8(cv::Mat img, const std::string& name, const Preprocessing& pre, const Shape& hwc,
                           int fix_point, std::int8_t* out) {
  bool swap = false;
  cv::Mat prepared = prepare(img, name, pre, hwc, true, swap);
  const int c = prepared.channels();
  const Tables* t = prepared.depth() == CV_8U ? &tables_for(affine_of(pre, c)) : nullptr;
  float m = 0, inv = 0;
  if (!t || (pre.per_image_standardization && !standardization(prepared, *t, swap, m, inv))) {
    thread_local std::vector<float> x;  // the float path, then quantized
    x.resize(std::size_t(prepared.total()) * c);
    preprocess_image(img, name, pre, hwc, x.data());
    return quantize_input(x.data(), x.size(), fix_point, out, pre.input_conversion);
  }
  // Each channel's 256 int8 inputs: the floats the float path makes of each value, quantized by
  // the same function (once where the channels share their table).
  float values[3][256];
  std::int8_t q[3][256];
  const bool shared = c == 1 || (t->linear || (std::memcmp(t->value[0], t->value[1], sizeof(t->value[0])) == 0 &&
                                              std::memcmp(t->value[0], t->value[2], sizeof(t->value[0])) == 0));
  for (int k = 0; k < c; ++k) {
    if (k > 0 && shared) {
      std::memcpy(q[k], q[0], 256);
      continue;
    }
    for (int v = 0; v < 256; ++v)
      values[k][v] = pre.per_image_standardization ? (t->value[k][v] - m) * inv : t->value[k][v];
    quantize_input(values[k], 256, fix_point, q[k], pre.input_conversion);
  }
  map_pixels(prepared, q, swap, out);
}

void preprocess_file(const std::string& path, const Preprocessing& pre, const Shape& hwc,
                     float* out) {
  preprocess_image(decode_file(path, pre), path, pre, hwc, out);
}

void preprocess_file_int8(const std::string& path, const Preprocessing& pre, const Shape& hwc, int fix_point,
                          std::int8_t* out) {
  preprocess_image_int8(decode_file(path, pre), path, pre, hwc, fix_point, out);
}

void preprocess_rgb_chw_int8(const std::uint8_t* chw, int height, int width, const std::string& name,
                             const Preprocessing& pre, const Shape& hwc, int fix_point, std::int8_t* out) {
  preprocess_image_int8(decode_rgb_chw(chw, height, width), name, pre, hwc, fix_point, out);
}

void preprocess_rgb_chw(const std::uint8_t* chw, int height, int width, const std::string& name,
                        const Preprocessing& pre, const Shape& hwc, float* out) {
  preprocess_image(decode_rgb_chw(chw, height, width), name, pre, hwc, out);
}

}  // namespace dpurun::data

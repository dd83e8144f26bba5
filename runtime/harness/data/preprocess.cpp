#include "data/preprocess.h"

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dpurun/error.h"

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

}  // namespace

void preprocess_image(cv::Mat img, const std::string& name, const Preprocessing& pre, const Shape& hwc,
            float* out) {
  using Order = Preprocessing::ChannelOrder;
  int want_c = pre.channel_order == Order::kGray ? 1 : 3;
  if (hwc.size() != 3 || hwc[2] != want_c)
    throw Error(ErrorCode::kInvalidArgument,
                "the model's input " + to_string(hwc) + " does not take " +
                    std::to_string(want_c) + "-channel images (manifest channel_order); " +
                    "use a manifest that matches the model, or --data random:N for random input tensors");
  // Never in place: `img` may be a cached image that other threads read.
  auto convert_color = [&] {
    cv::Mat converted;
    if (pre.channel_order == Order::kGray && img.channels() == 3)
      cv::cvtColor(img, converted, cv::COLOR_BGR2GRAY), img = converted;
    else if (pre.channel_order == Order::kRGB)
      cv::cvtColor(img, converted, cv::COLOR_BGR2RGB), img = converted;
  };
  auto resize = [&] {
    if (pre.resize_height <= 0 || (img.rows == pre.resize_height && img.cols == pre.resize_width)) return;
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
  const int c = want_c;
  const std::size_t n = static_cast<std::size_t>(img.rows) * img.cols * c;
  float mul[3], add[3];
  for (int k = 0; k < c; ++k) {
    mul[k] = pre.scale / pre.std[static_cast<std::size_t>(k)];
    add[k] = -pre.mean[static_cast<std::size_t>(k)] / pre.std[static_cast<std::size_t>(k)];
  }
  float* o = out;
  for (int y = 0; y < img.rows; ++y) {
    const std::uint8_t* row = img.ptr<std::uint8_t>(y);
    if (c == 3) {
      for (int x = 0; x < img.cols; ++x, row += 3, o += 3) {
        o[0] = row[0] * mul[0] + add[0];
        o[1] = row[1] * mul[1] + add[1];
        o[2] = row[2] * mul[2] + add[2];
      }
    } else {
      for (int x = 0; x < img.cols; ++x) *o++ = row[x] * mul[0] + add[0];
    }
  }
  if (pre.per_image_standardization) {
    double sum = 0, sq = 0;
    for (std::size_t k = 0; k < n; ++k) sum += out[k];
    double mean = sum / double(n);
    for (std::size_t k = 0; k < n; ++k) sq += (out[k] - mean) * (out[k] - mean);
    double stddev = std::max(std::sqrt(sq / double(n)), 1.0 / std::sqrt(double(n)));
    auto m = static_cast<float>(mean), inv = static_cast<float>(1.0 / stddev);
    for (std::size_t k = 0; k < n; ++k) out[k] = (out[k] - m) * inv;
  }
}

cv::Mat decode_file(const std::string& path, const Preprocessing& pre) {
  bool gray = pre.channel_order == Preprocessing::ChannelOrder::kGray;
  cv::Mat img;
  try {
    img = cv::imread(path, gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::kInvalidData, path + ": cannot be decoded (" + e.what() + ")");
  }
  if (img.empty())
    throw Error(ErrorCode::kInvalidData,
                path + ": cannot be read as an image (missing, unreadable, truncated or not an "
                       "image); replace or remove it");
  return img;
}

void preprocess_file(const std::string& path, const Preprocessing& pre, const Shape& hwc,
                     float* out) {
  preprocess_image(decode_file(path, pre), path, pre, hwc, out);
}

cv::Mat decode_rgb_chw(const std::uint8_t* chw, int height, int width) {
  cv::Mat bgr(height, width, CV_8UC3);
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  for (int y = 0; y < height; ++y) {
    auto* row = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      std::size_t p = static_cast<std::size_t>(y) * width + x;
      row[3 * x + 0] = chw[2 * plane + p];
      row[3 * x + 1] = chw[plane + p];
      row[3 * x + 2] = chw[p];
    }
  }
  return bgr;
}

void preprocess_rgb_chw(const std::uint8_t* chw, int height, int width, const std::string& name,
                        const Preprocessing& pre, const Shape& hwc, float* out) {
  preprocess_image(decode_rgb_chw(chw, height, width), name, pre, hwc, out);
}

}  // namespace dpurun::data

// Preprocessing: channel order, scale/mean/std, per-image standardisation, resize, and shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/imgcodecs.hpp>

#include "data/preprocess.h"
#include "dpurun/error.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

std::string png(int w, int h, unsigned seed) {
  cv::Mat img(h, w, CV_8UC3);
  cv::randu(img, 0, 256);
  (void)seed;
  auto path = (test::temp_dir() / ("img" + std::to_string(seed) + ".png")).string();
  cv::imwrite(path, img);
  return path;
}

TEST(Preprocess, ChannelOrderScaleMeanStd) {
  auto path = png(5, 4, 1);
  cv::Mat bgr = cv::imread(path);
  Preprocessing pre;
  pre.channel_order = Preprocessing::ChannelOrder::kBGR;
  pre.scale = 1.f / 255.f;
  pre.mean = {0.5f, 0.4f, 0.3f};
  pre.std = {0.5f, 0.25f, 2.f};
  std::vector<float> out(4 * 5 * 3);
  data::preprocess_file(path, pre, {4, 5, 3}, out.data());
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) {
        float want = (bgr.at<cv::Vec3b>(y, x)[c] / 255.f - pre.mean[c]) / pre.std[c];
        EXPECT_NEAR(out[(y * 5 + x) * 3 + c], want, 1e-5f);
      }
  pre.channel_order = Preprocessing::ChannelOrder::kRGB;
  pre.mean = {0, 0, 0};
  pre.std = {1, 1, 1};
  pre.scale = 1.f;
  data::preprocess_file(path, pre, {4, 5, 3}, out.data());
  EXPECT_EQ(out[0], bgr.at<cv::Vec3b>(0, 0)[2]);  // R first
  EXPECT_EQ(out[2], bgr.at<cv::Vec3b>(0, 0)[0]);
}

TEST(Preprocess, PerImageStandardisationAsTensorFlow) {
  auto path = png(6, 7, 2);
  Preprocessing pre;
  pre.per_image_standardization = true;
  std::vector<float> out(6 * 7 * 3);
  data::preprocess_file(path, pre, {7, 6, 3}, out.data());
  double sum = 0, sq = 0;
  for (float v : out) sum += v;
  for (float v : out) sq += (v - sum / 126) * (v - sum / 126);
  EXPECT_NEAR(sum / 126, 0.0, 1e-5);
  EXPECT_NEAR(std::sqrt(sq / 126), 1.0, 1e-4);

  // A constant image: stddev 0 is replaced by 1/sqrt(N), so the output is all zeros, not NaN.
  cv::Mat flat(3, 3, CV_8UC3, cv::Scalar(7, 7, 7));
  auto fpath = (test::temp_dir() / "flat.png").string();
  cv::imwrite(fpath, flat);
  std::vector<float> f(27);
  data::preprocess_file(fpath, pre, {3, 3, 3}, f.data());
  for (float v : f) EXPECT_EQ(v, 0.f);
}

TEST(Preprocess, ResizeGrayAndShapeErrors) {
  auto path = png(8, 6, 3);
  Preprocessing pre;
  std::vector<float> out(32 * 32 * 3);
  try {
    data::preprocess_file(path, pre, {4, 4, 3}, out.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("8x6"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("resize"), std::string::npos) << e.what();
  }
  pre.resize_height = 4;
  pre.resize_width = 4;
  EXPECT_NO_THROW(data::preprocess_file(path, pre, {4, 4, 3}, out.data()));
  EXPECT_THROW(data::preprocess_file(path, pre, {4, 4, 1}, out.data()), Error);
  pre.channel_order = Preprocessing::ChannelOrder::kGray;
  pre.mean = {0};
  pre.std = {1};
  EXPECT_NO_THROW(data::preprocess_file(path, pre, {4, 4, 1}, out.data()));
}

// Each interpolation is OpenCV's own, and resizing before the colour conversion is what an app
// that resizes straight after imread gets (for gray it differs from converting first).
TEST(Preprocess, ResizeInterpolationAndOrderAsTheAppDoesIt) {
  cv::Mat bgr(7, 9, CV_8UC3);
  cv::randu(bgr, 0, 256);
  Preprocessing pre;
  pre.channel_order = Preprocessing::ChannelOrder::kGray;
  pre.mean = {0};
  pre.std = {1};
  pre.resize_height = 4;
  pre.resize_width = 5;
  std::vector<float> out(4 * 5);
  auto as_floats = [](const cv::Mat& m) {
    std::vector<float> v;
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) v.push_back(m.at<std::uint8_t>(y, x));
    return v;
  };
  std::map<std::vector<float>, int> distinct;
  for (auto [mode, flag] : {std::pair{Preprocessing::Interpolation::kNearest, cv::INTER_NEAREST},
                            std::pair{Preprocessing::Interpolation::kLinear, cv::INTER_LINEAR},
                            std::pair{Preprocessing::Interpolation::kArea, cv::INTER_AREA},
                            std::pair{Preprocessing::Interpolation::kCubic, cv::INTER_CUBIC}}) {
    pre.resize_interpolation = mode;
    for (bool before : {false, true}) {
      pre.resize_before_color = before;
      cv::Mat a, b;
      if (before) {
        cv::resize(bgr, a, cv::Size(5, 4), 0, 0, flag);
        cv::cvtColor(a, b, cv::COLOR_BGR2GRAY);
      } else {
        cv::cvtColor(bgr, a, cv::COLOR_BGR2GRAY);
        cv::resize(a, b, cv::Size(5, 4), 0, 0, flag);
      }
      data::preprocess_image(bgr, "img", pre, {4, 5, 1}, out.data());
      EXPECT_EQ(out, as_floats(b)) << to_string(mode) << (before ? ", resized first" : "");
      ++distinct[out];
    }
  }
  // Four interpolations in two orders, but nearest picks pixels and so commutes with a per-pixel
  // conversion: 7 different images (random pixels make any other coincidence practically
  // impossible), so neither setting is ignored.
  EXPECT_EQ(distinct.size(), 7u);
  EXPECT_EQ(parse_interpolation("nearest"), Preprocessing::Interpolation::kNearest);
  EXPECT_THROW(parse_interpolation("lanczos"), Error);
}

}  // namespace
}  // namespace dpurun

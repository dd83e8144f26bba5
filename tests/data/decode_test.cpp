// The direct decoders (TurboJPEG, libspng) against cv::imread, pixel for pixel, on the real test
// images and on files they must hand to OpenCV; the preprocessing tables against the reference
// loops.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "data/decode.h"
#include "data/preprocess.h"
#include "dpurun/error.h"
#include "dpurun/runner.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

namespace fs = std::filesystem;
using data::Decoder;

Preprocessing order(Preprocessing::ChannelOrder o) {
  Preprocessing pre;
  pre.channel_order = o;
  return pre;
}
const Preprocessing kBgr = order(Preprocessing::ChannelOrder::kBGR);
const Preprocessing kGray = order(Preprocessing::ChannelOrder::kGray);

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y)
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  return true;
}

// Every image of a ../shared folder: decoded as cv::imread does it, and by which decoder.
void expect_as_imread(const std::string& folder, const Preprocessing& pre, Decoder expected, std::size_t limit) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.path().extension() == ".jpg" || e.path().extension() == ".png") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.size() > limit) files.resize(limit);
  ASSERT_GT(files.size(), 0u);
  std::size_t direct = 0;
  for (const auto& f : files) {
    Decoder used{};
    cv::Mat got = data::decode_file(f, pre, &used);
    cv::Mat want = cv::imread(f, pre.channel_order == Preprocessing::ChannelOrder::kGray ? cv::IMREAD_GRAYSCALE
                                                                                          : cv::IMREAD_COLOR);
    ASSERT_TRUE(same_pixels(got, want)) << f;
    direct += used == expected;
  }
  bool built = expected == Decoder::kTurboJpeg ? data::have_turbojpeg() : data::have_spng();
  EXPECT_EQ(direct, built ? files.size() : 0u) << "images the direct decoder took";
}

TEST(Decode, TurboJpegGivesOpenCvsPixelsOnEveryCifarImage) {
  auto dir = test::shared("data/cifar10-test-jpg");
  DPURUN_REQUIRE_SHARED(dir);
  expect_as_imread(dir, kBgr, Decoder::kTurboJpeg, 10000);
  expect_as_imread(dir, kGray, Decoder::kTurboJpeg, 2000);  // Y straight from the file
}

TEST(Decode, SpngGivesOpenCvsPixelsOnEveryMnistImage) {
  auto dir = test::shared("data/mnist-test-png");
  DPURUN_REQUIRE_SHARED(dir);
  expect_as_imread(dir, kGray, Decoder::kSpng, 10000);
}

std::string write_image(const std::string& name, const cv::Mat& img) {
  auto path = (test::temp_dir() / name).string();
  EXPECT_TRUE(cv::imwrite(path, img)) << path;
  return path;
}

cv::Mat random_image(int rows, int cols, int type, unsigned seed) {
  cv::Mat m(rows, cols, type);
  cv::theRNG().state = seed;
  cv::randu(m, 0, type == CV_16UC3 ? 65536 : 256);
  return m;
}

// Decodes `path` both ways and says which decoder dpurun took; both must agree, failing alike.
Decoder decoded_as_imread(const std::string& path, const Preprocessing& pre) {
  cv::Mat want = cv::imread(path, pre.channel_order == Preprocessing::ChannelOrder::kGray ? cv::IMREAD_GRAYSCALE
                                                                                         : cv::IMREAD_COLOR);
  Decoder used{};
  try {
    cv::Mat got = data::decode_file(path, pre, &used);
    EXPECT_TRUE(same_pixels(got, want)) << path;
  } catch (const Error& e) {
    EXPECT_TRUE(want.empty()) << path << ": dpurun refused what OpenCV decodes: " << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  return used;
}

TEST(Decode, WhatTheDirectDecodersDoNotTakeGoesToOpenCv) {
  const Decoder png = data::have_spng() ? Decoder::kSpng : Decoder::kOpenCv;
  const Decoder jpeg = data::have_turbojpeg() ? Decoder::kTurboJpeg : Decoder::kOpenCv;
  cv::Mat bgr = random_image(9, 14, CV_8UC3, 1), gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(decoded_as_imread(write_image("rgb.png", bgr), kBgr), png);
  EXPECT_EQ(decoded_as_imread(write_image("gray.png", gray), kGray), png);
  // A gray/colour conversion, 16 bits and alpha are OpenCV's.
  EXPECT_EQ(decoded_as_imread(write_image("rgb.png", bgr), kGray), Decoder::kOpenCv);
  EXPECT_EQ(decoded_as_imread(write_image("gray.png", gray), kBgr), Decoder::kOpenCv);
  EXPECT_EQ(decoded_as_imread(write_image("deep.png", random_image(5, 6, CV_16UC3, 2)), kBgr), Decoder::kOpenCv);
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  EXPECT_EQ(decoded_as_imread(write_image("alpha.png", bgra), kBgr), Decoder::kOpenCv);

  std::string jpg = write_image("photo.jpg", bgr);
  EXPECT_EQ(decoded_as_imread(jpg, kBgr), jpeg);
  EXPECT_EQ(decoded_as_imread(write_image("gray.jpg", gray), kGray), jpeg);
  EXPECT_EQ(decoded_as_imread(write_image("gray.jpg", gray), kBgr), Decoder::kOpenCv);

  // An EXIF orientation (6: turn 90° clockwise) after SOI: cv::imread turns the image, so OpenCV
  // decodes it.
  std::string bytes = test::read_file(jpg);
  const unsigned char exif[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,   // APP1, 34 bytes
                                'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,      // TIFF, IFD at 8
                                0x01, 0x00,                                        // one entry
                                0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,    // Orientation, SHORT, 1
                                0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};   // = 6; no next IFD
  bytes.insert(2, reinterpret_cast<const char*>(exif), sizeof(exif));
  auto turned = (test::temp_dir() / "turned.jpg").string();
  test::write_file(turned, bytes);
  EXPECT_EQ(cv::imread(turned).rows, bgr.cols) << "OpenCV turned the image";
  EXPECT_EQ(decoded_as_imread(turned, kBgr), Decoder::kOpenCv);

  // Truncated files: whatever OpenCV makes of them (libjpeg fills a cut JPEG; a cut PNG fails).
  std::string whole = test::read_file(jpg);
  auto cut = (test::temp_dir() / "cut.jpg").string();
  test::write_file(cut, whole.substr(0, whole.size() * 2 / 3));
  EXPECT_EQ(decoded_as_imread(cut, kBgr), Decoder::kOpenCv);
  std::string pbytes = test::read_file(write_image("rgb.png", bgr));
  auto cutpng = (test::temp_dir() / "cut.png").string();
  test::write_file(cutpng, pbytes.substr(0, pbytes.size() / 2));
  EXPECT_EQ(decoded_as_imread(cutpng, kBgr), Decoder::kOpenCv);
  EXPECT_THROW(data::decode_file((test::temp_dir() / "missing.jpg").string(), kBgr), Error);
}

// The tables and the histogram standardisation give the reference loops' floats, bit for bit.
void expect_tables_as_reference(const cv::Mat& img, const Preprocessing& pre, const std::string& what) {
  const int c = pre.channel_order == Preprocessing::ChannelOrder::kGray ? 1 : 3;
  const int rows = pre.resize_height > 0 ? pre.resize_height : img.rows;
  const int cols = pre.resize_width > 0 ? pre.resize_width : img.cols;
  Shape hwc{rows, cols, c};
  std::vector<float> fast(std::size_t(rows) * cols * c), ref(fast.size());
  data::preprocess_image(img, what, pre, hwc, fast.data());
  data::preprocess_image_reference(img, what, pre, hwc, ref.data());
  ASSERT_EQ(std::memcmp(fast.data(), ref.data(), fast.size() * sizeof(float)), 0) << what;
  // int8 at two fix points: the reference floats through quantize_input.
  for (int fix_point : {6, 2}) {
    std::vector<std::int8_t> q(fast.size()), want(fast.size());
    data::preprocess_image_int8(img, what, pre, hwc, fix_point, q.data());
    quantize_input(ref.data(), ref.size(), fix_point, want.data(), pre.input_conversion);
    ASSERT_EQ(q, want) << what << " at fix point " << fix_point;
  }
}

std::vector<Preprocessing> preprocessings() {
  std::vector<Preprocessing> all;
  Preprocessing p;  // the ResNet-56 manifest: RGB, per-image standardisation
  p.per_image_standardization = true;
  all.push_back(p);
  p.per_image_standardization = false;
  p.scale = 1.f / 255.f, p.mean = {0.4914f, 0.4822f, 0.4465f}, p.std = {0.247f, 0.243f, 0.261f};
  all.push_back(p);
  p.per_image_standardization = true;  // standardisation after a fine-grained affine map
  all.push_back(p);
  p.channel_order = Preprocessing::ChannelOrder::kBGR, p.scale = 1.f / 127.5f, p.mean = {1, 1, 1}, p.std = {1, 1, 1};
  all.push_back(p);
  p.channel_order = Preprocessing::ChannelOrder::kGray, p.mean = {0.1307f}, p.std = {0.3081f};
  all.push_back(p);
  p.per_image_standardization = false;
  all.push_back(p);
  // An application's own float → int8 conversion: ties to even, wrapping.
  p.input_conversion.rounding = InputConversion::Rounding::kHalfEven;
  p.input_conversion.overflow = InputConversion::Overflow::kWrap;
  all.push_back(p);
  return all;
}

TEST(Preprocess, TablesGiveTheReferenceFloatsOnEveryCifarImage) {
  auto dir = test::shared("data/cifar10-test-jpg");
  DPURUN_REQUIRE_SHARED(dir);
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".jpg") files.push_back(e.path().string());
  ASSERT_EQ(files.size(), 10000u);
  const auto pres = preprocessings();
  for (std::size_t i = 0; i < files.size(); ++i) {
    cv::Mat bgr = cv::imread(files[i]);
    for (std::size_t k = 0; k < pres.size(); ++k)
      if (k == 0 || i % 10 == 0) expect_tables_as_reference(bgr, pres[k], files[i] + " #" + std::to_string(k));
  }
}

TEST(Preprocess, TablesGiveTheReferenceFloatsOnRandomAndFlatImages) {
  std::mt19937 rng(7);
  const auto pres = preprocessings();
  for (int i = 0; i < 300; ++i) {
    int rows = 1 + int(rng() % 40), cols = 1 + int(rng() % 40);
    cv::Mat bgr = random_image(rows, cols, CV_8UC3, 100 + unsigned(i));
    if (i % 3 == 0) bgr.setTo(cv::Scalar(double(rng() % 256), double(rng() % 256), double(rng() % 256)));
    for (std::size_t k = 0; k < pres.size(); ++k)
      expect_tables_as_reference(bgr, pres[k], "random image " + std::to_string(i) + " #" + std::to_string(k));
  }
  // Resized first (the tables then read the resized, converted image), and an affine map whose
  // values are too fine for the exact grid (the standardisation falls back to the reference's).
  Preprocessing p;
  p.resize_height = 32, p.resize_width = 32, p.per_image_standardization = true;
  expect_tables_as_reference(random_image(50, 40, CV_8UC3, 9), p, "resized");
  p.resize_height = 0, p.scale = 1e-30f;
  expect_tables_as_reference(random_image(32, 32, CV_8UC3, 10), p, "tiny scale");
}

}  // namespace
}  // namespace dpurun

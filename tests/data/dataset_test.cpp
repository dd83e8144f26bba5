// Data set readers: labels.csv, class folders, CIFAR-10 binary batches, images without labels,
// random inputs, and their failures.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

namespace fs = std::filesystem;

// Writes a w×h PNG whose BGR pixel (y, x) is (b0 + x, g0 + y, r0).
void write_png(const fs::path& p, int w, int h, int b0, int g0, int r0) {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(b0 + x, g0 + y, r0);
  fs::create_directories(p.parent_path());
  ASSERT_TRUE(cv::imwrite(p.string(), img));
}

Error open_error(const std::string& path, const std::vector<std::string>& classes = {}) {
  try {
    Dataset::open(path, classes);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "opening " << path << " did not fail";
  return Error(ErrorCode::kInternal, "");
}

const Shape kHwc{4, 3, 3};

TEST(Dataset, LabelsCsvWithHeaderAndNames) {
  auto dir = test::temp_dir();
  write_png(dir / "img/a.png", 3, 4, 10, 20, 30);
  write_png(dir / "img/b.png", 3, 4, 40, 50, 60);
  test::write_file(dir / "labels.csv", "path,label_index,label_name\nimg/a.png,1,dog\nimg/b.png,0,cat\n");
  Dataset d = Dataset::open(dir.string());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.kind(), "labels.csv");
  EXPECT_EQ(d.label(0), 1);
  EXPECT_EQ(d.label(1), 0);
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"cat", "dog"}));
}

TEST(Dataset, LabelsCsvNamingMissingFilesSaysWhich) {
  auto dir = test::temp_dir();
  write_png(dir / "a.png", 3, 4, 0, 0, 0);
  test::write_file(dir / "labels.csv", "a.png,0\nmissing_one.png,1\nmissing_two.png,1\n");
  Error e = open_error(dir.string());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidData);
  std::string msg = e.what();
  EXPECT_NE(msg.find("2 file(s)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing_one.png (line 2)"), std::string::npos) << msg;
}

TEST(Dataset, LabelsCsvWithBadLabelOrConflictingNames) {
  auto dir = test::temp_dir();
  write_png(dir / "a.png", 3, 4, 0, 0, 0);
  test::write_file(dir / "labels.csv", "a.png,cat\n");
  EXPECT_NE(std::string(open_error(dir.string()).what()).find("labels.csv:1"), std::string::npos);
  test::write_file(dir / "labels.csv", "a.png,0,cat\na.png,0,dog\n");
  EXPECT_NE(std::string(open_error(dir.string()).what()).find("\"dog\""), std::string::npos);
  // The manifest's class names must agree with the file's.
  test::write_file(dir / "labels.csv", "a.png,0,cat\n");
  EXPECT_EQ(open_error(dir.string(), {"airplane"}).code(), ErrorCode::kInvalidData);
}

// Found by fuzz_labels_csv: a huge label index sized the class list (a 4 GiB allocation).
TEST(Dataset, LabelsCsvWithAHugeLabelIndexIsRefusedBeforeAllocating) {
  auto dir = test::temp_dir();
  write_png(dir / "a.png", 3, 4, 0, 0, 0);
  test::write_file(dir / "labels.csv", "path,label_index,label_name\na.png,1111111111,cat\n");
  Error e = open_error(dir.string());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidData);
  EXPECT_NE(std::string(e.what()).find("labels.csv:2: label 1111111111 is out of range"), std::string::npos) << e.what();
  test::write_file(dir / "labels.csv", "a.png,9999,cat\n");  // the largest allowed
  EXPECT_EQ(Dataset::open(dir.string()).class_names().size(), 10000u);
}

TEST(Dataset, ClassFoldersFollowTheManifestOrder) {
  auto dir = test::temp_dir();
  write_png(dir / "zebra/1.png", 3, 4, 0, 0, 0);
  write_png(dir / "ant/1.png", 3, 4, 0, 0, 0);
  write_png(dir / "ant/2.png", 3, 4, 0, 0, 0);
  test::write_file(dir / "ant/notes.txt", "not an image");
  Dataset sorted = Dataset::open(dir.string());
  EXPECT_EQ(sorted.kind(), "class folders");
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(sorted.class_names(), (std::vector<std::string>{"ant", "zebra"}));
  EXPECT_EQ(sorted.label(2), 1);
  Dataset ordered = Dataset::open(dir.string(), {"zebra", "ant"});
  EXPECT_EQ(ordered.label(0), 1);  // ant/1.png
  EXPECT_EQ(ordered.label(2), 0);  // zebra/1.png
  EXPECT_EQ(open_error(dir.string(), {"zebra"}).code(), ErrorCode::kInvalidData);
}

TEST(Dataset, MissingOrEmptyDirectory) {
  Error e = open_error("/nonexistent/cifar");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("get-cifar10.sh"), std::string::npos) << e.what();
  EXPECT_EQ(open_error(test::temp_dir().string()).code(), ErrorCode::kInvalidData);
}

// A folder of images alone (a model that is not a classifier): every image, sorted, label -1.
TEST(Dataset, ImagesWithoutLabels) {
  auto dir = test::temp_dir();
  write_png(dir / "b.png", 3, 4, 10, 20, 30);
  write_png(dir / "a.png", 3, 4, 40, 50, 60);
  Dataset d = Dataset::open(dir.string());
  EXPECT_EQ(d.kind(), "images (no labels)");
  EXPECT_FALSE(d.labelled());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(fs::path(d.name(0)).filename(), "a.png");
  EXPECT_EQ(d.label(1), -1);
  std::vector<float> x(36);
  Preprocessing pre;
  pre.channel_order = Preprocessing::ChannelOrder::kBGR;
  d.load(0, pre, kHwc, x.data());
  EXPECT_EQ(x[0], 40.f);
}

// random:N[:SEED]: N standard-normal tensors of the input's shape, the same for the same seed
// and index, different for another; no pixels.
TEST(Dataset, RandomInputs) {
  Dataset d = Dataset::open("random:3:7");
  EXPECT_EQ(d.kind(), "random");
  EXPECT_FALSE(d.labelled());
  ASSERT_EQ(d.size(), 3u);
  const Shape hwc{16, 16, 8};
  std::vector<float> a(2048), b(2048), c(2048), other(2048);
  d.load(1, Preprocessing{}, hwc, a.data());
  d.load(1, Preprocessing{}, hwc, b.data());
  d.load(2, Preprocessing{}, hwc, c.data());
  Dataset::open("random:3:8").load(1, Preprocessing{}, hwc, other.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, other);
  double mean = 0, var = 0;
  for (float v : a) mean += v / 2048.0;
  for (float v : a) var += (v - mean) * (v - mean) / 2048.0;
  EXPECT_NEAR(mean, 0.0, 0.1);  // 2048 samples: the mean's standard error is 0.022
  EXPECT_NEAR(var, 1.0, 0.15);
  EXPECT_THROW(d.decode(0, Preprocessing{}), Error);
  for (const char* bad : {"random:", "random:0", "random:x", "random:3:", "random:3:y", "random:2000000"})
    EXPECT_EQ(open_error(bad).code(), ErrorCode::kInvalidArgument) << bad;
}

TEST(Dataset, UnreadableImageIsNamedWhenLoaded) {
  auto dir = test::temp_dir();
  write_png(dir / "c/good.png", 3, 4, 0, 0, 0);
  test::write_file(dir / "c/broken.png", "\x89PNG\r\n\x1a\n truncated");
  Dataset d = Dataset::open(dir.string());
  std::vector<float> out(36);
  Preprocessing pre;
  try {
    d.load(0, pre, kHwc, out.data());  // broken.png sorts first
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidData);
    EXPECT_NE(std::string(e.what()).find("broken.png"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(d.load(1, pre, kHwc, out.data()));
}

std::string cifar_record(std::uint8_t label, std::uint8_t base) {
  std::string r(1 + 3072, '\0');
  r[0] = static_cast<char>(label);
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 1024; ++p) r[1 + c * 1024 + p] = static_cast<char>(base + c * 10 + p % 7);
  return r;
}

TEST(Dataset, CifarBinaryBatches) {
  auto dir = test::temp_dir();
  test::write_file(dir / "test_batch.bin", cifar_record(3, 0) + cifar_record(9, 100));
  Dataset d = Dataset::open(dir.string());
  EXPECT_EQ(d.kind(), "cifar10 binary");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.label(0), 3);
  EXPECT_EQ(d.label(1), 9);
  EXPECT_EQ(d.class_names().at(9), "truck");
  EXPECT_EQ(d.name(1), "test_batch.bin#1");

  // Records are R, G, B planes; RGB preprocessing keeps that order, BGR swaps it.
  std::vector<float> out(32 * 32 * 3);
  Preprocessing rgb;
  d.load(1, rgb, {32, 32, 3}, out.data());
  EXPECT_EQ(out[0], 100.f);
  EXPECT_EQ(out[1], 110.f);
  EXPECT_EQ(out[2], 120.f);
  EXPECT_EQ(out[3 * 5 + 0], 105.f);  // pixel 5: p % 7 == 5
  Preprocessing bgr;
  bgr.channel_order = Preprocessing::ChannelOrder::kBGR;
  d.load(1, bgr, {32, 32, 3}, out.data());
  EXPECT_EQ(out[0], 120.f);
  EXPECT_EQ(out[2], 100.f);

  // The file itself may be named, and then only it is read.
  EXPECT_EQ(Dataset::open((dir / "test_batch.bin").string()).size(), 2u);
}

TEST(Dataset, TruncatedOrMislabelledBinary) {
  auto dir = test::temp_dir();
  test::write_file(dir / "test_batch.bin", cifar_record(1, 0).substr(0, 3000));
  Error e = open_error(dir.string());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidData);
  EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  test::write_file(dir / "test_batch.bin", cifar_record(12, 0));
  e = open_error(dir.string());
  EXPECT_NE(std::string(e.what()).find("label 12"), std::string::npos) << e.what();
}

TEST(Dataset, TheSharedCifarTestSet) {
  auto dir = test::shared("data/cifar10-test-jpg");
  DPURUN_REQUIRE_SHARED(dir);
  Dataset d = Dataset::open(dir);
  EXPECT_EQ(d.size(), 10000u);
  std::vector<std::string> classes{"airplane", "automobile", "bird",  "cat",  "deer",
                                   "dog",      "frog",       "horse", "ship", "truck"};
  EXPECT_EQ(d.class_names(), classes);
  std::vector<int> per_class(10, 0);
  for (std::size_t i = 0; i < d.size(); ++i) per_class[static_cast<std::size_t>(d.label(i))]++;
  for (int n : per_class) EXPECT_EQ(n, 1000);
  EXPECT_NE(d.name(1234).find("test/automobile/0234.jpg"), std::string::npos) << d.name(1234);
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// A CIFAR-10 record with random pixels (the seed decides them).
std::string random_record(int label, unsigned seed) {
  std::string r(1, static_cast<char>(label));
  auto v = test::random_floats(3072, seed, 0.f, 256.f);
  for (float x : v) r += static_cast<char>(static_cast<int>(x));
  return r;
}

// `dpurun images`: the binary batch written as PNGs reads back as the same images and labels,
// counted within each class, in the layout of the shared JPEG set.
TEST(ExportImages, PngRoundTripsTheCifarBinaryExactly) {
  auto dir = test::temp_dir();
  std::string bin;
  const int labels[] = {3, 0, 3, 9, 0, 3, 1};
  for (unsigned i = 0; i < 7; ++i) bin += random_record(labels[i], 100 + i);
  test::write_file(dir / "test_batch.bin", bin);
  Dataset src = Dataset::open((dir / "test_batch.bin").string());
  EXPECT_EQ(export_images(src, (dir / "png").string()), 7u);
  EXPECT_FALSE(fs::exists(dir / "png.partial"));
  Dataset out = Dataset::open((dir / "png").string());
  EXPECT_EQ(out.kind(), "labels.csv");
  ASSERT_EQ(out.size(), 7u);
  Preprocessing pre;
  pre.channel_order = Preprocessing::ChannelOrder::kBGR;
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(out.label(i), labels[i]);
    EXPECT_EQ(out.decode(i, pre).data, src.decode(i, pre).data) << "image " << i;
  }
  // The third image of class 3 (cat) is cat/0002.png.
  EXPECT_NE(out.name(5).find("cat/0002.png"), std::string::npos) << out.name(5);
  auto csv = test::read_file(dir / "png/labels.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "path,label_index,label_name");
  EXPECT_NE(csv.find("\nautomobile/0000.png,1,automobile\n"), std::string::npos) << csv;
}

// The benchmark's input cache: decode() then preprocess() gives load()'s floats, and leaves the
// cached pixels as they were (RGB conversion and resize work on copies).
TEST(Dataset, DecodeThenPreprocessIsLoad) {
  auto dir = test::temp_dir();
  test::write_file(dir / "test_batch.bin", random_record(2, 7) + random_record(5, 8));
  Dataset d = Dataset::open((dir / "test_batch.bin").string());
  Preprocessing pre;  // RGB
  pre.scale = 1.f / 255;
  pre.mean = {0.4f, 0.5f, 0.6f};
  pre.std = {0.2f, 0.25f, 0.3f};
  for (bool resize : {false, true}) {
    if (resize) pre.resize_height = pre.resize_width = 24;
    const Shape hwc{resize ? 24 : 32, resize ? 24 : 32, 3};
    const auto n = static_cast<std::size_t>(element_count(hwc));
    for (std::size_t i = 0; i < d.size(); ++i) {
      std::vector<float> a(n), b(n);
      d.load(i, pre, hwc, a.data());
      Dataset::Pixels px = d.decode(i, pre);
      const auto before = px.data;
      d.preprocess(i, px, pre, hwc, b.data());
      EXPECT_EQ(a, b) << "image " << i;
      EXPECT_EQ(px.data, before) << "the cached pixels were changed";
    }
  }
}

TEST(ExportImages, JpegAndRefusals) {
  auto dir = test::temp_dir();
  test::write_file(dir / "test_batch.bin", random_record(2, 1) + random_record(4, 2));
  Dataset src = Dataset::open((dir / "test_batch.bin").string());
  ImageExportOptions jpg;
  jpg.format = "jpg";
  EXPECT_EQ(export_images(src, (dir / "jpg").string(), jpg), 2u);
  EXPECT_TRUE(fs::exists(dir / "jpg/bird/0000.jpg"));
  EXPECT_EQ(Dataset::open((dir / "jpg").string()).label(1), 4);
  try {
    export_images(src, (dir / "jpg").string());  // not empty now
    ADD_FAILURE() << "overwrote a folder with files in it";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an empty folder"), std::string::npos) << e.what();
  }
  ImageExportOptions bad;
  bad.format = "gif";
  EXPECT_THROW(export_images(src, (dir / "gif").string(), bad), Error);
  auto cli = test::run_cli("images --data " + (dir / "test_batch.bin").string() + " --out " + (dir / "cli").string());
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_TRUE(fs::exists(dir / "cli/labels.csv"));
  EXPECT_EQ(test::run_cli("images --data " + (dir / "test_batch.bin").string() + " --out " + (dir / "cli").string())
                .exit_code,
            2);
}

}  // namespace
}  // namespace dpurun

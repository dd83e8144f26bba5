// The manifests under models/ and the manifest parser's checks.
#include <gtest/gtest.h>

#include "dpurun/error.h"
#include "dpurun/manifest.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

const std::string kModels = DPURUN_SOURCE_DIR "/models";

TEST(Manifest, EveryManifestParsesAndNamesFilesInShared) {
  auto manifests = load_manifests(kModels, test::shared("models"));
  ASSERT_GE(manifests.size(), 10u) << "one manifest per model in ../shared/models";
  DPURUN_REQUIRE_SHARED(test::shared("models"));
  for (const auto& m : manifests) {
    EXPECT_EQ(m.classes.empty(), !m.classifier()) << m.path << ": a classifier names its classes, another model none";
    for (const auto& [variant, file] : m.files)
      EXPECT_TRUE(std::filesystem::exists(file)) << m.path << ": " << variant << " → " << file;
  }
}

TEST(Manifest, EveryManifestWrittenOutLoadsBackTheSame) {
  auto path = (test::temp_dir() / "written.json").string();
  for (const auto& m : load_manifests(kModels, test::shared("models"))) {
    test::write_file(path, m.to_json());
    const Manifest b = Manifest::load(path, "/elsewhere");  // the paths written are absolute
    EXPECT_EQ(b.name, m.name);
    EXPECT_EQ(b.description, m.description);
    EXPECT_EQ(b.files, m.files) << m.path;
    EXPECT_EQ(b.default_variant, m.default_variant);
    EXPECT_EQ(b.weights_from, m.weights_from);
    EXPECT_EQ(b.input_name, m.input_name);
    EXPECT_EQ(b.input_shape, m.input_shape);
    EXPECT_EQ(b.output_name, m.output_name);
    EXPECT_EQ(b.output_kind, m.output_kind);
    const auto &p = b.preprocessing, &q = m.preprocessing;
    EXPECT_EQ(p.channel_order, q.channel_order) << m.path;
    EXPECT_EQ(p.scale, q.scale) << m.path;  // a float written and read back exactly
    EXPECT_EQ(p.mean, q.mean) << m.path;
    EXPECT_EQ(p.std, q.std) << m.path;
    EXPECT_EQ(p.per_image_standardization, q.per_image_standardization);
    EXPECT_EQ(p.resize_height, q.resize_height);
    EXPECT_EQ(p.resize_width, q.resize_width);
    EXPECT_EQ(p.resize_interpolation, q.resize_interpolation);
    EXPECT_EQ(p.resize_before_color, q.resize_before_color);
    EXPECT_EQ(to_string(p.input_conversion), to_string(q.input_conversion)) << m.path;
    EXPECT_EQ(b.classes, m.classes);
    EXPECT_EQ(b.published_top1, m.published_top1);
    EXPECT_EQ(b.published_note, m.published_note);
  }
}

Error parse_error(const std::string& text) {
  auto path = (test::temp_dir() / "m.json").string();
  test::write_file(path, text);
  try {
    Manifest::load(path, "/models");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    return e;
  }
  ADD_FAILURE() << "parsing did not fail: " << text;
  return Error(ErrorCode::kInternal, "");
}

TEST(Manifest, RejectsBadManifests) {
  EXPECT_NE(std::string(parse_error("{not json").what()).find("not valid JSON"), std::string::npos);
  EXPECT_NE(std::string(parse_error(R"({"files": {"float": "a.pb"}, "colour": 1})").what())
                .find("unknown field \"colour\""),
            std::string::npos);
  parse_error(R"({"files": {}})");
  parse_error(R"({"files": {"float": "a.pb"}, "preprocess": {"channel_order": "RBG"}})");
  parse_error(R"({"files": {"float": "a.pb"}, "preprocess": {"mean": [0, 0]}})");
  parse_error(R"({"files": {"float": "a.pb"}, "preprocess": {"std": [1, 0, 1]}})");
  parse_error(R"({"files": {"float": "a.pb"}, "preprocess": {"scale": "big"}})");
  parse_error(R"({"files": {"compiled": "a.xmodel"}, "weights_from": {"compiled": "quantized"}})");
  // Found by fuzz_manifest: a number too large for a double escaped as a non-parse exception.
  EXPECT_NE(std::string(parse_error(R"({"name":425e968})").what()).find("not valid JSON"), std::string::npos);
  // Numbers that do not fit the integer they fill (converted unchecked, undefined, before).
  EXPECT_NE(std::string(parse_error(R"({"files": {"float": "a.pb"}, "input": {"shape": [-1, 1e35, 32, 3]}})").what())
                .find("out-of-range number"),
            std::string::npos);
  parse_error(R"({"files": {"float": "a.pb"}, "preprocess": {"resize": [3000000000, 32]}})");
  parse_error(R"({"files": {"float": "a.pb"}, "preprocess": {"resize": [32.5, 32]}})");
  EXPECT_NE(std::string(parse_error(R"({"files": {"float": "a.pb"}, "output": {"kind": "image"}})").what()).find("\"tensor\""),
            std::string::npos);
}

TEST(Manifest, InputConversionAndResizeSettings) {
  auto path = (test::temp_dir() / "m.json").string();
  test::write_file(path, R"({"files": {"q": "a.pb"}, "preprocess": {"input_conversion": "truncate-wrap",
                             "resize": [8, 8], "resize_interpolation": "nearest", "resize_before_color": true}})");
  Manifest m = Manifest::load(path, "/models");
  EXPECT_EQ(to_string(m.preprocessing.input_conversion), "truncate-wrap");
  EXPECT_EQ(m.preprocessing.resize_interpolation, Preprocessing::Interpolation::kNearest);
  EXPECT_TRUE(m.preprocessing.resize_before_color);
  // Defaults: the DPU's rounding and OpenCV's (and cv2.resize's) linear interpolation.
  test::write_file(path, R"({"files": {"q": "a.pb"}})");
  m = Manifest::load(path, "/models");
  EXPECT_EQ(m.preprocessing.input_conversion, InputConversion{});
  EXPECT_EQ(m.preprocessing.resize_interpolation, Preprocessing::Interpolation::kLinear);
  EXPECT_FALSE(m.preprocessing.resize_before_color);

  auto says = [](const Error& e, const std::string& what) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  };
  says(parse_error(R"({"files": {"q": "a.pb"}, "preprocess": {"input_conversion": "floor"}})"),
       "unknown input conversion 'floor'");
  says(parse_error(R"({"files": {"q": "a.pb"}, "preprocess": {"resize_interpolation": "lanczos"}})"),
       "use nearest, linear, area or cubic");
  // A misspelt preprocessing field would silently change nothing: refused.
  says(parse_error(R"({"files": {"q": "a.pb"}, "preprocess": {"input_convertion": "truncate"}})"),
       "unknown field \"preprocess.input_convertion\"");
  says(parse_error(R"({"files": {"q": "a.pb"}, "preprocess": [1]})"), "\"preprocess\" must be an object");
}

// The manifests of models whose PROVENANCE.md quotes the board app's conversion say so:
// DNNDK's dpuSetInputTensorInHWCFP32 truncates, app_mt.py's astype(np.int8) truncates and wraps,
// deployment.py's .round().astype(np.int8) rounds ties to even and wraps.
TEST(Manifest, ManifestsSayHowTheirBoardAppsConvertTheInput) {
  const std::pair<const char*, const char*> expected[] = {
      {"keras-cifar10-dnndk-zcu102-minigooglenet", "truncate"},
      {"keras-cifar10-dnndk-zcu102-miniresnet", "truncate"},
      {"keras-cifar10-dnndk-zcu102-minivggnet", "truncate"},
      {"mnist-cnn-kv260", "truncate-wrap"},
      {"mnist-mlp-tf2-dpu-sizes", "half-even-wrap"},
      {"tf-resnet56-cifar10", "round"},  // no app quoted: the DPU's own rounding
  };
  for (auto [name, conversion] : expected) {
    Manifest m = Manifest::load(kModels + "/" + name + ".json", test::shared("models"));
    EXPECT_EQ(to_string(m.preprocessing.input_conversion), conversion) << m.path;
  }
}

TEST(Manifest, VariantsResolveAgainstTheModelRoot) {
  auto path = (test::temp_dir() / "m.json").string();
  test::write_file(path, R"({"name": "m", "files": {"float": "f/a.pb", "quantized": "/abs/q.pb"},
                             "default": "float"})");
  Manifest m = Manifest::load(path, "/models");
  EXPECT_EQ(m.model_file(), "/models/f/a.pb");
  EXPECT_EQ(m.model_file("quantized"), "/abs/q.pb");
  try {
    m.model_file("int8");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("float, quantized"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpurun

// The TensorFlow GraphDef loader on the real frozen graphs and on broken or foreign files.
#include <gtest/gtest.h>

#include <map>

#include "dpurun/error.h"
#include "dpurun/model.h"
#include "graph/graph.h"
#include "support/test_env.h"
#include "support/tf_graph_builder.h"

namespace dpurun {
namespace {

using test::TfGraphBuilder;

std::map<std::string, int> counts(const Model& m) {
  std::map<std::string, int> c;
  for (auto& [k, v] : m.op_counts()) c[k] = v;
  return c;
}

Error load_error(const std::string& bytes, const ModelOptions& options = {}) {
  return test::load_error(bytes, "model.pb", options);
}

TEST(TfLoader, LoadsTheResNetFloatGraphAndFusesIt) {
  auto path = test::shared("models/tf-resnet56-cifar10/float_frozen.pb");
  DPURUN_REQUIRE_SHARED(path);
  Model m = Model::load(path, ModelOptions{{"input_1"}, {"fc10/Softmax"}, {}});
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].shape, (Shape{-1, 32, 32, 3}));
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 10}));
  auto c = counts(m);
  // 58 Conv2D with bias, batch norm, ReLU and the 27 residual adds folded in; the Pad folded.
  EXPECT_EQ(c["Conv2D"], 58);
  EXPECT_EQ(c["FullyConnected"], 1);
  EXPECT_EQ(c["Mean"], 1);
  EXPECT_EQ(c["Softmax"], 1);
  EXPECT_EQ(m.graph().nodes.size(), 61u) << "nothing else is left unfused";
  int residual = 0;
  for (const auto& n : m.graph().nodes)
    if (n.op == graph::OpType::kConv2D) residual += n.p<graph::ConvParams>().has_residual;
  EXPECT_EQ(residual, 27);
  // ~0.25 GFLOP per image (shared/README.md and the issue).
  EXPECT_NEAR(m.flops_per_image() / 1e9, 0.25, 0.02);
}

TEST(TfLoader, LoadsTheMnistGraphWithKerasFlattenPattern) {
  auto path = test::shared("models/mnist-tf1-zcu104/DigitRecognitiion_model.pb");
  DPURUN_REQUIRE_SHARED(path);
  Model m = Model::load(path);  // inputs and outputs found by the loader
  EXPECT_EQ(m.inputs()[0].name, "x");
  EXPECT_EQ(m.inputs()[0].shape, (Shape{-1, 28, 28, 1}));
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 10}));
  auto c = counts(m);
  EXPECT_EQ(c["Conv2D"], 2);
  EXPECT_EQ(c["Pool"], 2);
  EXPECT_EQ(c["Reshape"], 1);
  EXPECT_EQ(c["FullyConnected"], 2);
}

TEST(TfLoader, TruncatedFileIsRejected) {
  auto path = test::shared("models/tf-resnet56-cifar10/float_frozen.pb");
  DPURUN_REQUIRE_SHARED(path);
  std::string bytes = test::read_file(path);
  for (double fraction : {0.5, 0.9, 0.999}) {
    Error e = load_error(bytes.substr(0, static_cast<std::size_t>(double(bytes.size()) * fraction)));
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel) << e.what();
  }
}

TEST(TfLoader, ForeignFilesAreRejected) {
  for (std::string bytes : {std::string("hello, this is not a graph\n"), std::string(),
                            std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)}) {
    Error e = load_error(bytes);
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a TensorFlow GraphDef"), std::string::npos) << e.what();
  }
}

TEST(TfLoader, UnsupportedOpIsNamedWithItsNode) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 4, 4, 1});
  g.op("my_cumsum", "Cumsum", {"x", g.int_constant("axis", {}, {1})});
  g.op("y", "Relu", {"my_cumsum"});
  Error e = load_error(g.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("my_cumsum"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("Cumsum"), std::string::npos) << e.what();
}

TEST(TfLoader, QuantizedGraphLowersEveryLayerToIntegers) {
  auto path = test::shared("models/tf-resnet56-cifar10/quantize_eval_model.pb");
  DPURUN_REQUIRE_SHARED(path);
  Model m = Model::load(path);
  EXPECT_TRUE(m.is_integer());
  int conv = 0, fc = 0;
  for (const auto& n : m.graph().nodes) {
    bool integer = m.graph().value(n.outputs[0]).type == DataType::kInt8;
    if (n.op == graph::OpType::kConv2D) conv += integer;
    if (n.op == graph::OpType::kFullyConnected) fc += integer;
  }
  EXPECT_EQ(conv, 58);
  EXPECT_EQ(fc, 1);
  auto c = counts(m);
  EXPECT_EQ(c["Quantize"], 1) << "only the float input is quantized";
  EXPECT_EQ(c["Dequantize"], 1) << "only the softmax reads floats";
}

TEST(TfLoader, FixNeuronWithoutQuantizePosIsRejected) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 2, 2, 1});
  g.op("x/aquant", "FixNeuron", {"x"});
  g.op("y", "Relu", {"x/aquant"});
  Error e = load_error(g.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("quantize_pos"), std::string::npos) << e.what();
}

TEST(TfLoader, MissingFileAndUnknownOutput) {
  try {
    Model::load("/nonexistent/model.pb");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  TfGraphBuilder g;
  g.placeholder("x", {-1, 2, 2, 1});
  g.op("y", "Relu", {"x"});
  Error e = load_error(g.bytes(), ModelOptions{{}, {"nope"}, {}});
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
}

TEST(TfLoader, CycleIsRejected) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 2, 2, 1});
  g.op("a", "AddV2", {"x", "b"});
  g.op("b", "Relu", {"a"});
  g.op("y", "Relu", {"b"});
  Error e = load_error(g.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos) << e.what();
}

TEST(TfLoader, ConstantWhoseBytesDoNotMatchItsShapeIsRejected) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 4, 4, 1});
  g.constant("w", {3, 3, 1, 2}, std::vector<float>(5, 1.f));  // 18 values declared, 5 given
  g.conv2d("y", "x", "w", 1, "SAME");
  Error e = load_error(g.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("'w'"), std::string::npos) << e.what();
}

TEST(TfLoader, FilterThatDoesNotFitTheInputIsRejected) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 4, 4, 3});
  g.constant("w", {3, 3, 2, 2}, std::vector<float>(36, 1.f));
  g.conv2d("y", "x", "w", 1, "SAME");
  Error e = load_error(g.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("'y'"), std::string::npos) << e.what();
}

TEST(TfLoader, NchwIsRefusedAtLoad) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 3, 4, 4});
  g.constant("w", {1, 1, 4, 2}, std::vector<float>(8, 1.f));
  g.conv2d("y", "x", "w", 1, "SAME");
  loaders::tf::GraphDef def = g.def();
  (*def.mutable_node(def.node_size() - 1)->mutable_attr())["data_format"].set_s("NCHW");
  Error e = load_error(def.SerializeAsString());
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("NHWC"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace dpurun

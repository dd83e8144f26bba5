// The fusion passes, checked on the graph they leave (numerics are checked in kernels_test).
#include <gtest/gtest.h>

#include "dpurun/model.h"
#include "graph/graph.h"
#include "support/test_env.h"
#include "support/tf_graph_builder.h"

namespace dpurun {
namespace {

using test::TfGraphBuilder;

Model load(const TfGraphBuilder& g) {
  auto path = (test::temp_dir() / "m.pb").string();
  test::write_file(path, g.bytes());
  return Model::load(path, ModelOptions{{"x"}, {"y"}, {}});
}

TEST(Passes, ConvBiasBatchNormReluBecomeOneNode) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 5, 5, 2});
  g.conv2d("conv", "x", g.constant("w", {3, 3, 2, 3}, std::vector<float>(54, 0.1f)), 1, "SAME");
  g.op("bias", "BiasAdd", {"conv", g.constant("b", {3}, {1, 2, 3})});
  auto& bn = g.op("bn", "FusedBatchNormV3",
                  {"bias", g.constant("g", {3}, {1, 1, 1}), g.constant("be", {3}, {0, 0, 0}),
                   g.constant("m", {3}, {0, 0, 0}), g.constant("v", {3}, {1, 1, 1})});
  TfGraphBuilder::set_bool(bn, "is_training", false);
  g.op("y", "Relu", {"bn"});
  Model m = load(g);
  ASSERT_EQ(m.graph().nodes.size(), 1u);
  const auto& n = m.graph().nodes[0];
  EXPECT_EQ(n.op, graph::OpType::kConv2D);
  EXPECT_TRUE(n.p<graph::ConvParams>().has_bias);
  EXPECT_EQ(n.p<graph::ConvParams>().act.kind, graph::Activation::kRelu);
}

TEST(Passes, ActivationBeforeAddBlocksResidualFusion) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 4, 4, 2});
  g.conv2d("conv", "x", g.constant("w", {1, 1, 2, 2}, {1, 0, 0, 1}), 1, "SAME");
  g.op("relu", "Relu", {"conv"});
  g.op("y", "AddV2", {"relu", "x"});
  Model m = load(g);
  ASSERT_EQ(m.graph().nodes.size(), 2u) << "relu(conv) + x must not become relu(conv + x)";
  EXPECT_EQ(m.graph().nodes[1].op, graph::OpType::kBinary);
}

TEST(Passes, SharedConvOutputIsNotFused) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 4, 4, 2});
  g.conv2d("conv", "x", g.constant("w", {1, 1, 2, 2}, {1, 0, 0, 1}), 1, "SAME");
  g.op("relu", "Relu", {"conv"});
  g.op("y", "AddV2", {"relu", "conv"});  // conv read twice
  Model m = load(g);
  EXPECT_EQ(m.graph().nodes.size(), 3u);
}

}  // namespace
}  // namespace dpurun

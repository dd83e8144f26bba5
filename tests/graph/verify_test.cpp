// The graph verifier: the shapes a loader declares against one inference rule per op.
#include <gtest/gtest.h>

#include "dpurun/error.h"
#include "graph/graph.h"
#include "graph/verify.h"
#include "support/graph_builder.h"

namespace dpurun::graph {
namespace {

struct Builder : test::GraphBuilder {
  void finish(ValueId out) { GraphBuilder::finish({out}); }
};

std::string verify_error(const Graph& g) {
  try {
    verify(g);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    return e.what();
  }
  return "";
}

ConvParams stride2_same() {
  ConvParams p;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_left = 1;
  p.pad_bottom = p.pad_right = 1;
  return p;
}

TEST(Verify, AConvolutionsDeclaredShapeFollowsFromItsWindow) {
  Builder b;
  ValueId x = b.input({-1, 8, 8, 3});
  ValueId y = b.node("conv", OpType::kConv2D, stride2_same(), {x, b.weights("w", {3, 3, 3, 4})}, {-1, 4, 4, 4});
  b.finish(y);
  EXPECT_EQ(verify_error(b.g), "");
  EXPECT_EQ(infer_shape(b.g, b.g.nodes[0]), (Shape{-1, 4, 4, 4}));
}

TEST(Verify, AWrongDeclaredShapeIsRefusedNamingTheNode) {
  Builder b;
  ValueId x = b.input({-1, 8, 8, 3});
  ValueId y = b.node("conv", OpType::kConv2D, stride2_same(), {x, b.weights("w", {3, 3, 3, 4})}, {-1, 5, 4, 4});
  b.finish(y);
  std::string e = verify_error(b.g);
  EXPECT_NE(e.find("test.pb: node 'conv' (Conv2D)"), std::string::npos) << e;
  EXPECT_NE(e.find("declares output [?, 5, 4, 4] where its inputs give [?, 4, 4, 4]"), std::string::npos) << e;
}

TEST(Verify, WeightsThatDoNotFitTheInputAreRefused) {
  Builder b;
  ValueId x = b.input({-1, 8, 8, 3});
  ValueId y = b.node("conv", OpType::kConv2D, ConvParams{}, {x, b.weights("w", {3, 3, 2, 4})}, {-1, 6, 6, 4});
  b.finish(y);
  EXPECT_NE(verify_error(b.g).find("do not fit input"), std::string::npos);
}

TEST(Verify, BroadcastingConcatPadMeanAndReshapeFollowTheirRules) {
  Builder b;
  ValueId x = b.input({-1, 4, 4, 2});
  ValueId bias = b.weights("bias", {2});
  ValueId a = b.node("add", OpType::kBinary, BinaryParams{}, {x, bias}, {-1, 4, 4, 2});
  ValueId c = b.node("cat", OpType::kConcat, ConcatParams{3}, {a, x}, {-1, 4, 4, 4});
  PadParams pad;
  pad.pads = {{0, 0}, {1, 1}, {0, 2}, {0, 0}};
  ValueId p = b.node("pad", OpType::kPad, pad, {c}, {-1, 6, 6, 4});
  MeanParams mean;
  mean.axes = {1, 2};
  ValueId m = b.node("mean", OpType::kMean, mean, {p}, {-1, 4});
  ValueId r = b.node("reshape", OpType::kReshape, std::monostate{}, {m}, {-1, 2, 2});
  b.finish(r);
  EXPECT_EQ(verify_error(b.g), "");
}

TEST(Verify, AReshapeThatChangesTheElementCountIsRefused) {
  Builder b;
  ValueId x = b.input({-1, 4, 4, 2});
  ValueId r = b.node("reshape", OpType::kReshape, std::monostate{}, {x}, {-1, 30});
  b.finish(r);
  EXPECT_NE(verify_error(b.g).find("reshapes [?, 4, 4, 2] to [?, 30]"), std::string::npos);
}

TEST(Verify, Int8ValuesNeedAFixPoint) {
  Builder b;
  ValueId x = b.input({-1, 4});
  ValueId q = b.node("q", OpType::kQuantize, FixParams{}, {x}, {-1, 4});
  b.g.value(q).type = DataType::kInt8;
  b.finish(q);
  EXPECT_NE(verify_error(b.g).find("without a fix point"), std::string::npos);
  b.g.value(q).fix = FixInfo{};
  EXPECT_EQ(verify_error(b.g), "");
}

}  // namespace
}  // namespace dpurun::graph

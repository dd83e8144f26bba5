#include <gtest/gtest.h>

#include "dpurun/error.h"
#include "graph/graph.h"

namespace dpurun::graph {
namespace {

Node unary(const std::string& name, ValueId in, ValueId out) {
  Node n;
  n.name = name;
  n.op = OpType::kUnary;
  n.params = UnaryParams{};
  n.inputs = {in};
  n.outputs = {out};
  return n;
}

TEST(Graph, FinalizeSortsAndPrunes) {
  Graph g;
  ValueId x = g.add_value("x", DataType::kFloat32, {-1, 4});
  ValueId a = g.add_value("a", DataType::kFloat32, {-1, 4});
  ValueId b = g.add_value("b", DataType::kFloat32, {-1, 4});
  ValueId unused = g.add_value("unused", DataType::kFloat32, {-1, 4});
  g.add_node(unary("second", a, b));  // added out of order
  g.add_node(unary("first", x, a));
  g.add_node(unary("dead", x, unused));
  g.inputs = {x};
  g.outputs = {b};
  g.finalize();
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].name, "first");
  EXPECT_EQ(g.nodes[1].name, "second");
  EXPECT_EQ(g.values.size(), 3u);
  EXPECT_EQ(g.value(g.outputs[0]).name, "b");
}

TEST(Graph, FinalizeFindsCyclesAndUnproducedValues) {
  Graph g;
  ValueId x = g.add_value("x", DataType::kFloat32, {-1, 4});
  ValueId a = g.add_value("a", DataType::kFloat32, {-1, 4});
  ValueId b = g.add_value("b", DataType::kFloat32, {-1, 4});
  g.add_node(unary("n1", b, a));
  g.add_node(unary("n2", a, b));
  g.inputs = {x};
  g.outputs = {b};
  EXPECT_THROW(g.finalize(), Error);

  Graph h;
  ValueId y = h.add_value("y", DataType::kFloat32, {-1, 4});
  ValueId orphan = h.add_value("orphan", DataType::kFloat32, {-1, 4});
  ValueId z = h.add_value("z", DataType::kFloat32, {-1, 4});
  h.add_node(unary("reads_orphan", orphan, z));
  h.inputs = {y};
  h.outputs = {z};
  try {
    h.finalize();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("orphan"), std::string::npos);
  }
}

TEST(Graph, ConstantSizeMustMatchShape) {
  Graph g;
  EXPECT_THROW(g.add_constant("c", Shape{2, 3}, std::vector<float>(5)), Error);
  ValueId c = g.add_constant("c", Shape{2, 3}, std::vector<float>(6, 1.f));
  EXPECT_TRUE(g.value(c).is_constant());
  EXPECT_EQ(g.value(c).as<float>().size(), 6u);
}

TEST(Shapes, ElementCountAndPrinting) {
  EXPECT_EQ(element_count({-1, 3, 4}, 5), 60);
  EXPECT_EQ(element_count({}), 1);
  EXPECT_EQ(to_string(Shape{-1, 32, 32, 3}), "[?, 32, 32, 3]");
}

// A file may declare any dimensions; a count past int64 is an error, not a wrapped number.
TEST(Shapes, ElementCountRefusesOverflow) {
  const std::int64_t big = std::int64_t{1} << 32;
  EXPECT_EQ(element_count({big, big / 2 - 1}), big * (big / 2 - 1));
  try {
    element_count({big, big, 3});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("[4294967296, 4294967296, 3]"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(element_count({-1, big, big}, big), Error);
}

}  // namespace
}  // namespace dpurun::graph

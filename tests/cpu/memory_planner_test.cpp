// The plan's memory planner on small graphs: which values share a block, when a block is free
// again, and how large blocks are.
#include <gtest/gtest.h>

#include "cpu/memory_planner.h"
#include "graph/graph.h"
#include "support/graph_builder.h"

namespace dpurun::cpu {
namespace {

using graph::ValueId;

struct Builder : test::GraphBuilder {
  ValueId input(Shape s = {-1, 4}) { return GraphBuilder::input(std::move(s)); }
  MemoryPlan plan(std::vector<ValueId> outputs, int inplace, int batch = 1) {
    finish(std::move(outputs));
    return plan_memory(g, batch, [&](const graph::Node&) { return inplace; });
  }
};

int block(const MemoryPlan& p, ValueId v) { return p.block_of[static_cast<std::size_t>(v)]; }

TEST(MemoryPlanner, AChainPingPongsBetweenTwoBlocks) {
  Builder b;
  ValueId x = b.input(), a = b.unary("a", x), c = b.unary("c", a), d = b.unary("d", c),
          e = b.unary("e", d);
  MemoryPlan p = b.plan({e}, -1);
  EXPECT_EQ(p.block_bytes.size(), 2u);
  EXPECT_NE(block(p, a), block(p, x));
  EXPECT_EQ(block(p, c), block(p, x));  // x is dead once a has run
  EXPECT_EQ(block(p, d), block(p, a));
  EXPECT_EQ(block(p, e), block(p, x));
  for (bool in_place : p.in_place) EXPECT_FALSE(in_place);
}

TEST(MemoryPlanner, InPlaceKernelsRunAChainInOneBlock) {
  Builder b;
  ValueId x = b.input(), a = b.unary("a", x), c = b.unary("c", a);
  MemoryPlan p = b.plan({c}, 0);
  EXPECT_EQ(p.block_bytes.size(), 1u);
  EXPECT_EQ(block(p, a), block(p, x));
  EXPECT_EQ(block(p, c), block(p, x));
  for (bool in_place : p.in_place) EXPECT_TRUE(in_place);
}

TEST(MemoryPlanner, AValueReadLaterKeepsItsBlockAndIsNotOverwritten) {
  Builder b;
  ValueId x = b.input(), a = b.unary("a", x), c = b.unary("c", a), d = b.add("d", a, c);
  MemoryPlan p = b.plan({d}, 0);
  // c may not overwrite a (d reads a afterwards); d may overwrite a, its last reader.
  EXPECT_NE(block(p, c), block(p, a));
  EXPECT_EQ(block(p, d), block(p, a));
  EXPECT_TRUE(p.in_place[0]);   // a over x
  EXPECT_FALSE(p.in_place[1]);  // c
  EXPECT_TRUE(p.in_place[2]);   // d over a
}

TEST(MemoryPlanner, AnInputReadTwiceByTheSameNodeIsNotOverwritten) {
  Builder b;
  ValueId x = b.input(), a = b.unary("a", x), d = b.add("d", a, a);
  MemoryPlan p = b.plan({d}, 0);
  EXPECT_FALSE(p.in_place[1]);
  EXPECT_NE(block(p, d), block(p, a));
}

TEST(MemoryPlanner, OutputsKeepTheirBlocksToTheEnd) {
  Builder b;
  ValueId x = b.input(), a = b.unary("a", x), c = b.unary("c", a), d = b.unary("d", c),
          e = b.unary("e", d);
  MemoryPlan p = b.plan({a, e}, -1);
  for (ValueId v : {c, d, e}) EXPECT_NE(block(p, v), block(p, a)) << v;
}

TEST(MemoryPlanner, BlocksHoldTheBatchRoundedUpTo64Bytes) {
  for (auto [batch, want] : {std::pair{1, 64u}, {3, 64u}, {20, 448u}}) {  // 5 floats per image
    Builder b;
    ValueId x = b.input({-1, 5});
    ValueId a = b.unary("a", x);
    MemoryPlan p = b.plan({a}, -1, batch);
    ASSERT_EQ(p.block_bytes.size(), 2u);
    EXPECT_EQ(p.block_bytes[0], want) << "batch " << batch;
  }
}

TEST(MemoryPlanner, AFreeBlockIsReusedOnlyWhenLargeEnoughAndTheSmallestThatFitsWins) {
  Builder b;
  ValueId x = b.input({-1, 16});  // 64 B
  ValueId big =
      b.node("big", graph::OpType::kConcat, graph::ConcatParams{1}, {x, x}, {-1, 32});  // 128 B
  ValueId a = b.unary("a", big);  // x's block is free now, but too small
  ValueId c = b.node("c", graph::OpType::kReshape, std::monostate{}, {a}, {-1, 16});  // 64 B
  MemoryPlan p = b.plan({c}, -1);
  EXPECT_NE(block(p, a), block(p, x));
  EXPECT_EQ(p.block_bytes[static_cast<std::size_t>(block(p, a))], 128u);
  // Free then: x's 64 bytes and big's 128. (x is read twice by one node: released once.)
  EXPECT_EQ(block(p, c), block(p, x));
  EXPECT_EQ(p.block_bytes.size(), 3u);
}

}  // namespace
}  // namespace dpurun::cpu

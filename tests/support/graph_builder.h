// dpurun graphs built directly (no file format): for the tests of the passes, the verifier and
// the memory planner.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace dpurun::test {

struct GraphBuilder {
  graph::Graph g;
  GraphBuilder() { g.source = "test.pb"; }

  graph::ValueId input(Shape s) {
    graph::ValueId v = g.add_value("x", DataType::kFloat32, std::move(s));
    g.inputs.push_back(v);
    return v;
  }
  graph::ValueId weights(const std::string& name, Shape s) {
    return g.add_constant(name, s, std::vector<float>(static_cast<std::size_t>(element_count(s)), 0.5f));
  }
  // A node of `op` writing a new float value `name` of shape `out`.
  graph::ValueId node(const std::string& name, graph::OpType op, graph::OpParams p,
                      std::vector<graph::ValueId> in, Shape out) {
    graph::ValueId v = g.add_value(name, DataType::kFloat32, std::move(out));
    graph::Node n;
    n.name = name;
    n.op = op;
    n.params = std::move(p);
    n.inputs = std::move(in);
    n.outputs = {v};
    g.add_node(std::move(n));
    return v;
  }
  graph::ValueId unary(const std::string& name, graph::ValueId in) {
    return node(name, graph::OpType::kUnary, graph::UnaryParams{}, {in}, g.value(in).shape);
  }
  graph::ValueId add(const std::string& name, graph::ValueId a, graph::ValueId b) {
    return node(name, graph::OpType::kBinary, graph::BinaryParams{}, {a, b}, g.value(a).shape);
  }
  // Sets the graph's outputs and finalizes it.
  void finish(std::vector<graph::ValueId> outputs) {
    g.outputs = std::move(outputs);
    g.finalize();
  }
};

}  // namespace dpurun::test

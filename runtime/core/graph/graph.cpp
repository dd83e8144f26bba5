#include "graph/graph.h"

#include <algorithm>
#include <unordered_map>

#include "dpurun/error.h"

namespace dpurun::graph {

const char* to_string(Activation a) {
  switch (a) {
    case Activation::kNone: return "none";
    case Activation::kRelu: return "relu";
    case Activation::kRelu6: return "relu6";
    case Activation::kLeakyRelu: return "leaky_relu";
    case Activation::kElu: return "elu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
    case Activation::kHardSigmoid: return "hard_sigmoid";
    case Activation::kHardSwish: return "hard_swish";
    case Activation::kClamp: return "clamp";
  }
  return "?";
}

const char* to_string(RoundMode r) {
  switch (r) {
    case RoundMode::kDpu: return "DPU_ROUND";
    case RoundMode::kStd: return "STD_ROUND";
    case RoundMode::kPy3: return "PY3_ROUND";
  }
  return "?";
}

std::optional<RoundMode> parse_round_mode(const std::string& name) {
  for (RoundMode r : {RoundMode::kDpu, RoundMode::kStd, RoundMode::kPy3})
    if (name == to_string(r)) return r;
  return std::nullopt;
}

const char* to_string(OpType op) {
  switch (op) {
    case OpType::kConv2D: return "Conv2D";
    case OpType::kDepthwiseConv2D: return "DepthwiseConv2D";
    case OpType::kPool: return "Pool";
    case OpType::kFullyConnected: return "FullyConnected";
    case OpType::kBinary: return "Binary";
    case OpType::kScaleShift: return "ScaleShift";
    case OpType::kUnary: return "Unary";
    case OpType::kConcat: return "Concat";
    case OpType::kPad: return "Pad";
    case OpType::kMean: return "Mean";
    case OpType::kReshape: return "Reshape";
    case OpType::kTranspose: return "Transpose";
    case OpType::kSlice: return "Slice";
    case OpType::kResize: return "Resize";
    case OpType::kSoftmax: return "Softmax";
    case OpType::kPRelu: return "PRelu";
    case OpType::kFix: return "Fix";
    case OpType::kQuantize: return "Quantize";
    case OpType::kDequantize: return "Dequantize";
    case OpType::kCustom: return "Custom";
  }
  return "?";
}

ValueId Graph::add_value(std::string name, DataType type, Shape shape) {
  Value v;
  v.name = std::move(name);
  v.type = type;
  v.shape = std::move(shape);
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::add_constant(std::string name, DataType type, Shape shape,
                            std::vector<std::byte> bytes) {
  auto expected = element_count(shape) * static_cast<std::int64_t>(size_of(type));
  if (expected != static_cast<std::int64_t>(bytes.size()))
    throw Error(ErrorCode::kInvalidModel, "constant '" + name + "' has " +
                                              std::to_string(bytes.size()) + " bytes for shape " +
                                              to_string(shape));
  ValueId id = add_value(std::move(name), type, std::move(shape));
  values[static_cast<std::size_t>(id)].data =
      std::make_shared<const std::vector<std::byte>>(std::move(bytes));
  return id;
}

NodeId Graph::add_node(Node node) {
  auto id = static_cast<NodeId>(nodes.size());
  for (ValueId out : node.outputs) value(out).producer = id;
  nodes.push_back(std::move(node));
  return id;
}

std::vector<int> Graph::use_counts() const {
  std::vector<int> uses(values.size(), 0);
  for (const Node& n : nodes)
    for (ValueId in : n.inputs) ++uses[static_cast<std::size_t>(in)];
  for (ValueId out : outputs) ++uses[static_cast<std::size_t>(out)];
  return uses;
}

void Graph::finalize() {
  // Producer of each value, from the node list (passes may have rewired it).
  std::vector<NodeId> producer(values.size(), kNone);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (ValueId out : nodes[i].outputs) {
      if (producer[static_cast<std::size_t>(out)] != kNone)
        throw Error(ErrorCode::kInvalidModel,
                    "value '" + value(out).name + "' is produced by two nodes ('" +
                        nodes[static_cast<std::size_t>(producer[out])].name + "' and '" +
                        nodes[i].name + "')");
      producer[static_cast<std::size_t>(out)] = static_cast<NodeId>(i);
    }

  // Depth-first post-order from the outputs: keeps what is needed, in a valid order, and
  // finds cycles. Iterative, so that deep graphs cannot overflow the stack.
  enum Mark : std::uint8_t { kUnseen, kOpen, kDone };
  std::vector<Mark> mark(nodes.size(), kUnseen);
  std::vector<NodeId> order;
  for (ValueId out : outputs) {
    NodeId root = producer[static_cast<std::size_t>(out)];
    if (root == kNone || mark[static_cast<std::size_t>(root)] == kDone) continue;
    std::vector<std::pair<NodeId, std::size_t>> stack{{root, 0}};
    mark[static_cast<std::size_t>(root)] = kOpen;
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      const Node& node = nodes[static_cast<std::size_t>(n)];
      if (next < node.inputs.size()) {
        NodeId p = producer[static_cast<std::size_t>(node.inputs[next++])];
        if (p == kNone) continue;
        if (mark[static_cast<std::size_t>(p)] == kOpen)
          throw Error(ErrorCode::kInvalidModel, "the graph has a cycle through node '" +
                                                    nodes[static_cast<std::size_t>(p)].name + "'");
        if (mark[static_cast<std::size_t>(p)] == kUnseen) {
          mark[static_cast<std::size_t>(p)] = kOpen;
          stack.emplace_back(p, 0);
        }
      } else {
        mark[static_cast<std::size_t>(n)] = kDone;
        order.push_back(n);
        stack.pop_back();
      }
    }
  }

  std::vector<Node> sorted;
  sorted.reserve(order.size());
  for (NodeId n : order) sorted.push_back(std::move(nodes[static_cast<std::size_t>(n)]));
  nodes = std::move(sorted);

  // Compact values: keep those that are used, renumber.
  std::vector<bool> used(values.size(), false);
  for (ValueId v : inputs) used[static_cast<std::size_t>(v)] = true;
  for (ValueId v : outputs) used[static_cast<std::size_t>(v)] = true;
  for (const Node& n : nodes) {
    for (ValueId v : n.inputs) used[static_cast<std::size_t>(v)] = true;
    for (ValueId v : n.outputs) used[static_cast<std::size_t>(v)] = true;
  }
  std::vector<ValueId> remap(values.size(), kNone);
  std::vector<Value> kept;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (used[i]) {
      remap[i] = static_cast<ValueId>(kept.size());
      kept.push_back(std::move(values[i]));
    }
  values = std::move(kept);
  auto re = [&](std::vector<ValueId>& ids) {
    for (ValueId& v : ids) v = remap[static_cast<std::size_t>(v)];
  };
  re(inputs);
  re(outputs);
  for (Value& v : values) v.producer = kNone;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    re(nodes[i].inputs);
    re(nodes[i].outputs);
    for (ValueId v : nodes[i].outputs) values[static_cast<std::size_t>(v)].producer = static_cast<NodeId>(i);
  }

  // Every non-constant, non-input value must have a producer.
  for (const Node& n : nodes)
    for (ValueId v : n.inputs) {
      const Value& val = value(v);
      bool is_input = std::find(inputs.begin(), inputs.end(), v) != inputs.end();
      if (val.producer == kNone && !val.is_constant() && !is_input)
        throw Error(ErrorCode::kInvalidModel,
                    "node '" + n.name + "' reads '" + val.name + "', which nothing produces");
    }
}

}  // namespace dpurun::graph

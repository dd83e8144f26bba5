#include "graph/lower_fix.h"

#include <cmath>
#include <cstring>

#include "graph/fix_math.h"
#include "dpurun/error.h"

namespace dpurun::graph {

void fake_quantize(std::vector<float>& values, const FixInfo& f) {
  const double up = std::ldexp(1.0, f.fix_point), down = std::ldexp(1.0, -f.fix_point);
  for (float& v : values) v = static_cast<float>(graph::quantize_fix(double(v) * up, f) * down);
}

namespace {

bool same_fix(const FixInfo& a, const FixInfo& b) {
  return a.fix_point == b.fix_point && a.bit_width == b.bit_width && a.is_signed == b.is_signed;
}

class Lowering {
 public:
  explicit Lowering(Graph& g) : g_(g) {}

  void run() {
    for (const auto& n : g_.nodes)
      if (n.op == OpType::kFix) {
        const FixInfo& f = n.p<FixParams>().fix;
        if (f.bit_width != 8)
          throw Error(ErrorCode::kUnsupported,
                      g_.source + ": node '" + n.name + "' quantizes to " +
                          std::to_string(f.bit_width) + " bits; the DPU emulation runs 8-bit models");
      }
    uses_ = g_.use_counts();
    dead_.assign(g_.nodes.size(), false);
    for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
      if (g_.nodes[i].op == OpType::kFix) lower_fix(i);
      else propagate_transparent(i);
    }
    std::vector<Node> kept;
    for (std::size_t i = 0; i < g_.nodes.size(); ++i)
      if (!dead_[i]) kept.push_back(std::move(g_.nodes[i]));
    g_.nodes = std::move(kept);
    insert_dequantize();
    g_.finalize();
    fold_integer_pads();
  }

  // A zero Pad over H and W feeding only an integer convolution becomes its padding (the DPU
  // pads with zeros too); the float passes could not see it through the fix op between.
  void fold_integer_pads() {
    auto uses = g_.use_counts();
    std::vector<bool> drop(g_.nodes.size(), false);
    for (auto& n : g_.nodes) {
      if ((n.op != OpType::kConv2D && n.op != OpType::kDepthwiseConv2D) ||
          g_.value(n.outputs[0]).type != DataType::kInt8)
        continue;
      ValueId x = n.inputs[0];
      NodeId p = g_.value(x).producer;
      if (p == kNone || uses[static_cast<std::size_t>(x)] != 1 || is_output(x)) continue;
      const Node& pad = g_.nodes[static_cast<std::size_t>(p)];
      if (pad.op != OpType::kPad) continue;
      const auto& pp = pad.p<PadParams>();
      if (pp.value != 0.f || pp.has_interior() || pp.pads.size() != 4 || pp.pads[3][0] || pp.pads[3][1]) continue;
      auto& cp = n.p<ConvParams>();
      cp.pad_top += static_cast<int>(pp.pads[1][0]);
      cp.pad_bottom += static_cast<int>(pp.pads[1][1]);
      cp.pad_left += static_cast<int>(pp.pads[2][0]);
      cp.pad_right += static_cast<int>(pp.pads[2][1]);
      n.inputs[0] = pad.inputs[0];
      drop[static_cast<std::size_t>(p)] = true;
    }
    std::vector<Node> kept;
    for (std::size_t i = 0; i < g_.nodes.size(); ++i)
      if (!drop[i]) kept.push_back(std::move(g_.nodes[i]));
    g_.nodes = std::move(kept);
    g_.finalize();
  }

 private:
  // An integer value, or a constant on a fix grid (made integer when an integer op takes it).
  bool is_int(ValueId v) const { return g_.value(v).fix.has_value(); }

  NodeId producer(ValueId v) const {
    for (std::size_t i = 0; i < g_.nodes.size(); ++i)
      if (!dead_[i])
        for (ValueId o : g_.nodes[i].outputs)
          if (o == v) return static_cast<NodeId>(i);
    return kNone;
  }

  bool is_output(ValueId v) const {
    for (ValueId o : g_.outputs)
      if (o == v) return true;
    return false;
  }

  // Every input integer (constants included), so that the node can run as a DPU op.
  bool all_inputs_int(const Node& n) const {
    for (ValueId v : n.inputs)
      if (!is_int(v)) return false;
    return !n.inputs.empty();
  }

  // Ops whose integer kernel requantizes to any output fix point.
  bool requantizing(const Node& n) const {
    switch (n.op) {
      case OpType::kConv2D:
      case OpType::kDepthwiseConv2D: {
        const auto& p = n.p<ConvParams>();
        return !p.has_residual && dpu_activation(p.act.kind);
      }
      case OpType::kFullyConnected: return dpu_activation(n.p<FullyConnectedParams>().act.kind);
      case OpType::kPool: return true;
      case OpType::kMean: {
        const auto& p = n.p<MeanParams>();
        return p.kind == ReduceKind::kMean && !p.on_cpu && p.axes == std::vector<int>{1, 2} &&
               g_.value(n.inputs[0]).shape.size() == 4;
      }
      case OpType::kBinary: {
        const auto& p = n.p<BinaryParams>();
        return p.kind == BinaryKind::kAdd && dpu_activation(p.act.kind) &&
               g_.value(n.inputs[0]).shape == g_.value(n.inputs[1]).shape;
      }
      case OpType::kUnary: return dpu_activation(n.p<UnaryParams>().act.kind);
      default: return false;
    }
  }

  // Ops that move integers without changing their scale.
  static bool transparent(const Node& n) {
    if (n.op == OpType::kPad) return n.p<PadParams>().value == 0.f;
    return n.op == OpType::kReshape || n.op == OpType::kConcat || n.op == OpType::kTranspose ||
           n.op == OpType::kSlice;
  }

  static bool dpu_activation(Activation a) {
    return a == Activation::kNone || a == Activation::kRelu || a == Activation::kRelu6 ||
           a == Activation::kLeakyRelu || a == Activation::kHardSigmoid ||
           a == Activation::kHardSwish;
  }

  // The int8 twin of a float constant on a fix grid (weights, biases), made once.
  ValueId int8_constant(ValueId v) {
    for (auto& [from, to] : int8_constants_)
      if (from == v) return to;
    if (g_.value(v).type == DataType::kInt8) return v;
    // Copies, not references: adding a constant may move every value.
    const Value c = g_.value(v);
    auto src = c.as<float>();
    std::vector<std::int8_t> q(src.size());
    for (std::size_t k = 0; k < src.size(); ++k)
      q[k] = static_cast<std::int8_t>(std::ldexp(double(src[k]), c.fix->fix_point));
    std::vector<std::byte> bytes(q.size());
    std::memcpy(bytes.data(), q.data(), q.size());
    ValueId id = g_.add_constant(c.name + "/int8", DataType::kInt8, c.shape, std::move(bytes));
    g_.value(id).fix = c.fix;
    int8_constants_.emplace_back(v, id);
    return id;
  }

  void make_int(ValueId v, const FixInfo& f) {
    g_.value(v).type = DataType::kInt8;
    g_.value(v).fix = f;
  }

  void lower_fix(std::size_t i) {
    Node& fix_node = g_.nodes[i];
    const FixInfo f = fix_node.p<FixParams>().fix;
    ValueId x = fix_node.inputs[0], y = fix_node.outputs[0];
    const Value& xv = g_.value(x);

    if (xv.is_constant()) {  // weights and biases: snapped to the fix grid once, here
      if (xv.type != DataType::kFloat32)
        throw Error(ErrorCode::kInvalidModel, g_.source + ": fix node '" + fix_node.name +
                                                  "' quantizes a non-float constant");
      std::vector<float> values(xv.as<float>().begin(), xv.as<float>().end());
      fake_quantize(values, f);
      std::vector<std::byte> bytes(values.size() * sizeof(float));
      std::memcpy(bytes.data(), values.data(), bytes.size());
      Value& yv = g_.value(y);
      yv.fix = f;
      yv.data = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
      dead_[i] = true;
      return;
    }

    NodeId p = producer(x);
    if (p != kNone && uses_[static_cast<std::size_t>(x)] == 1 && !is_output(x)) {
      Node& pn = g_.nodes[static_cast<std::size_t>(p)];
      bool absorb = all_inputs_int(pn) &&
                    (requantizing(pn) || (transparent(pn) && is_int(x) && same_fix(*g_.value(x).fix, f)));
      if (absorb) {  // the producer computes the fixed-point result itself
        for (ValueId& in : pn.inputs)
          if (g_.value(in).is_constant()) in = int8_constant(in);
        pn.outputs = {y};
        make_int(y, f);
        dead_[i] = true;
        return;
      }
      // A reshape between them (a 1-D op run as a 2-D one, then back): the op before the
      // reshape computes the fixed-point result, the reshape moves it.
      if (pn.op == OpType::kReshape) {
        ValueId r = pn.inputs[0];
        NodeId q = producer(r);
        if (q != kNone && uses_[static_cast<std::size_t>(r)] == 1 && !is_output(r)) {
          Node& qn = g_.nodes[static_cast<std::size_t>(q)];
          if (all_inputs_int(qn) && requantizing(qn)) {
            for (ValueId& in : qn.inputs)
              if (g_.value(in).is_constant()) in = int8_constant(in);
            make_int(r, f);
            pn.outputs = {y};
            make_int(y, f);
            dead_[i] = true;
            return;
          }
        }
      }
    }
    // Otherwise the fix becomes a conversion: float → integer, or an integer rescale.
    if (is_int(x)) {
      fix_node.op = OpType::kUnary;
      fix_node.params = UnaryParams{};
    } else {
      fix_node.op = OpType::kQuantize;
      fix_node.params = std::monostate{};
    }
    make_int(y, f);
  }

  // Integers pass through data movement with their fix point, so a later fix can use them.
  void propagate_transparent(std::size_t i) {
    Node& n = g_.nodes[i];
    if (!transparent(n) || !all_inputs_int(n)) return;
    const FixInfo& f = *g_.value(n.inputs[0]).fix;
    for (ValueId v : n.inputs)
      if (!same_fix(*g_.value(v).fix, f)) return;
    make_int(n.outputs[0], f);
  }

  // Float ops that read integers get them converted back: constants at load time, values by a
  // Dequantize node (the DPU → CPU boundary). Integer graph outputs are dequantized too.
  void insert_dequantize() {
    std::vector<Node> added;
    std::vector<std::pair<ValueId, ValueId>> converted;  // int value → its float copy
    auto float_copy = [&](ValueId v) {
      for (auto& [from, to] : converted)
        if (from == v) return to;
      // Copies, not references: adding a value may move every value.
      const std::string name = g_.value(v).name;
      const Shape shape = g_.value(v).shape;
      ValueId f = g_.add_value(name + "/float", DataType::kFloat32, shape);
      Node d;
      d.name = name + "/dequantize";
      d.source_op = "fix2float";
      d.op = OpType::kDequantize;
      d.inputs = {v};
      d.outputs = {f};
      added.push_back(std::move(d));
      converted.emplace_back(v, f);
      return f;
    };
    for (auto& n : g_.nodes) {
      bool integer_op = g_.value(n.outputs[0]).type == DataType::kInt8 || n.op == OpType::kDequantize;
      if (integer_op) continue;
      for (ValueId& in : n.inputs)
        if (is_int(in) && !g_.value(in).is_constant()) in = float_copy(in);
    }
    for (ValueId& out : g_.outputs)
      if (is_int(out)) out = float_copy(out);
    for (auto& d : added) g_.nodes.push_back(std::move(d));
  }

  Graph& g_;
  std::vector<int> uses_;
  std::vector<bool> dead_;
  std::vector<std::pair<ValueId, ValueId>> int8_constants_;
};

}  // namespace

bool has_fix_ops(const Graph& g) {
  for (const auto& n : g.nodes)
    if (n.op == OpType::kFix) return true;
  return false;
}

void lower_fix_to_integer(Graph& g) { Lowering(g).run(); }

}  // namespace dpurun::graph

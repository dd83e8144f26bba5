#include "graph/passes.h"

#include <algorithm>
#include <cstring>

#include "dpurun/error.h"
#include "graph/fix_math.h"

namespace dpurun::graph {
namespace {

bool is_weighted(OpType op) {
  return op == OpType::kConv2D || op == OpType::kDepthwiseConv2D ||
         op == OpType::kFullyConnected;
}

ActivationParams* activation_of(Node& n) {
  if (auto* c = std::get_if<ConvParams>(&n.params)) return &c->act;
  if (auto* b = std::get_if<BinaryParams>(&n.params))
    return b->kind == BinaryKind::kAdd ? &b->act : nullptr;
  if (auto* f = std::get_if<FullyConnectedParams>(&n.params)) return &f->act;
  if (auto* s = std::get_if<ScaleShiftParams>(&n.params)) return &s->act;
  return nullptr;
}

bool has_bias(const Node& n) {
  if (auto* c = std::get_if<ConvParams>(&n.params)) return c->has_bias;
  if (auto* f = std::get_if<FullyConnectedParams>(&n.params)) return f->has_bias;
  return false;
}

void set_bias(Node& n, ValueId bias) {
  if (auto* c = std::get_if<ConvParams>(&n.params)) {
    if (c->has_residual) n.inputs.insert(n.inputs.begin() + 2, bias);
    else n.inputs.push_back(bias);
    c->has_bias = true;
  } else {
    n.p<FullyConnectedParams>().has_bias = true;
    n.inputs.push_back(bias);
  }
}

bool plain_output(const Node& n) {
  if (auto* c = std::get_if<ConvParams>(&n.params))
    return c->act.kind == Activation::kNone && !c->has_residual;
  if (auto* f = std::get_if<FullyConnectedParams>(&n.params))
    return f->act.kind == Activation::kNone;
  return false;
}

// A per-channel vector over the last axis: shape [C] or [1, …, 1, C].
bool is_channel_vector(const Value& v, std::int64_t channels) {
  if (!v.is_constant() || v.type != DataType::kFloat32 || v.shape.empty()) return false;
  for (std::size_t d = 0; d + 1 < v.shape.size(); ++d)
    if (v.shape[d] != 1) return false;
  return v.shape.back() == channels;
}

class Fuser {
 public:
  explicit Fuser(Graph& g) : g_(g) {}

  // Phases in order: constants into weights first (bias, batch norm, pad), then residual adds,
  // then activations, so that an activation never lands between a convolution and its bias.
  enum Phase { kFoldConstants, kResidual, kActivation };

  void run() {
    for (Phase phase : {kFoldConstants, kResidual, kActivation}) {
      phase_ = phase;
      bool changed = true;
      while (changed) {
        changed = false;
        refresh();
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
          if (dead_[i]) continue;
          changed |= (phase == kFoldConstants && fold_pad(i)) || fuse_into_producer(i);
        }
        compact();
      }
    }
  }

 private:
  void refresh() {
    uses_ = g_.use_counts();
    dead_.assign(g_.nodes.size(), false);
    producer_.assign(g_.values.size(), kNone);
    for (std::size_t i = 0; i < g_.nodes.size(); ++i)
      for (ValueId v : g_.nodes[i].outputs) producer_[static_cast<std::size_t>(v)] = static_cast<NodeId>(i);
  }

  // The node producing `v` when `v` feeds exactly one consumer and is not a graph output.
  Node* sole_producer(ValueId v) {
    if (uses_[static_cast<std::size_t>(v)] != 1) return nullptr;
    for (ValueId o : g_.outputs)
      if (o == v) return nullptr;
    NodeId p = producer_[static_cast<std::size_t>(v)];
    if (p == kNone || dead_[static_cast<std::size_t>(p)]) return nullptr;
    return &g_.nodes[static_cast<std::size_t>(p)];
  }

  // `consumer` disappears; `producer` now writes what `consumer` wrote.
  void absorb(Node& producer, std::size_t consumer) {
    Node& c = g_.nodes[consumer];
    producer.outputs = c.outputs;
    producer.name = c.name;  // later fusions and messages see the last fused name
    dead_[consumer] = true;
  }

  std::vector<float> copy_floats(ValueId v) {
    auto s = g_.value(v).as<float>();
    return {s.begin(), s.end()};
  }

  ValueId new_constant(const Value& like, const std::string& suffix, const std::vector<float>& f) {
    return g_.add_constant(like.name + suffix, like.shape, f);
  }

  // Pad with zeros over H and W feeding a convolution becomes the convolution's padding.
  bool fold_pad(std::size_t i) {
    Node& n = g_.nodes[i];
    if (n.op != OpType::kConv2D && n.op != OpType::kDepthwiseConv2D) return false;
    Node* pad = sole_producer(n.inputs[0]);
    if (!pad || pad->op != OpType::kPad) return false;
    const auto& pp = pad->p<PadParams>();
    if (pp.value != 0.f || pp.has_interior() || pp.pads.size() != 4 || pp.pads[3][0] || pp.pads[3][1]) return false;
    auto& cp = n.p<ConvParams>();
    cp.pad_top += static_cast<int>(pp.pads[1][0]);
    cp.pad_bottom += static_cast<int>(pp.pads[1][1]);
    cp.pad_left += static_cast<int>(pp.pads[2][0]);
    cp.pad_right += static_cast<int>(pp.pads[2][1]);
    n.inputs[0] = pad->inputs[0];
    dead_[static_cast<std::size_t>(producer_[static_cast<std::size_t>(pad->outputs[0])])] = true;
    return true;
  }

  // Node i (a bias add, a scale-shift, an activation or a residual add) merges into the node
  // that produces its input, when nothing else reads that input.
  bool fuse_into_producer(std::size_t i) {
    Node& n = g_.nodes[i];
    if (n.op == OpType::kBinary && n.p<BinaryParams>().kind == BinaryKind::kAdd) {
      for (int side = 0; side < 2; ++side) {
        ValueId x = n.inputs[static_cast<std::size_t>(side)];
        ValueId other = n.inputs[static_cast<std::size_t>(1 - side)];
        Node* p = sole_producer(x);
        if (!p || !is_weighted(p->op) || !plain_output(*p)) continue;
        std::int64_t channels = g_.value(x).shape.back();
        const Value& ov = g_.value(other);
        if (phase_ == kFoldConstants && is_channel_vector(ov, channels)) {  // bias
          if (has_bias(*p)) {
            auto b = copy_floats(p->inputs[2]);
            auto add = ov.as<float>();
            for (std::size_t k = 0; k < b.size(); ++k) b[k] += add[k];
            p->inputs[2] = new_constant(g_.value(p->inputs[2]), "+", b);
          } else {
            auto add = ov.as<float>();
            ValueId b = g_.add_constant(ov.name, {channels}, std::vector<float>(add.begin(), add.end()));
            g_.value(b).fix = g_.value(other).fix;  // a quantized bias keeps its fix point
            set_bias(*p, b);
          }
          absorb(*p, i);
          return true;
        }
        if (phase_ == kResidual && p->op == OpType::kConv2D && !ov.is_constant() && ov.shape == g_.value(x).shape &&
            ov.type == DataType::kFloat32) {  // residual
          p->p<ConvParams>().has_residual = true;
          p->inputs.push_back(other);
          absorb(*p, i);
          return true;
        }
      }
      return false;
    }
    if (phase_ == kFoldConstants && n.op == OpType::kScaleShift &&
        n.p<ScaleShiftParams>().act.kind == Activation::kNone) {
      Node* p = sole_producer(n.inputs[0]);
      if (!p || !is_weighted(p->op) || !plain_output(*p)) return false;
      if (g_.value(p->inputs[1]).fix) return false;  // quantized weights stay on their grid
      auto scale = g_.value(n.inputs[1]).as<float>();
      auto shift = g_.value(n.inputs[2]).as<float>();
      const Value& wv = g_.value(p->inputs[1]);
      auto w = copy_floats(p->inputs[1]);
      std::size_t oc = scale.size();  // output channels are the innermost weight index
      for (std::size_t k = 0; k < w.size(); ++k) w[k] *= scale[k % oc];
      p->inputs[1] = new_constant(wv, "*bn", w);
      std::vector<float> b(oc, 0.f);
      if (has_bias(*p)) b = copy_floats(p->inputs[2]);
      for (std::size_t k = 0; k < oc; ++k) b[k] = b[k] * scale[k] + shift[k];
      if (has_bias(*p)) p->inputs[2] = new_constant(g_.value(p->inputs[2]), "*bn", b);
      else set_bias(*p, g_.add_constant(n.name + "/bias", {static_cast<std::int64_t>(oc)}, b));
      absorb(*p, i);
      return true;
    }
    if (phase_ == kActivation && n.op == OpType::kUnary) {
      Node* p = sole_producer(n.inputs[0]);
      if (!p) return false;
      ActivationParams* act = activation_of(*p);
      if (!act || act->kind != Activation::kNone) return false;
      *act = n.p<UnaryParams>().act;
      absorb(*p, i);
      return true;
    }
    return false;
  }

  void compact() {
    std::vector<Node> kept;
    for (std::size_t i = 0; i < g_.nodes.size(); ++i)
      if (!dead_[i]) kept.push_back(std::move(g_.nodes[i]));
    g_.nodes = std::move(kept);
    g_.finalize();
  }

  Graph& g_;
  Phase phase_ = kFoldConstants;
  std::vector<int> uses_;
  std::vector<bool> dead_;
  std::vector<NodeId> producer_;
};

}  // namespace

void fuse_for_inference(Graph& g) { Fuser(g).run(); }

void fuse_int8_residuals(Graph& g) {
  const std::vector<int> uses = g.use_counts();
  std::vector<NodeId> producer(g.values.size(), kNone);
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    for (ValueId v : g.nodes[i].outputs) producer[static_cast<std::size_t>(v)] = static_cast<NodeId>(i);
  auto is_output = [&](ValueId v) { return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end(); };
  auto int8_fix = [&](ValueId v) { return g.value(v).type == DataType::kInt8 && g.value(v).fix.has_value(); };
  auto plain = [](Activation a) { return a == Activation::kNone || a == Activation::kRelu; };
  std::vector<bool> dead(g.nodes.size(), false);
  bool changed = false;
  for (std::size_t j = 0; j < g.nodes.size(); ++j) {
    const Node& add = g.nodes[j];
    if (add.op != OpType::kBinary || add.inputs.size() != 2) continue;
    const auto& bp = add.p<BinaryParams>();
    if (bp.kind != BinaryKind::kAdd || !plain(bp.act.kind) || !int8_fix(add.outputs[0])) continue;
    for (int side = 0; side < 2; ++side) {
      const ValueId x = add.inputs[static_cast<std::size_t>(side)], r = add.inputs[static_cast<std::size_t>(1 - side)];
      const NodeId pi = producer[static_cast<std::size_t>(x)];
      if (pi == kNone || dead[static_cast<std::size_t>(pi)] || uses[static_cast<std::size_t>(x)] != 1 || is_output(x)) continue;
      Node& conv = g.nodes[static_cast<std::size_t>(pi)];
      if (conv.op != OpType::kConv2D) continue;
      auto& cp = conv.p<ConvParams>();
      // The residual cannot depend on x (only the add reads x): finalize() below orders its
      // producer before the convolution.
      if (cp.has_residual || !plain(cp.act.kind) || !int8_fix(x) || !int8_fix(r) || g.value(r).is_constant() ||
          g.value(r).shape != g.value(x).shape ||
          !int8_residual_fits(*g.value(x).fix, *g.value(r).fix, *g.value(add.outputs[0]).fix))
        continue;
      cp.has_residual = true;
      cp.conv_fix = g.value(x).fix;
      cp.residual_act = bp.act;
      conv.inputs.push_back(r);
      conv.outputs = add.outputs;
      conv.name = add.name;
      dead[j] = true;
      changed = true;
      break;
    }
  }
  if (!changed) return;
  std::vector<Node> kept;
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  g.finalize();
}

}  // namespace dpurun::graph

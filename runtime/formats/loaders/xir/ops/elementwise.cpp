// Activations, add, mul, scale, prelu and softmax.
#include <cmath>

#include "graph/fix_math.h"
#include "loaders/xir/ops/ops.h"

namespace dpurun::loaders::xir {

void convert_activation(Lowering& L, const OPNode& n) {
  const std::string& t = n.op_type();
  ValueId x = L.input(n, "input");
  graph::UnaryParams p;
  p.act.kind = t == "relu"           ? graph::Activation::kRelu
               : t == "relu6"        ? graph::Activation::kRelu6
               : t == "leaky-relu"   ? graph::Activation::kLeakyRelu
               : t == "sigmoid"      ? graph::Activation::kSigmoid
               : t == "hard-sigmoid" ? graph::Activation::kHardSigmoid
               : t == "hard-swish"   ? graph::Activation::kHardSwish
               : t == "clamp" || t == "hard-tanh" ? graph::Activation::kClamp
                                     : graph::Activation::kTanh;
  p.act.alpha = L.attr_f(n, "alpha", 0.1f);
  if (t == "clamp") {
    if (!L.attr(n, "min") || !L.attr(n, "max")) L.fail(n, ErrorCode::kInvalidModel, "clamp needs min and max");
    p.act.alpha = L.attr_f(n, "min", 0.f);
    p.act.beta = L.attr_f(n, "max", 0.f);
    if (!(p.act.alpha <= p.act.beta)) L.fail(n, ErrorCode::kInvalidModel, "clamp's min is above its max");
  } else if (t == "hard-tanh") {  // clip(x, -1, 1)
    p.act.alpha = -1.f;
    p.act.beta = 1.f;
  }
  L.add_node(n, OpType::kUnary, p, {x}, L.g.value(x).shape);
}

void convert_add(Lowering& L, const OPNode& n) {
  auto ins = L.arg(n, "input");
  if (ins.size() != 2)
    L.fail(n, ErrorCode::kUnsupported, "add of " + std::to_string(ins.size()) + " inputs");
  ValueId a = L.value_of(n, ins[0]), b = L.value_of(n, ins[1]);
  // Equal shapes run as the DPU's integer add; a broadcast one (a constant, a per-channel
  // term) in float, exact on the inputs' fix grids and rounded once by the fix after it.
  L.add_node(n, OpType::kBinary, graph::BinaryParams{}, {a, b}, L.output_shape(n, true));
}

namespace {

// A constant of one value (any shape of one element), or NaN.
float scalar_constant(Lowering& L, ValueId v) {
  const graph::Value& c = L.g.value(v);
  if (!c.is_constant() || c.type != DataType::kFloat32 || element_count(c.shape) != 1) return NAN;
  return c.as<float>()[0];
}

// The node that produced `v` in the graph so far, when it is of type `op`; else null.
const graph::Node* made_by(Lowering& L, ValueId v, OpType op) {
  const graph::NodeId p = L.g.value(v).producer;
  if (p == graph::kNone) return nullptr;
  const graph::Node& n = L.g.nodes[static_cast<std::size_t>(p)];
  return n.op == op ? &n : nullptr;
}

bool reads_fixed_point(Lowering& L, const graph::Node& n) {
  return made_by(L, n.inputs[0], OpType::kFix) != nullptr;
}

// vai_q_pytorch's scale after a mean over `count` elements (nndct dpu_utils.calculate_op_scale):
// count · F / 2^S with F / 2^S the closest to 1 / count for S below ⌈log2(128 · count)⌉; 1 for
// a power of two.
double quantizer_mean_scale(std::int64_t count) {
  if (count <= 0 || (count & (count - 1)) == 0) return 1.0;
  const int max_shift = static_cast<int>(std::ceil(std::log2(double(count) * 128.0)));
  double best_f = 0, best_diff = 1.0;
  int best_s = 0;
  for (int s = 0; s < max_shift; ++s) {
    const double f = std::nearbyint(std::ldexp(1.0, s) / double(count));
    const double diff = std::abs(f / std::ldexp(1.0, s) - 1.0 / double(count));
    if (diff < best_diff) {
      best_f = f;
      best_s = s;
      best_diff = diff;
    }
  }
  return double(count) * best_f / std::ldexp(1.0, best_s);
}

}  // namespace

// vai_q_pytorch writes two DPU approximations as an op times a constant: an average pool as
// avgpool2d · (k²·F / 2^S) (the DPU divides by k² with a multiply by F and a shift), and a hard
// sigmoid as hard-sigmoid · (6 · 2731 / 2^14). On fixed-point input, the pair is the DPU's own
// pool or hard sigmoid, which the integer lowering runs (graph/fix_math.h); the constant goes.
// In the quantizer's float simulation (fix_in_float) the product stays as written. Other
// products run in float: two int8 values' product is exact there, and the fix after it rounds
// as the DPU does.
void convert_mul(Lowering& L, const OPNode& n) {
  auto ins = L.arg(n, "input");
  if (ins.size() != 2) L.fail(n, ErrorCode::kUnsupported, "mul of " + std::to_string(ins.size()) + " inputs");
  ValueId a = L.value_of(n, ins[0]), b = L.value_of(n, ins[1]);
  if (!std::isnan(scalar_constant(L, a))) std::swap(a, b);
  const float c = scalar_constant(L, b);
  if (!std::isnan(c) && !L.options.fix_in_float) {
    if (const graph::Node* pool = made_by(L, a, OpType::kPool)) {
      const auto& p = pool->p<graph::PoolParams>();
      const auto f = graph::dpu_average_factor(p.kernel_h, p.kernel_w);
      const double dpu = double(p.kernel_h) * p.kernel_w * double(f.multiplier) / std::ldexp(1.0, f.shift);
      if (p.kind == graph::PoolKind::kAverage && reads_fixed_point(L, *pool) && std::abs(c - dpu) <= 1e-6 * dpu) {
        // The pool then averages as the DPU does, whether a fix follows it or not.
        L.g.nodes[static_cast<std::size_t>(L.g.value(a).producer)].p<graph::PoolParams>().dpu_factor = true;
        L.values[n.op_name()] = a;
        return;
      }
    }
    // A mean over H and W times vai_q_pytorch's model of the DPU's factor (its
    // calculate_op_scale): the DPU's global average pool, as for the pool above.
    const graph::Node* mean = made_by(L, a, OpType::kMean);
    if (const graph::Node* r = made_by(L, a, OpType::kReshape); r && !mean) mean = made_by(L, r->inputs[0], OpType::kMean);
    if (mean && mean->p<graph::MeanParams>().kind == graph::ReduceKind::kMean &&
        mean->p<graph::MeanParams>().axes == std::vector<int>{1, 2} && reads_fixed_point(L, *mean)) {
      const Shape& ms = L.g.value(mean->inputs[0]).shape;
      const double q = quantizer_mean_scale(ms[1] * ms[2]);
      if (std::abs(c - q) <= 1e-6 * q) {
        L.values[n.op_name()] = a;
        return;
      }
    }
    if (const graph::Node* hs = made_by(L, a, OpType::kUnary)) {
      if (hs->p<graph::UnaryParams>().act.kind == graph::Activation::kHardSigmoid && reads_fixed_point(L, *hs) &&
          std::abs(c - 6.0 * 2731.0 / 16384.0) <= 1e-6) {
        L.values[n.op_name()] = a;
        return;
      }
    }
  }
  graph::BinaryParams p;
  p.kind = graph::BinaryKind::kMul;
  L.add_node(n, OpType::kBinary, p, {a, b}, L.output_shape(n, true));
}

// In float, with broadcasting: exact on the inputs' fix grids, rounded once by the fix after it.
void convert_sub(Lowering& L, const OPNode& n) {
  auto ins = L.arg(n, "input");
  if (ins.size() != 2) L.fail(n, ErrorCode::kUnsupported, "sub of " + std::to_string(ins.size()) + " inputs");
  graph::BinaryParams p;
  p.kind = graph::BinaryKind::kSub;
  L.add_node(n, OpType::kBinary, p, {L.value_of(n, ins[0]), L.value_of(n, ins[1])}, L.output_shape(n, true));
}

// BatchNorm left as a per-channel scale and bias: x · scale + bias, in float (exact on the fix
// grids of its inputs; the fix after it rounds as the DPU does).
void convert_scale(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input"), scale = L.input(n, "scale");
  const Shape xs = L.g.value(x).shape;
  if (L.attr_ints(n, "axis", {-1})[0] != -1 && L.attr_ints(n, "axis", {-1})[0] != static_cast<std::int64_t>(xs.size()) - 1)
    L.fail(n, ErrorCode::kUnsupported, "scale along an axis other than the channels");
  ValueId bias;
  if (!L.arg(n, "bias").empty()) {
    bias = L.input(n, "bias");
  } else {
    bias = L.g.add_constant(n.op_name() + "/no_bias", Shape{xs.back()}, std::vector<float>(static_cast<std::size_t>(xs.back()), 0.f));
  }
  for (ValueId v : {scale, bias})
    if (!L.g.value(v).is_constant() || element_count(L.g.value(v).shape) != xs.back())
      L.fail(n, ErrorCode::kUnsupported, "scale and bias must be constants with one value per channel");
  L.add_node(n, OpType::kScaleShift, graph::ScaleShiftParams{}, {x, scale, bias}, xs);
}

// Runs in float; a fix op after it requantizes, as the quantizer simulates.
void convert_prelu(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  ValueId alpha = L.input(n, "alpha");
  const Shape xs = L.g.value(x).shape;
  if (!L.g.value(alpha).is_constant() || element_count(L.g.value(alpha).shape) != xs.back())
    L.fail(n, ErrorCode::kInvalidModel, "alpha must be a constant with one value per channel");
  L.add_node(n, OpType::kPRelu, std::monostate{}, {x, alpha}, xs);
}

void convert_softmax(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  L.add_node(n, OpType::kSoftmax, graph::SoftmaxParams{}, {x}, L.g.value(x).shape);
}

}  // namespace dpurun::loaders::xir

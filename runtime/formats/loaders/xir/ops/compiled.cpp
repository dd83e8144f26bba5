// The ops of a compiled .xmodel's DPU subgraphs (conv2d-fix, pool-fix, eltwise-fix, …). Each is
// lowered as the quantized model's ops it was compiled from: the float op, its activation, and
// a Fix to its output tensor's fix point. The integer lowering then runs them as the DPU does,
// so the compiled file alone gives what the quantized model gives.
#include <cmath>

#include "loaders/xir/dpu_params.h"
#include "loaders/xir/ops/ops.h"

namespace dpurun::loaders::xir {
namespace {

const AttrValue* tensor_attr(const OPNode& n, const std::string& key) {
  auto it = n.output_tensor().tensor_attr().find(key);
  return it == n.output_tensor().tensor_attr().end() ? nullptr : &it->second;
}

// The fix format of the op's output tensor.
graph::FixInfo output_fix(Lowering& L, const OPNode& n) {
  const AttrValue* fp = tensor_attr(n, "fix_point");
  if (!fp || ints(*fp).empty())
    L.fail(n, ErrorCode::kInvalidModel, "its output tensor has no fix_point");
  graph::FixInfo f;
  f.fix_point = static_cast<int>(ints(*fp)[0]);
  if (const AttrValue* bw = tensor_attr(n, "bit_width"); bw && !ints(*bw).empty())
    f.bit_width = static_cast<int>(ints(*bw)[0]);
  if (const AttrValue* s = tensor_attr(n, "if_signed");
      s && s->value_case() == AttrValue::kBoolValue)
    f.is_signed = s->bool_value();
  const AttrValue* r = tensor_attr(n, "round_mode");
  f.round = graph::parse_round_mode(r ? r->string_value() : "").value_or(graph::RoundMode::kDpu);
  if (f.bit_width != 8 || f.fix_point < -32 || f.fix_point > 32)
    L.fail(n, ErrorCode::kUnsupported,
           "an output of " + std::to_string(f.bit_width) + " bits at fix point " +
               std::to_string(f.fix_point) + " (the emulation runs 8-bit models)");
  return f;
}

// A copy of `n` as the float op `type`, named n + `suffix`; lowered by its converter.
ValueId lower_as(Lowering& L, const OPNode& n, const char* type, const std::string& suffix) {
  OPNode t = n;
  t.set_op_type(type);
  t.set_op_name(n.op_name() + suffix);
  find_converter(type)(L, t);
  return L.values.at(t.op_name());
}

// The op's result: `x`, through its `nonlinear` activation, fixed to the output's format.
void activate_and_fix(Lowering& L, const OPNode& n, ValueId x) {
  const std::string act = L.attr_s(n, "nonlinear", "NONE");
  if (act != "NONE" && !act.empty()) {
    graph::UnaryParams p;
    if (act == "RELU") {
      p.act.kind = graph::Activation::kRelu;
    } else if (act == "RELU6") {
      p.act.kind = graph::Activation::kRelu6;
    } else if (act == "LEAKYRELU") {
      p.act.kind = graph::Activation::kLeakyRelu;
      p.act.alpha = 26.f / 256.f;  // the DPU's slope
    } else {
      L.fail(n, ErrorCode::kUnsupported,
             "fused activation " + act +
                 " is not emulated for compiled models; give the quantized model it was "
                 "compiled from with --weights-from");
    }
    OPNode a = n;
    a.set_op_name(n.op_name() + "/" + act);
    x = L.add_node(a, OpType::kUnary, p, {x}, L.g.value(x).shape);
  }
  L.add_node(n, OpType::kFix, graph::FixParams{output_fix(L, n)}, {x}, L.g.value(x).shape);
}

// A bias finer than one bit below the product (input fix point + weights') is stored shifted
// right (floor) to that bit; its tensor keeps the finer fix point (digitRecognitiion.xmodel,
// xcompiler 1.4: all four biases; docs/compiled-xmodel.md). The DPU adds what is stored.
void convert_conv_fix(Lowering& L, const OPNode& n) {
  const bool depthwise = n.op_type() == "depthwise-conv2d-fix";
  OPNode c = n;
  const auto in = L.arg(n, "input"), w = L.arg(n, "weights"), b = L.arg(n, "bias");
  if (in.size() == 1 && w.size() == 1 && b.size() == 1 && L.ops.count(in[0]) && L.ops.count(w[0]) &&
      L.ops.count(b[0])) {
    const int fp_b = output_fix(L, *L.ops.at(b[0])).fix_point;
    const int bit =
        output_fix(L, *L.ops.at(in[0])).fix_point + output_fix(L, *L.ops.at(w[0])).fix_point + 1;
    const graph::Value& bias = L.g.value(L.value_of(n, b[0]));
    if (fp_b > bit && bias.is_constant()) {
      std::vector<float> v(bias.as<float>().begin(), bias.as<float>().end());
      for (float& x : v) x = std::ldexp(x, fp_b - bit);  // the stored integers, at `bit`
      graph::FixInfo f = *bias.fix;
      f.fix_point = bit;
      const std::string name = n.op_name() + "/bias_as_stored";
      ValueId nb = L.g.add_constant(name, bias.shape, v);
      L.g.value(nb).fix = f;
      L.reroute(c, "bias", name, nb);
    }
  }
  activate_and_fix(L, n, lower_as(L, c, depthwise ? "depthwise-conv2d" : "conv2d", "/float"));
}

void convert_pool_fix(Lowering& L, const OPNode& n) {
  const std::string type = L.attr_s(n, "type", "");
  if (type != "MAX" && type != "AVG")
    L.fail(n, ErrorCode::kUnsupported, "pool type '" + type + "'");
  ValueId x = lower_as(L, n, type == "MAX" ? "maxpool2d" : "avgpool2d", "/float");
  L.g.nodes[static_cast<std::size_t>(L.g.value(x).producer)].p<graph::PoolParams>().dpu_factor =
      type == "AVG";
  activate_and_fix(L, n, x);
}

// ADD or MUL of its inputs (a depthwise-fix MUL broadcasts one over the channels).
void convert_eltwise_fix(Lowering& L, const OPNode& n) {
  const std::string type = L.attr_s(n, "type", "ADD");
  if (type != "ADD" && type != "MUL")
    L.fail(n, ErrorCode::kUnsupported, "eltwise type '" + type + "'");
  auto ins = L.arg(n, "input");
  if (ins.size() < 2) L.fail(n, ErrorCode::kInvalidModel, "needs two inputs or more");
  graph::BinaryParams p;
  p.kind = type == "ADD" ? graph::BinaryKind::kAdd : graph::BinaryKind::kMul;
  ValueId x = L.value_of(n, ins[0]);
  for (std::size_t i = 1; i < ins.size(); ++i) {
    OPNode t = n;
    t.set_op_name(n.op_name() + "/" + type + std::to_string(i));
    x = L.add_node(t, OpType::kBinary, p, {x, L.value_of(n, ins[i])}, L.output_shape(n, true));
  }
  activate_and_fix(L, n, x);
}

// The DPU's hard sigmoid reads its input at fix point `hsigmoid_in` and shifts its product with
// 2731 (≈ 2^14 / 6) right by `shift_hsigmoid`: relu6(x + 3) · 2731 / 2^14 at the output's fix
// point, which is what the emulation computes when these agree.
void convert_hard_sigmoid_fix(Lowering& L, const OPNode& n) {
  ValueId x = L.input(n, "input");
  const auto& in = L.g.value(x);
  const OPNode& producer = *L.ops.at(L.arg(n, "input")[0]);
  const graph::FixInfo in_fix = output_fix(L, producer), out = output_fix(L, n);
  const auto h_in = L.attr_ints(n, "hsigmoid_in", {-128})[0],
             shift = L.attr_ints(n, "shift_hsigmoid", {-128})[0];
  if (h_in != in_fix.fix_point || shift != h_in + 14 - out.fix_point)
    L.fail(n, ErrorCode::kUnsupported,
           "hsigmoid_in " + std::to_string(h_in) + " and shift_hsigmoid " + std::to_string(shift) +
               " do not match its input's and output's fix points; this form is not emulated");
  graph::UnaryParams p;
  p.act.kind = graph::Activation::kHardSigmoid;
  OPNode t = n;
  t.set_op_name(n.op_name() + "/float");
  activate_and_fix(L, n, L.add_node(t, OpType::kUnary, p, {x}, in.shape));
}

void convert_concat_fix(Lowering& L, const OPNode& n) {
  activate_and_fix(L, n, lower_as(L, n, "concat", "/float"));
}
void convert_reshape_fix(Lowering& L, const OPNode& n) {
  activate_and_fix(L, n, lower_as(L, n, "reshape", "/float"));
}
void convert_slice_fix(Lowering& L, const OPNode& n) {
  activate_and_fix(L, n, lower_as(L, n, "strided_slice", "/float"));
}
void convert_pixel_shuffle_fix(Lowering& L, const OPNode& n) {
  activate_and_fix(L, n, lower_as(L, n, "pixel-shuffle", "/float"));
}
void convert_resize_fix(Lowering& L, const OPNode& n) {
  activate_and_fix(L, n, lower_as(L, n, "resize", "/float"));
}

// The model's input as the float the user gives, fixed as the DPU reads it.
void convert_data_fix(Lowering& L, const OPNode& n) {
  Shape s = L.options.input_shape.empty() ? L.output_shape(n, true) : L.options.input_shape;
  ValueId x = L.g.add_value(n.op_name(), DataType::kFloat32, s);
  L.g.inputs.push_back(x);
  OPNode t = n;
  t.set_op_name(n.op_name() + "_fix");
  ValueId f =
      L.add_node(t, OpType::kFix, graph::FixParams{output_fix(L, n)}, {x}, L.g.value(x).shape);
  L.values[n.op_name()] = f;
}

// Its int8 values from the DPU subgraph's parameter blob (dpu_params.h), or its own data.
void convert_const_fix(Lowering& L, const OPNode& n) {
  const graph::FixInfo f = output_fix(L, n);
  const Shape shape = L.output_shape(n, false);
  std::vector<std::int8_t> q;
  auto* data = L.attr(n, "data");
  if (data && data->value_case() == AttrValue::kBytesValue &&
      data->bytes_value().value().size() == static_cast<std::size_t>(element_count(shape))) {
    const std::string& b = data->bytes_value().value();
    q.assign(b.begin(), b.end());
  } else {
    if (!L.dpu_params) L.dpu_params = std::make_shared<DpuParameters>(L.def, L.source);
    auto u = L.first_user.find(n.op_name());
    q = L.dpu_params->unpack(n, u == L.first_user.end() ? nullptr : u->second);
  }
  std::vector<float> values(q.size());
  for (std::size_t i = 0; i < q.size(); ++i)
    values[i] = std::ldexp(static_cast<float>(q[i]), -f.fix_point);
  ValueId c = L.g.add_constant(n.op_name(), shape, values);
  L.g.value(c).fix = f;
  L.values[n.op_name()] = c;
}

}  // namespace

Converter find_compiled_converter(const std::string& t) {
  if (t == "data-fix") return convert_data_fix;
  if (t == "const-fix") return convert_const_fix;
  if (t == "conv2d-fix" || t == "depthwise-conv2d-fix") return convert_conv_fix;
  if (t == "pool-fix") return convert_pool_fix;
  if (t == "eltwise-fix" || t == "depthwise-fix") return convert_eltwise_fix;
  if (t == "hard-sigmoid-fix") return convert_hard_sigmoid_fix;
  if (t == "concat-fix") return convert_concat_fix;
  if (t == "reshape-fix") return convert_reshape_fix;
  if (t == "upsample-fix" || t == "downsample-fix") return convert_resize_fix;
  if (t == "strided_slice-fix") return convert_slice_fix;
  if (t == "pixel-shuffle-fix") return convert_pixel_shuffle_fix;
  if (t == "upload" || t == "download") return convert_identity;
  return nullptr;
}

}  // namespace dpurun::loaders::xir

// Concatenation, padding and reshapes.
#include "loaders/tensorflow/ops/ops.h"

namespace dpurun::loaders::tf {

void convert_concat(Lowering& L, const NodeDef& n) {
  auto refs = L.data_inputs(n);
  std::size_t count = refs.size() - 1;
  const Known& axis_k = L.known_input(n, count, "the axis");
  std::vector<ValueId> ins;
  for (std::size_t j = 0; j < count; ++j) ins.push_back(L.runtime_input(n, j));
  Shape out = L.shape_of(ins[0]);
  std::int64_t axis = axis_k.i.at(0);
  if (axis < 0) axis += static_cast<std::int64_t>(out.size());
  if (axis <= 0 || axis >= static_cast<std::int64_t>(out.size()))
    L.fail(n, ErrorCode::kUnsupported, "concatenation along axis " + std::to_string(axis));
  for (std::size_t j = 1; j < ins.size(); ++j) {
    const Shape s = L.shape_of(ins[j]);
    bool ok = s.size() == out.size();
    for (std::size_t d = 0; ok && d < s.size(); ++d)
      ok = static_cast<std::int64_t>(d) == axis || s[d] == out[d];
    if (!ok)
      L.fail(n, ErrorCode::kInvalidModel,
             "inputs " + to_string(out) + " and " + to_string(s) + " cannot be concatenated");
    out[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
  }
  return void(
      L.add_node(n, OpType::kConcat, graph::ConcatParams{static_cast<int>(axis)}, ins, out));
}

void convert_pad(Lowering& L, const NodeDef& n) {
  const std::string& op = n.op();
  ValueId x = L.runtime_input(n, 0);
  const Known& pk = L.known_input(n, 1, "the paddings");
  Shape xs = L.shape_of(x);
  if (pk.shape != Shape{static_cast<std::int64_t>(xs.size()), 2})
    L.fail(n, ErrorCode::kInvalidModel,
           "paddings " + to_string(pk.shape) + " do not fit input " + to_string(xs));
  graph::PadParams p;
  if (op == "PadV2") p.value = L.known_input(n, 2, "the pad value").f.at(0);
  Shape out = xs;
  for (std::size_t d = 0; d < xs.size(); ++d) {
    std::int64_t b = pk.i[2 * d], a = pk.i[2 * d + 1];
    if (b < 0 || a < 0) L.fail(n, ErrorCode::kUnsupported, "negative padding");
    if (d == 0 && (b || a)) L.fail(n, ErrorCode::kUnsupported, "padding of the batch dimension");
    p.pads.push_back({b, a});
    if (d > 0) out[d] += b + a;
  }
  return void(L.add_node(n, OpType::kPad, p, {x}, out));
}

void convert_reshape(Lowering& L, const NodeDef& n) {
  const Known& s = L.known_input(n, 1, "the target shape");
  return L.lower_reshape(n, Shape(s.i.begin(), s.i.end()));
}

void convert_squeeze(Lowering& L, const NodeDef& n) {
  ValueId x = L.runtime_input(n, 0);
  Shape xs = L.shape_of(x);
  auto dims = L.attr_ints(n, "squeeze_dims");
  Shape out;
  for (std::size_t d = 0; d < xs.size(); ++d) {
    bool listed = false;
    for (auto s : dims)
      listed |=
          (s < 0 ? s + static_cast<std::int64_t>(xs.size()) : s) == static_cast<std::int64_t>(d);
    bool drop = dims.empty() ? (d > 0 && xs[d] == 1) : listed;
    if (drop && xs[d] != 1)
      L.fail(n, ErrorCode::kInvalidModel,
             "cannot squeeze dimension " + std::to_string(d) + " of " + to_string(xs));
    if (!drop) out.push_back(xs[d]);
  }
  return L.lower_reshape(n, out);
}

}  // namespace dpurun::loaders::tf

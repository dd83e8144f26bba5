// Inputs, constants, identities and the control flow of Keras's learning phase (Switch).
#include "loaders/tensorflow/ops/ops.h"

namespace dpurun::loaders::tf {

void convert_placeholder(Lowering& L, const NodeDef& n) {
  if (L.attr(n, "dtype") && L.attr(n, "dtype")->type() == DT_BOOL) {
    // Keras's learning phase: inference means false.
    Known k;
    k.type = dpurun::DataType::kInt64;
    k.i = {0};
    return L.set_known(n, std::move(k));
  }
  if (L.attr(n, "dtype") && L.attr(n, "dtype")->type() != DT_FLOAT)
    L.fail(n, ErrorCode::kUnsupported, "only float inputs are supported");
  ValueId v = L.g.add_value(n.name(), dpurun::DataType::kFloat32, L.placeholder_shape(n));
  L.g.inputs.push_back(v);
  return L.set_runtime(n, v);
}

void convert_placeholder_with_default(Lowering& L, const NodeDef& n) {
  L.entries[n.name() + ":0"] = L.input(n, 0);
}

void convert_const(Lowering& L, const NodeDef& n) {
  const AttrValue* v = L.attr(n, "value");
  if (!v || v->value_case() != AttrValue::kTensor)
    L.fail(n, ErrorCode::kInvalidModel, "constant has no value");
  return L.set_known(n, L.tensor_to_known(n, v->tensor()));
}

void convert_identity(Lowering& L, const NodeDef& n) { L.entries[n.name() + ":0"] = L.input(n, 0); }

void convert_switch(Lowering& L, const NodeDef& n) {
  const Known& pred = L.known_input(n, 1, "the Switch predicate (Keras learning phase)");
  bool taken = pred.type == dpurun::DataType::kInt64 ? pred.i.at(0) != 0 : pred.f.at(0) != 0.f;
  L.entries[n.name() + ":" + std::to_string(taken ? 1 : 0)] = L.input(n, 0);
  return L.set_dead(n, taken ? 0 : 1);
}

void convert_shape(Lowering& L, const NodeDef& n) {
  Entry& e = L.input(n, 0);
  Known k;
  k.type = dpurun::DataType::kInt64;
  const Shape& s = e.kind == Entry::kRuntime ? L.shape_of(e.value) : e.known->shape;
  k.i.assign(s.begin(), s.end());
  k.shape = {static_cast<std::int64_t>(s.size())};
  return L.set_known(n, std::move(k));
}

void convert_no_op(Lowering&, const NodeDef&) {}

}  // namespace dpurun::loaders::tf

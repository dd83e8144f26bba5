// Ops evaluated at load time when all their inputs are known: shape arithmetic and constants.
#include "loaders/tensorflow/ops/ops.h"

#include <algorithm>
#include <cmath>

namespace dpurun::loaders::tf {

void fold_arithmetic(Lowering& L, const NodeDef& n) {
  const std::string& op = n.op();
  const Known& a = L.known_input(n, 0, "a");
  const Known& b = L.known_input(n, 1, "b");
  bool ok;
  Known r;
  r.shape = broadcast(a.shape, b.shape, ok);
  if (!ok || a.type != b.type) L.fail(n, ErrorCode::kInvalidModel, "operands do not broadcast");
  r.type = a.type;
  auto idx = [&](const Known& k, std::int64_t flat) {
    // Index into k for output position `flat` under broadcasting.
    std::int64_t off = 0, stride = 1, rem = flat;
    std::size_t lead = r.shape.size() - k.shape.size();
    std::vector<std::int64_t> pos(r.shape.size());
    for (std::size_t d = r.shape.size(); d-- > 0;) {
      pos[d] = rem % r.shape[d];
      rem /= r.shape[d];
    }
    for (std::size_t d = k.shape.size(); d-- > 0;) {
      std::int64_t p = k.shape[d] == 1 ? 0 : pos[d + lead];
      off += p * stride;
      stride *= k.shape[d];
    }
    return static_cast<std::size_t>(off);
  };
  auto apply = [&](auto x, auto y) -> decltype(x) {
    if (op == "Add" || op == "AddV2") return x + y;
    if (op == "Sub") return x - y;
    if (op == "Mul") return x * y;
    if (op == "Maximum") return std::max(x, y);
    if (op == "Minimum") return std::min(x, y);
    return y == 0 ? 0 : x / y;
  };
  std::int64_t count = r.size();
  for (std::int64_t j = 0; j < count; ++j) {
    if (r.type == dpurun::DataType::kFloat32)
      r.f.push_back(apply(a.f[idx(a, j)], b.f[idx(b, j)]));
    else
      r.i.push_back(apply(a.i[idx(a, j)], b.i[idx(b, j)]));
  }
  return L.set_known(n, std::move(r));
}

void fold_strided_slice(Lowering& L, const NodeDef& n) {
  const Known& x = L.known_input(n, 0, "the sliced tensor");
  const auto& begin = L.known_ints(n, 1);
  const auto& end = L.known_ints(n, 2);
  const auto& stride = L.known_ints(n, 3);
  if (x.shape.size() != 1 || begin.size() != 1 || end.size() != 1 || stride.size() != 1 ||
      stride[0] == 0 || L.attr_i(n, "ellipsis_mask", 0) || L.attr_i(n, "new_axis_mask", 0))
    L.fail(n, ErrorCode::kUnsupported, "only 1-D strided slices of shapes are supported");
  std::int64_t len = x.shape[0];
  auto clamp_index = [&](std::int64_t v) { return v < 0 ? v + len : v; };
  std::int64_t b =
      L.attr_i(n, "begin_mask", 0) & 1 ? (stride[0] > 0 ? 0 : len - 1) : clamp_index(begin[0]);
  std::int64_t e =
      L.attr_i(n, "end_mask", 0) & 1 ? (stride[0] > 0 ? len : -1) : clamp_index(end[0]);
  bool shrink = L.attr_i(n, "shrink_axis_mask", 0) & 1;
  if (shrink) e = b + 1;
  Known r;
  r.type = x.type;
  for (std::int64_t j = b; stride[0] > 0 ? j < e : j > e; j += stride[0]) {
    if (j < 0 || j >= len) L.fail(n, ErrorCode::kInvalidModel, "slice index out of range");
    if (x.type == dpurun::DataType::kInt64)
      r.i.push_back(x.i[static_cast<std::size_t>(j)]);
    else
      r.f.push_back(x.f[static_cast<std::size_t>(j)]);
  }
  std::int64_t count =
      static_cast<std::int64_t>(x.type == dpurun::DataType::kInt64 ? r.i.size() : r.f.size());
  if (!shrink)
    r.shape = {count};
  else if (count != 1)
    L.fail(n, ErrorCode::kInvalidModel, "slice is empty");
  return L.set_known(n, std::move(r));
}

void fold_pack(Lowering& L, const NodeDef& n) {
  Known r;
  r.type = dpurun::DataType::kInt64;
  auto refs = L.data_inputs(n);
  if (L.attr_i(n, "axis", 0) != 0) L.fail(n, ErrorCode::kUnsupported, "only axis 0 is supported");
  for (std::size_t j = 0; j < refs.size(); ++j) {
    const Known& k = L.known_input(n, j, "each packed value");
    if (!k.shape.empty()) L.fail(n, ErrorCode::kUnsupported, "only scalars can be packed");
    if (k.type == dpurun::DataType::kInt64)
      r.i.push_back(k.i[0]);
    else {
      r.type = dpurun::DataType::kFloat32;
      r.f.push_back(k.f[0]);
    }
  }
  if (r.type == dpurun::DataType::kFloat32 && !r.i.empty())
    L.fail(n, ErrorCode::kUnsupported, "mixed integer and float values");
  r.shape = {static_cast<std::int64_t>(refs.size())};
  return L.set_known(n, std::move(r));
}

void fold_prod(Lowering& L, const NodeDef& n) {
  const auto& x = L.known_ints(n, 0);
  Known r;
  r.type = dpurun::DataType::kInt64;
  std::int64_t p = 1;
  for (auto v : x) p = (v < 0 || p < 0) ? -1 : p * v;
  r.i = {p};
  if (L.attr_b(n, "keep_dims", false)) r.shape = {1};
  return L.set_known(n, std::move(r));
}

void fold_cast(Lowering& L, const NodeDef& n) {
  Known r = L.known_input(n, 0, "the value");
  if (L.attr(n, "DstT") && L.attr(n, "DstT")->type() == DT_FLOAT &&
      r.type == dpurun::DataType::kInt64) {
    r.f.assign(r.i.begin(), r.i.end());
    r.i.clear();
    r.type = dpurun::DataType::kFloat32;
  } else if (L.attr(n, "DstT") && L.attr(n, "DstT")->type() != DT_FLOAT &&
             r.type == dpurun::DataType::kFloat32) {
    for (float v : r.f) r.i.push_back(static_cast<std::int64_t>(v));
    r.f.clear();
    r.type = dpurun::DataType::kInt64;
  }
  return L.set_known(n, std::move(r));
}

void fold_float_unary(Lowering& L, const NodeDef& n) {
  const std::string& op = n.op();
  Known r = L.known_input(n, 0, "the value");
  if (r.type != dpurun::DataType::kFloat32)
    L.fail(n, ErrorCode::kUnsupported, "expects a float input");
  for (float& v : r.f) v = op == "Rsqrt" ? 1.f / std::sqrt(v) : op == "Sqrt" ? std::sqrt(v) : -v;
  return L.set_known(n, std::move(r));
}

void fold_reshape(Lowering& L, const NodeDef& n) {
  Known r = L.known_input(n, 0, "the value");
  const auto& s = L.known_ints(n, 1);
  std::int64_t count = r.size(), known = 1;
  int infer = -1;
  for (std::size_t d = 0; d < s.size(); ++d)
    if (s[d] < 0)
      infer = static_cast<int>(d);
    else
      known *= s[d];
  r.shape = Shape(s.begin(), s.end());
  if (infer >= 0 && known) r.shape[static_cast<std::size_t>(infer)] = count / known;
  if (element_count(r.shape) != count)
    L.fail(n, ErrorCode::kInvalidModel, "bad reshape of a constant");
  return L.set_known(n, std::move(r));
}

}  // namespace dpurun::loaders::tf

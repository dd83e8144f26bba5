#include "support/xir_graph_builder.h"

namespace dpurun::test {

loaders::xir::OPNode& XirGraphBuilder::op(
    const std::string& name, const std::string& type, std::vector<std::int64_t> dims,
    std::initializer_list<std::pair<std::string, std::vector<std::string>>> args) {
  auto* n = g_.add_op_node();
  n->set_op_name(name);
  n->set_op_type(type);
  for (const auto& [arg, ops] : args) {
    auto* a = n->add_args();
    a->set_arg_name(arg);
    for (const auto& o : ops) a->add_arg_ops(o);
  }
  auto* t = n->mutable_output_tensor();
  t->set_tensor_name(name);
  for (auto d : dims) t->add_tensor_dim(static_cast<std::uint32_t>(d));
  t->set_data_type(4);  // FLOAT
  t->set_tensor_bit_width(32);
  return *n;
}

loaders::xir::OPNode& XirGraphBuilder::constant(const std::string& name, std::vector<std::int64_t> dims,
                                       const std::vector<float>& values) {
  auto& n = op(name, "const", dims);
  (*n.mutable_op_attr())["data"].mutable_bytes_value()->set_value(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  set_string(n, "data_type", "float32");
  return n;
}

loaders::xir::OPNode& XirGraphBuilder::fix(const std::string& name, const std::string& input,
                                  std::vector<std::int64_t> dims, int fix_point) {
  auto& n = op(name, "fix", dims, {{"input", {input}}});
  set_int(n, "fix_point", fix_point);
  set_int(n, "bit_width", 8);
  set_bool(n, "if_signed", true);
  set_string(n, "round_mode", "DPU_ROUND");
  return n;
}

void XirGraphBuilder::set_ints(loaders::xir::OPNode& n, const std::string& key, std::vector<std::int32_t> v) {
  auto* vec = (*n.mutable_op_attr())[key].mutable_int32_vec_value();
  for (auto x : v) vec->add_value(x);
}
void XirGraphBuilder::set_string(loaders::xir::OPNode& n, const std::string& key, const std::string& v) {
  (*n.mutable_op_attr())[key].set_string_value(v);
}
void XirGraphBuilder::set_bool(loaders::xir::OPNode& n, const std::string& key, bool v) {
  (*n.mutable_op_attr())[key].set_bool_value(v);
}
void XirGraphBuilder::set_int(loaders::xir::OPNode& n, const std::string& key, std::int32_t v) {
  (*n.mutable_op_attr())[key].set_int32_value(v);
}

}  // namespace dpurun::test

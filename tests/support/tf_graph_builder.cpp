#include "support/tf_graph_builder.h"

namespace dpurun::test {

namespace {
void set_shape(loaders::tf::TensorShapeProto* s, const std::vector<std::int64_t>& shape) {
  for (auto d : shape) s->add_dim()->set_size(d);
}
}  // namespace

std::string TfGraphBuilder::placeholder(const std::string& name, std::vector<std::int64_t> shape) {
  auto* n = def_.add_node();
  n->set_name(name);
  n->set_op("Placeholder");
  (*n->mutable_attr())["dtype"].set_type(loaders::tf::DT_FLOAT);
  set_shape((*n->mutable_attr())["shape"].mutable_shape(), shape);
  return name;
}

std::string TfGraphBuilder::constant(const std::string& name, std::vector<std::int64_t> shape,
                                     const std::vector<float>& values) {
  auto* n = def_.add_node();
  n->set_name(name);
  n->set_op("Const");
  (*n->mutable_attr())["dtype"].set_type(loaders::tf::DT_FLOAT);
  auto* t = (*n->mutable_attr())["value"].mutable_tensor();
  t->set_dtype(loaders::tf::DT_FLOAT);
  set_shape(t->mutable_tensor_shape(), shape);
  t->set_tensor_content(std::string(reinterpret_cast<const char*>(values.data()),
                                    values.size() * sizeof(float)));
  return name;
}

std::string TfGraphBuilder::int_constant(const std::string& name, std::vector<std::int64_t> shape,
                                         const std::vector<std::int32_t>& values) {
  auto* n = def_.add_node();
  n->set_name(name);
  n->set_op("Const");
  (*n->mutable_attr())["dtype"].set_type(loaders::tf::DT_INT32);
  auto* t = (*n->mutable_attr())["value"].mutable_tensor();
  t->set_dtype(loaders::tf::DT_INT32);
  set_shape(t->mutable_tensor_shape(), shape);
  for (auto v : values) t->add_int_val(v);
  return name;
}

loaders::tf::NodeDef& TfGraphBuilder::op(const std::string& name, const std::string& type,
                                std::initializer_list<std::string> inputs) {
  auto* n = def_.add_node();
  n->set_name(name);
  n->set_op(type);
  for (const auto& in : inputs) n->add_input(in);
  (*n->mutable_attr())["T"].set_type(loaders::tf::DT_FLOAT);
  return *n;
}

std::string TfGraphBuilder::conv2d(const std::string& name, const std::string& x,
                                   const std::string& w, int stride, const std::string& padding,
                                   int dilation, bool depthwise) {
  auto& n = op(name, depthwise ? "DepthwiseConv2dNative" : "Conv2D", {x, w});
  set_ints(n, "strides", {1, stride, stride, 1});
  set_ints(n, "dilations", {1, dilation, dilation, 1});
  set_string(n, "padding", padding);
  set_string(n, "data_format", "NHWC");
  return name;
}

std::string TfGraphBuilder::pool(const std::string& name, const std::string& type,
                                 const std::string& x, int k, int stride,
                                 const std::string& padding) {
  auto& n = op(name, type, {x});
  set_ints(n, "ksize", {1, k, k, 1});
  set_ints(n, "strides", {1, stride, stride, 1});
  set_string(n, "padding", padding);
  set_string(n, "data_format", "NHWC");
  return name;
}

void TfGraphBuilder::set_ints(loaders::tf::NodeDef& n, const std::string& key,
                              std::vector<std::int64_t> values) {
  auto* list = (*n.mutable_attr())[key].mutable_list();
  for (auto v : values) list->add_i(v);
}
void TfGraphBuilder::set_string(loaders::tf::NodeDef& n, const std::string& key, const std::string& value) {
  (*n.mutable_attr())[key].set_s(value);
}
void TfGraphBuilder::set_float(loaders::tf::NodeDef& n, const std::string& key, float value) {
  (*n.mutable_attr())[key].set_f(value);
}
void TfGraphBuilder::set_bool(loaders::tf::NodeDef& n, const std::string& key, bool value) {
  (*n.mutable_attr())[key].set_b(value);
}
void TfGraphBuilder::set_int(loaders::tf::NodeDef& n, const std::string& key, std::int64_t value) {
  (*n.mutable_attr())[key].set_i(value);
}

std::string TfGraphBuilder::bytes() const { return def_.SerializeAsString(); }

}  // namespace dpurun::test

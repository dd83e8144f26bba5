#include "dpurun/model.h"

#include <algorithm>

#include "dpurun/error.h"
#include "graph/graph.h"

namespace dpurun {

struct Model::Impl {
  graph::Graph graph;
  std::string path;
  std::vector<TensorInfo> inputs, outputs;
};

Model Model::from_graph(graph::Graph g, const std::string& path) {
  auto impl = std::make_shared<Impl>();
  impl->graph = std::move(g);
  impl->path = path;
  // A file may declare any shape; refuse the absurd ones before a plan tries to allocate them.
  constexpr double kMaxBytesPerImage = double(1ull << 31);
  for (const auto& v : impl->graph.values) {
    if (v.is_constant() || v.shape.empty()) continue;
    double bytes = double(size_of(v.type));
    for (std::size_t d = 1; d < v.shape.size(); ++d) bytes *= double(std::max<std::int64_t>(v.shape[d], 1));
    if (bytes > kMaxBytesPerImage)
      throw Error(ErrorCode::kUnsupported,
                  path + ": tensor '" + v.name + "' is declared " + to_string(v.shape) + ", " +
                      std::to_string(static_cast<long long>(bytes / double(1 << 20))) +
                      " MiB per image; dpurun runs models whose tensors stay under 2 GiB per image");
  }
  auto info = [&](graph::ValueId id) {
    const auto& v = impl->graph.value(id);
    return TensorInfo{v.name, v.shape, v.type, std::nullopt};
  };
  for (auto id : impl->graph.inputs) impl->inputs.push_back(info(id));
  for (auto id : impl->graph.outputs) impl->outputs.push_back(info(id));
  Model m;
  m.impl_ = std::move(impl);
  return m;
}

const std::string& Model::path() const { return impl_->path; }
const std::vector<TensorInfo>& Model::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Model::outputs() const { return impl_->outputs; }
const graph::Graph& Model::graph() const { return impl_->graph; }

bool Model::is_integer() const {
  for (const auto& v : impl_->graph.values)
    if (v.type == DataType::kInt8) return true;
  return false;
}

std::vector<std::pair<std::string, int>> Model::op_counts() const {
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& n : impl_->graph.nodes) {
    std::string name = graph::to_string(n.op);
    auto it = std::find_if(counts.begin(), counts.end(), [&](auto& c) { return c.first == name; });
    if (it == counts.end()) counts.emplace_back(name, 1);
    else it->second++;
  }
  return counts;
}

double Model::flops_per_image() const {
  const auto& g = impl_->graph;
  double flops = 0;
  for (const auto& n : g.nodes) {
    const Shape& out = g.value(n.outputs[0]).shape;
    const Shape& w = g.value(n.inputs.size() > 1 ? n.inputs[1] : n.inputs[0]).shape;
    if (n.op == graph::OpType::kConv2D)
      flops += 2.0 * double(out[1] * out[2] * out[3]) * double(w[0] * w[1] * w[2]);
    else if (n.op == graph::OpType::kDepthwiseConv2D)
      flops += 2.0 * double(out[1] * out[2] * out[3]) * double(w[0] * w[1]);
    else if (n.op == graph::OpType::kFullyConnected)
      flops += 2.0 * double(w[0] * w[1]);
  }
  return flops;
}

}  // namespace dpurun

// Model::load and load_each (declared in dpurun/model.h, core): the formats layer reads the file into a graph,
// the core wraps it.
#include "dpurun/model.h"

#include "loaders/loader.h"

namespace dpurun {

Model Model::load(const std::string& path, const ModelOptions& options) {
  return from_graph(loaders::load_model(path, options), path);
}

std::vector<Model> Model::load_each(const std::string& path, const std::vector<ModelOptions>& options) {
  std::vector<Model> models;
  for (auto& g : loaders::load_models(path, options)) models.push_back(from_graph(std::move(g), path));
  return models;
}

std::vector<Model> Model::load_each(const std::string& path, const std::string& bytes,
                                    const std::vector<ModelOptions>& options) {
  std::vector<Model> models;
  for (auto& g : loaders::load_models_bytes(bytes, path, options)) models.push_back(from_graph(std::move(g), path));
  return models;
}

}  // namespace dpurun

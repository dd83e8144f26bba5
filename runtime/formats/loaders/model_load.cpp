// Model::load (declared in dpurun/model.h, core): the formats layer reads the file into a graph,
// the core wraps it.
#include "dpurun/model.h"

#include "loaders/loader.h"

namespace dpurun {

Model Model::load(const std::string& path, const ModelOptions& options) {
  return from_graph(loaders::load_model(path, options), path);
}

}  // namespace dpurun

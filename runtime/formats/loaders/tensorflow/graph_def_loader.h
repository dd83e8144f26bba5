// TensorFlow frozen GraphDef (.pb) → graph::Graph.
#pragma once

#include <string>

#include "dpurun/model_info.h"
#include "graph/graph.h"
#include "loaders/loader.h"

namespace dpurun::loaders::tf {

class GraphDef;

// Lowers a parsed GraphDef; `source` names the file in messages.
graph::Graph lower_graph_def(const GraphDef& def, const std::string& source,
                             const loaders::LoadOptions& options);

// Parses bytes as a GraphDef; throws Error(kInvalidModel) naming `source` when they are not one.
// Describes the file for inspect: kind, placeholders, sinks. Throws Error when not a GraphDef.
void describe_graph_def(const std::string& bytes, ModelInfo& info);
graph::Graph load_graph_def(const std::string& bytes, const std::string& source,
                            const loaders::LoadOptions& options);

}  // namespace dpurun::loaders::tf

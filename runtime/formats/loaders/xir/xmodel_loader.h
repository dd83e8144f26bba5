// XIR .xmodel → graph::Graph. Quantized models (the quantizer's *_int.xmodel: float ops, float
// constants and fix ops) lower into the float graph with Fix nodes, which then lowers to DPU
// integer arithmetic like any quantized model.
#pragma once

#include <string>

#include "dpurun/model_info.h"
#include "graph/graph.h"
#include "loaders/loader.h"

namespace dpurun::loaders::xir {

class Graph;  // the serialized XIR graph (xir_graph.proto)

// Parses bytes as an XIR graph; false when they are not one.
bool parse_xmodel(const std::string& bytes, Graph& def);

// Describes the file for inspect: kind, tensors, the subgraph tree. Throws Error when not XIR.
void describe_xmodel(const std::string& bytes, ModelInfo& info);
// From a graph already parsed (parse_xmodel).
graph::Graph load_xmodel(const Graph& def, const std::string& source, const loaders::LoadOptions& options);
graph::Graph load_xmodel(const std::string& bytes, const std::string& source,
                         const loaders::LoadOptions& options);

}  // namespace dpurun::loaders::xir

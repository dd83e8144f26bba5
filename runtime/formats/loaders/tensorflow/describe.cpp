// `describe` for TensorFlow GraphDefs: kind (float, or quantized where FixNeuron ops are), the
// placeholders and the sinks.
#include <set>

#include "dpurun/error.h"
#include "graph_def.pb.h"
#include "loaders/describe.h"
#include "loaders/tensorflow/graph_def_loader.h"

namespace dpurun::loaders::tf {

void describe_graph_def(const std::string& bytes, ModelInfo& info) {
  GraphDef def;
  if (bytes.empty() || !def.ParseFromString(bytes) || def.node_size() == 0)
    throw Error(ErrorCode::kInvalidModel,
                info.path + ": not a TensorFlow GraphDef (truncated or another format)");
  info.format = "tensorflow-graphdef";
  std::set<std::string> consumed;
  bool quantized = false;
  for (const auto& n : def.node()) {
    loaders::count_op(info.op_counts, n.op());
    quantized |= n.op() == "FixNeuron" || n.attr().count("opos");  // a deploy graph's positions
    for (const auto& in : n.input()) {
      std::string s = in.empty() || in[0] != '^' ? in : in.substr(1);
      consumed.insert(s.substr(0, s.rfind(':') == std::string::npos ? s.size() : s.rfind(':')));
    }
  }
  info.kind = quantized ? "quantized" : "float";
  for (const auto& n : def.node()) {
    if (n.op() == "Placeholder") {
      TensorInfo t;
      t.name = n.name();
      auto it = n.attr().find("shape");
      if (it != n.attr().end())
        for (const auto& d : it->second.shape().dim()) t.shape.push_back(d.size());
      info.inputs.push_back(t);
    } else if (!consumed.count(n.name()) && n.op() != "Const" && n.op() != "NoOp") {
      info.outputs.push_back(TensorInfo{n.name(), {}, dpurun::DataType::kFloat32, std::nullopt});
    }
  }
}

}  // namespace dpurun::loaders::tf

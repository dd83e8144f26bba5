#include "loaders/tensorflow/deploy_graph.h"

#include <map>
#include <vector>

#include "dpurun/error.h"
#include "graph_def.pb.h"

namespace dpurun::loaders::tf {
namespace {

// A position attribute, [bit_width, fix point].
const AttrValue* position(const NodeDef& n, const char* key) {
  auto it = n.attr().find(key);
  return it != n.attr().end() && it->second.list().i_size() == 2 ? &it->second : nullptr;
}

NodeDef& add_const(GraphDef& out, const std::string& name, const TensorProto& t) {
  NodeDef& c = *out.add_node();
  c.set_name(name);
  c.set_op("Const");
  (*c.mutable_attr())["dtype"].set_type(t.dtype());
  *(*c.mutable_attr())["value"].mutable_tensor() = t;
  return c;
}

NodeDef& add_fix(GraphDef& out, const std::string& name, const std::string& input,
                 const AttrValue& pos) {
  NodeDef& f = *out.add_node();
  f.set_name(name);
  f.set_op("FixNeuron");
  f.add_input(input);
  (*f.mutable_attr())["bit_width"].set_i(pos.list().i(0));
  (*f.mutable_attr())["quantize_pos"].set_i(pos.list().i(1));
  return f;
}

}  // namespace

bool is_deploy_graph(const GraphDef& def) {
  for (const auto& n : def.node())
    if (n.op() != "FixNeuron" && position(n, "opos")) return true;
  return false;
}

GraphDef expand_deploy_graph(const GraphDef& def, const std::string& source) {
  GraphDef out;
  *out.mutable_versions() = def.versions();
  std::map<std::string, std::string> placeholder_fix;  // a Placeholder → the fix op after it
  // A node whose only reader is a Relu at the same position needs no fix of its own:
  // relu(fix(x)) = fix(relu(x)) at one fix point, and the convolution then fuses its ReLU.
  std::map<std::string, std::vector<const NodeDef*>> readers;
  for (const auto& n : def.node())
    for (const auto& input : n.input()) readers[input.substr(0, input.find(':'))].push_back(&n);
  auto fix_left_to_relu = [&](const NodeDef& n, const AttrValue& opos) {
    auto it = readers.find(n.name());
    if (it == readers.end() || it->second.size() != 1 || it->second[0]->op() != "Relu")
      return false;
    const AttrValue* relu = position(*it->second[0], "opos");
    return relu && relu->list().i(0) == opos.list().i(0) && relu->list().i(1) == opos.list().i(1);
  };
  for (const auto& in : def.node()) {
    const std::string& name = in.name();
    NodeDef n = in;
    for (const char* key : {"ipos", "opos", "wpos", "bpos", "weights", "bias"})
      n.mutable_attr()->erase(key);
    // Attributes that are inputs in a frozen graph: a Pad's paddings, a Mean's axes.
    for (const char* key : {"paddings", "reduction_indices"}) {
      auto it = in.attr().find(key);
      if (it == in.attr().end() || !it->second.has_tensor()) continue;
      add_const(out, name + "/" + key, it->second.tensor());
      n.add_input(name + "/" + key);
      n.mutable_attr()->erase(key);
    }
    auto need = [&](const char* what, const char* pos) -> const AttrValue& {
      auto it = in.attr().find(what);
      const AttrValue* p = position(in, pos);
      if (!p || !it->second.has_tensor())
        throw Error(ErrorCode::kInvalidModel, source + ": node '" + name + "' (" + in.op() +
                                                  ") has " + what + " without its position (" +
                                                  pos + ")");
      return *p;
    };
    if (in.attr().count("weights")) {
      const AttrValue& wpos = need("weights", "wpos");
      add_const(out, name + "/weights", in.attr().at("weights").tensor());
      add_fix(out, name + "/weights/wquant", name + "/weights", wpos);
      n.add_input(name + "/weights/wquant");
    }
    const AttrValue* opos = position(in, "opos");
    if (opos && in.op() != "Placeholder" && fix_left_to_relu(in, *opos)) opos = nullptr;
    if (in.op() == "Placeholder") {  // keeps its name: the model's input
      *out.add_node() = n;
      if (opos) {
        add_fix(out, name + "/aquant", name, *opos);
        placeholder_fix[name] = name + "/aquant";
      }
      continue;
    }
    // Every other node's last step takes its name, so what reads it reads the fixed result.
    const bool has_bias = in.attr().count("bias") > 0;
    if (has_bias || opos) n.set_name(name + "/op");
    *out.add_node() = n;
    std::string last = n.name();
    if (has_bias) {
      const AttrValue& bpos = need("bias", "bpos");
      add_const(out, name + "/bias", in.attr().at("bias").tensor());
      add_fix(out, name + "/bias/wquant", name + "/bias", bpos);
      NodeDef& b = *out.add_node();
      b.set_name(opos ? name + "/bias_add" : name);
      b.set_op("BiasAdd");
      b.add_input(last);
      b.add_input(name + "/bias/wquant");
      (*b.mutable_attr())["T"].set_type(DT_FLOAT);
      last = b.name();
    }
    if (opos) add_fix(out, name, last, *opos);
  }
  for (auto& n : *out.mutable_node()) {
    if (n.op() == "FixNeuron" && n.input_size() > 0 && placeholder_fix.count(n.input(0))) continue;  // the fix itself
    for (auto& input : *n.mutable_input()) {
      const std::string base = input.substr(0, input.find(':'));
      auto it = placeholder_fix.find(base);
      if (it != placeholder_fix.end()) input = it->second + input.substr(base.size());
    }
  }
  return out;
}

}  // namespace dpurun::loaders::tf

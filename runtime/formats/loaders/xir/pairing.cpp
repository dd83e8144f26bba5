#include "loaders/xir/pairing.h"

#include <map>
#include <optional>
#include <set>

#include "dpurun/error.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders::xir {
namespace {

std::optional<int> fix_point_attr(const google::protobuf::Map<std::string, AttrValue>& attrs) {
  auto it = attrs.find("fix_point");
  if (it == attrs.end() || it->second.value_case() != AttrValue::kInt32Value) return std::nullopt;
  return it->second.int32_value();
}

std::int64_t elements(const Tensor& t) {
  std::int64_t n = 1;
  for (auto d : t.tensor_dim()) n *= d;
  return n;
}

// The compiler's names add suffixes: "(TransferMatMulToConv2d)", "(reshaped)", "_fix".
std::vector<std::string> candidate_names(std::string name) {
  auto paren = name.find('(');
  if (paren != std::string::npos) name = name.substr(0, paren);
  std::vector<std::string> out{name};
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "_fix") == 0)
    out.push_back(name.substr(0, name.size() - 4));
  return out;
}

}  // namespace

void check_pairing(const Graph& compiled, const std::string& compiled_path, const Graph& quantized,
                   const std::string& quantized_path) {
  std::map<std::string, const OPNode*> q_ops;
  std::map<std::string, std::vector<const OPNode*>> q_users;
  for (const auto& n : quantized.op_node()) {
    q_ops[n.op_name()] = &n;
    for (const auto& a : n.args())
      for (const auto& src : a.arg_ops()) q_users[src].push_back(&n);
  }
  // The fix point a quantized op's result ends up with: its own (a fix op), or that of the fix
  // op reached through single-consumer activations.
  auto effective_fix = [&](const OPNode* n) -> std::optional<int> {
    for (int hops = 0; n && hops < 4; ++hops) {
      if (n->op_type() == "fix") return fix_point_attr(n->op_attr());
      auto it = q_users.find(n->op_name());
      if (it == q_users.end() || it->second.size() != 1) return std::nullopt;
      n = it->second[0];
    }
    return std::nullopt;
  };

  std::vector<std::string> problems;
  int matched = 0;
  for (const auto& c : compiled.op_node()) {
    const std::string& t = c.op_type();
    bool compute = t == "conv2d-fix" || t == "depthwise-conv2d-fix" || t == "pool-fix" ||
                   t == "eltwise-fix" || t == "const-fix" || t == "data-fix";
    if (!compute) continue;
    // Made by the compiler: a zero bias it adds, a BatchNorm it turns into a depthwise conv.
    const std::string& name = c.op_name();
    if (name.find("_transfer_to_") != std::string::npos ||
        (name.size() > 10 && name.compare(name.size() - 10, 10, "_fake_bias") == 0))
      continue;
    const OPNode* q = nullptr;
    for (const auto& name : candidate_names(c.op_name())) {
      auto it = q_ops.find(name);
      if (it != q_ops.end()) {
        q = it->second;
        break;
      }
    }
    if (!q) {
      problems.push_back("'" + c.op_name() + "' (" + t + ") has no op of that name in the quantized model");
      continue;
    }
    ++matched;
    auto want = fix_point_attr(c.output_tensor().tensor_attr());
    auto got = effective_fix(q);
    if (want && got && *want != *got)
      problems.push_back("'" + c.op_name() + "': fix point " + std::to_string(*want) +
                         " compiled, " + std::to_string(*got) + " quantized");
    if (elements(c.output_tensor()) != elements(q->output_tensor()))
      problems.push_back("'" + c.op_name() + "': " + std::to_string(elements(c.output_tensor())) +
                         " values compiled, " + std::to_string(elements(q->output_tensor())) +
                         " quantized");
  }
  if (matched == 0)
    problems.insert(problems.begin(), "no op of the compiled model is found in the quantized model");
  if (!problems.empty()) {
    std::string list;
    for (std::size_t i = 0; i < problems.size() && i < 8; ++i) list += "\n  " + problems[i];
    if (problems.size() > 8) list += "\n  … (" + std::to_string(problems.size() - 8) + " more)";
    throw Error(ErrorCode::kInvalidModel,
                compiled_path + " was not compiled from " + quantized_path + ":" + list +
                    "\nGive --weights-from the quantized model (*_int.xmodel) this model was "
                    "compiled from.");
  }
}

}  // namespace dpurun::loaders::xir

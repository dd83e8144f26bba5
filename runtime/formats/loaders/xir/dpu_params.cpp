#include "loaders/xir/dpu_params.h"

#include <cstring>
#include <functional>

#include "dpurun/error.h"
#include "graph/fix_math.h"
#include "loaders/xir/lowering.h"
#include "loaders/xir/xmodel_loader.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders::xir {
namespace {

const AttrValue* find(const google::protobuf::Map<std::string, AttrValue>& m,
                      const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

std::int64_t int_of(const google::protobuf::Map<std::string, AttrValue>& m, const std::string& k,
                    std::int64_t dflt) {
  const AttrValue* a = find(m, k);
  if (!a) return dflt;
  auto v = ints(*a);
  return v.empty() ? dflt : v[0];
}

void collect(const SubGraph& s, const std::function<void(const std::string&)>& add) {
  for (const auto& o : s.op_name()) add(o);
  for (const auto& c : s.subg_child()) collect(c, add);
}

std::vector<std::int64_t> dims(const OPNode& n) {
  return {n.output_tensor().tensor_dim().begin(), n.output_tensor().tensor_dim().end()};
}

std::int64_t count(const std::vector<std::int64_t>& s) {  // -1 when it does not fit
  std::int64_t c = 1;
  for (auto d : s)
    if (__builtin_mul_overflow(c, d, &c)) return -1;
  return c;
}

}  // namespace

DpuParameters::DpuParameters(const Graph& def, std::string source) : source_(std::move(source)) {
  if (!def.has_subg_root()) return;
  for (const auto& s : def.subg_root().subg_child()) {
    const AttrValue* device = find(s.subg_attr(), "device");
    if (!device || device->string_value() != "DPU") continue;
    DpuSubgraphParams info;
    info.name = s.subgraph_name();
    if (const AttrValue* n = find(s.subg_attr(), "dpu_name")) info.dpu_name = n->string_value();
    Blobs blobs;
    blobs.subgraph = subgraphs_.size();
    if (const AttrValue* p = find(s.subg_attr(), "reg_id_to_parameter_value");
        p && p->value_case() == AttrValue::kMapString2BytesValue)
      for (const auto& [reg, b] : p->map_string_2_bytes_value().value()) {
        blobs.regs[reg] = &b.value();
        info.parameter_bytes += b.value().size();
      }
    // Established from the pairs in ../shared (docs/compiled-xmodel.md): every DPUCZDX8G build
    // (ISA0/ISA1, B512 … B4096) keeps XIR's layout; Versal's C32B3 re-lays weights.
    if (info.dpu_name.rfind("DPUCZDX8G", 0) == 0)
      info.layout = "as-is";
    else if (info.dpu_name.rfind("DPUCVDX8G_ISA3_C32B3", 0) == 0)
      info.layout = "versal-c32";
    else
      info.refusal = "the constant layout of DPU '" +
                     (info.dpu_name.empty() ? "(unnamed)" : info.dpu_name) + "' (subgraph '" +
                     info.name +
                     "') has not been established from a paired model; give the quantized model it "
                     "was compiled from with --weights-from";
    collect(s, [&](const std::string& op) { owner_[op] = blobs_.size(); });
    blobs_.push_back(std::move(blobs));
    subgraphs_.push_back(std::move(info));
  }
}

std::vector<std::int8_t> DpuParameters::unpack(const OPNode& c, const OPNode* user) const {
  auto fail = [&](ErrorCode code, const std::string& what) -> Error {
    return Error(code, source_ + ": op '" + c.op_name() + "' (const-fix): " + what);
  };
  auto it = owner_.find(c.op_name());
  if (it == owner_.end())
    throw fail(ErrorCode::kInvalidModel, "belongs to no DPU subgraph, so has no parameter blob");
  const Blobs& blobs = blobs_[it->second];
  const DpuSubgraphParams& sg = subgraphs_[blobs.subgraph];
  if (!sg.refusal.empty()) throw fail(ErrorCode::kUnsupported, sg.refusal);
  const auto& ta = c.output_tensor().tensor_attr();
  const std::string reg = "REG_" + std::to_string(int_of(ta, "reg_id", -1));
  const std::int64_t addr = int_of(ta, "ddr_addr", -1);
  auto r = blobs.regs.find(reg);
  if (r == blobs.regs.end() || addr < 0)
    throw fail(ErrorCode::kInvalidModel,
               "its reg_id/ddr_addr (" + reg + ", " + std::to_string(addr) +
                   ") name no parameter blob of subgraph '" + sg.name + "'");
  const std::string& blob = *r->second;
  const std::vector<std::int64_t> shape = dims(c);
  const std::int64_t n = count(shape);
  auto need = [&](std::int64_t bytes) {  // checked without overflow: the file's numbers are untrusted
    const auto size = static_cast<std::int64_t>(blob.size());
    if (bytes < 0 || addr > size || bytes > size - addr)
      throw fail(ErrorCode::kInvalidModel, "needs " + std::to_string(bytes) + " bytes at offset " +
                                               std::to_string(addr) + " of " + reg +
                                               ", which holds " + std::to_string(blob.size()));
  };
  const bool weights = user && user->op_type() == "conv2d-fix" && shape.size() == 4 && [&] {
    for (const auto& a : user->args())
      if (a.arg_name() == "weights")
        for (const auto& o : a.arg_ops()) return o == c.op_name();
    return false;
  }();
  if (sg.layout == "as-is" || (sg.layout == "versal-c32" && shape.size() == 1)) {
    need(n);
    return std::vector<std::int8_t>(blob.begin() + addr, blob.begin() + addr + n);
  }
  if (!weights)
    throw fail(ErrorCode::kUnsupported,
               "a constant of shape " + to_string(Shape(shape.begin(), shape.end())) +
                   " that is no convolution's weights: its layout on " + sg.dpu_name +
                   " is not established; give the quantized model with --weights-from");
  // Versal (DPUCVDX8G C32B3): output channels in groups of 4, each group one unit of
  // K·ICB·64 bytes ordered [k][icb][oc%4][16]; whole blocks of 8 groups interleave them as
  // g0,g4,g1,g5,g2,g6,g3,g7, a trailing partial block keeps plain order.
  need(n);  // bounds every dimension (and product) by the blob's size
  const std::int64_t O = shape[0], KH = shape[1], KW = shape[2], IC = shape[3];
  const bool augmented = int_of(user->op_attr(), "channel_augmentation", 0) != 0;
  const std::int64_t K = augmented ? KH : KH * KW, I = augmented ? KW * IC : IC;
  const std::int64_t ICB = (I + 15) / 16, groups = (O + 3) / 4;
  if (K > 1 && ICB > 1)
    throw fail(
        ErrorCode::kUnsupported,
        "on " + sg.dpu_name + ", weights with both a kernel (" + std::to_string(K) +
            ") and more than 16 input channels (" + std::to_string(I) +
            "): their order is not established; give the quantized model with --weights-from");
  const std::int64_t unit = K * ICB * 64;  // K or ICB is 1
  std::int64_t region = 0;
  if (__builtin_mul_overflow(groups, unit, &region)) region = -1;
  need(region);  // ≥ n: every value lies inside the region
  std::vector<std::int8_t> out(static_cast<std::size_t>(n));
  const std::int64_t full_blocks = groups / 8;
  for (std::int64_t o = 0; o < O; ++o) {
    const std::int64_t g = o / 4, b = g / 8, j = g % 8;
    const std::int64_t p = b < full_blocks ? (j % 4) * 2 + j / 4 : j;
    const std::int64_t base = addr + (b * 8 + p) * unit + (o % 4) * 16;
    for (std::int64_t kh = 0; kh < KH; ++kh)
      for (std::int64_t kw = 0; kw < KW; ++kw)
        for (std::int64_t ic = 0; ic < IC; ++ic) {
          const std::int64_t k = augmented ? kh : kh * KW + kw, i = augmented ? kw * IC + ic : ic;
          const std::int64_t at = base + (k * ICB + i / 16) * 64 + i % 16;
          out[static_cast<std::size_t>(((o * KH + kh) * KW + kw) * IC + ic)] =
              static_cast<std::int8_t>(blob[static_cast<std::size_t>(at)]);
        }
  }
  return out;
}

std::map<std::string, UnpackedConstant> unpack_compiled_constants(const std::string& bytes,
                                                                  const std::string& source) {
  Graph def;
  if (!parse_xmodel(bytes, def))
    throw Error(ErrorCode::kInvalidModel, source + ": not an XIR .xmodel");
  DpuParameters params(def, source);
  std::map<std::string, const OPNode*> user;
  for (const auto& n : def.op_node())
    for (const auto& a : n.args())
      for (const auto& o : a.arg_ops()) user.emplace(o, &n);
  std::map<std::string, UnpackedConstant> out;
  for (const auto& n : def.op_node()) {
    if (n.op_type() != "const-fix") continue;
    auto u = user.find(n.op_name());
    UnpackedConstant c;
    c.shape = dims(n);
    c.fix_point = static_cast<int>(int_of(n.output_tensor().tensor_attr(), "fix_point", 0));
    c.values = params.unpack(n, u == user.end() ? nullptr : u->second);
    out[n.op_name()] = std::move(c);
  }
  return out;
}

std::map<std::string, UnpackedConstant> quantized_constants(const std::string& bytes,
                                                            const std::string& source) {
  Graph def;
  if (!parse_xmodel(bytes, def))
    throw Error(ErrorCode::kInvalidModel, source + ": not an XIR .xmodel");
  std::map<std::string, const OPNode*> consts;
  for (const auto& n : def.op_node())
    if (n.op_type() == "const") consts[n.op_name()] = &n;
  std::map<std::string, UnpackedConstant> out;
  for (const auto& n : def.op_node()) {
    if (n.op_type() != "fix" || n.args().empty() || n.args(0).arg_ops().empty()) continue;
    auto c = consts.find(n.args(0).arg_ops(0));
    if (c == consts.end()) continue;
    const AttrValue* data = find(c->second->op_attr(), "data");
    const AttrValue* type = find(c->second->op_attr(), "data_type");
    if (!data || (type && type->string_value() != "float32" && type->string_value() != "FLOAT32"))
      continue;
    const std::string& b = data->bytes_value().value();
    graph::FixInfo f;
    f.fix_point = static_cast<int>(int_of(n.op_attr(), "fix_point", 0));
    const AttrValue* round = find(n.op_attr(), "round_mode");
    f.round = graph::parse_round_mode(round ? round->string_value() : "").value_or(graph::RoundMode::kDpu);
    UnpackedConstant u;
    u.shape = dims(*c->second);
    u.fix_point = f.fix_point;
    for (std::size_t i = 0; i + 4 <= b.size(); i += 4) {
      float v;
      std::memcpy(&v, b.data() + i, 4);
      u.values.push_back(static_cast<std::int8_t>(
          graph::quantize_fix(double(v) * std::ldexp(1.0, f.fix_point), f)));
    }
    out[c->first] = std::move(u);
  }
  return out;
}

}  // namespace dpurun::loaders::xir

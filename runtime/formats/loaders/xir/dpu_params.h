// A compiled .xmodel's constants: every const-fix op's data is empty; its int8 values sit in its
// DPU subgraph's `reg_id_to_parameter_value` blob at the tensor's `ddr_addr`, laid out as that
// DPU family's compiler writes them (docs/compiled-xmodel.md). This reads them back in XIR's
// own layout ([OC, KH, KW, IC], biases 1-D), or refuses naming the DPU.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dpurun::loaders::xir {

class Graph;
class OPNode;

// One DPU subgraph of a compiled model: its target and whether its constants can be read.
struct DpuSubgraphParams {
  std::string name;
  std::string dpu_name;
  std::string layout;   // "as-is" (DPUCZDX8G), "versal-c32" (DPUCVDX8G C32B3); empty: unknown
  std::string refusal;  // why its constants cannot be read (empty when they can)
  std::uint64_t parameter_bytes = 0;  // all of its parameter blobs
};

class DpuParameters {
 public:
  // Refers to `def`'s parameter blobs: `def` must outlive it.
  DpuParameters(const Graph& def, std::string source);

  // The const-fix op's values in XIR's layout (element count of its shape), as int8.
  // `user`: the op that reads it (a convolution's attributes can decide the layout).
  // Throws Error(kUnsupported) when its DPU family's layout is not known, kInvalidModel when
  // the blob does not hold it.
  std::vector<std::int8_t> unpack(const OPNode& constant, const OPNode* user) const;

  const std::vector<DpuSubgraphParams>& subgraphs() const { return subgraphs_; }

 private:
  struct Blobs {
    std::size_t subgraph;                     // index into subgraphs_
    std::map<std::string, const std::string*> regs;  // "REG_0" → its bytes, in the graph
  };
  std::string source_;
  std::vector<DpuSubgraphParams> subgraphs_;
  std::vector<Blobs> blobs_;
  std::map<std::string, std::size_t> owner_;  // op name → index into blobs_
};

// Every const-fix op of a compiled model unpacked (for tests and `inspect`): name → values.
struct UnpackedConstant {
  std::vector<std::int64_t> shape;
  int fix_point = 0;
  std::vector<std::int8_t> values;
};
std::map<std::string, UnpackedConstant> unpack_compiled_constants(const std::string& bytes,
                                                                  const std::string& source);
// A quantized model's (*_int.xmodel) fixed constants: each const op read through the fix op
// after it, as the int8 values the DPU gets (round(x · 2^fix_point), saturated).
std::map<std::string, UnpackedConstant> quantized_constants(const std::string& bytes,
                                                            const std::string& source);

}  // namespace dpurun::loaders::xir

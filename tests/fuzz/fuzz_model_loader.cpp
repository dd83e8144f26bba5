// libFuzzer target for the model loaders: bytes → loader → fusion → integer lowering. Any
// outcome but a dpurun::Error (a crash, a sanitizer report, another exception) is a bug.
// DPURUN_FUZZ_FORMAT picks the format: 1 GraphDef, 2 XIR .xmodel, 3 ONNX, 4 DNNDK .elf.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dpurun/error.h"
#include "loaders/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dpurun::loaders::ModelFormat;
  constexpr ModelFormat kFormat = DPURUN_FUZZ_FORMAT == 1   ? ModelFormat::kTensorFlowGraphDef
                                  : DPURUN_FUZZ_FORMAT == 2 ? ModelFormat::kXirModel
                                  : DPURUN_FUZZ_FORMAT == 3 ? ModelFormat::kOnnx
                                                            : ModelFormat::kDnndkElf;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto g = dpurun::loaders::load_model_bytes(bytes, kFormat, "fuzz-input");
    (void)g;
  } catch (const dpurun::Error&) {
  }
  return 0;
}

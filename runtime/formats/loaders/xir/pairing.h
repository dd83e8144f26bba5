// A compiled .xmodel keeps its weights packed for the DPU; its quantized model (the
// quantizer's *_int.xmodel) holds the same weights readably. Pairing checks that the two
// match op for op — names, fix points and sizes — before the quantized one runs for it.
#pragma once

#include <string>

namespace dpurun::loaders::xir {

class Graph;

// Throws Error(kInvalidModel) listing what differs.
void check_pairing(const Graph& compiled, const std::string& compiled_path, const Graph& quantized,
                   const std::string& quantized_path);

}  // namespace dpurun::loaders::xir

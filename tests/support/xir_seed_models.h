// Small quantized .xmodel graphs, one per family of XIR ops the loader converts, each op with
// its attributes set: fuzz_xmodel's seeds (tests/fuzz/xmodel_seeds.cpp writes them) and a test
// that each loads and runs, so that fuzzing starts from every converter.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dpurun::test {

// {name, serialized graph}
std::vector<std::pair<std::string, std::string>> xir_seed_models();

}  // namespace dpurun::test

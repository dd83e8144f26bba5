// Writes fuzz_xmodel's seeds (support/xir_seed_models.h) into a directory.
//   xmodel_seeds OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/xir_seed_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: xmodel_seeds OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  for (const auto& [name, bytes] : dpurun::test::xir_seed_models()) {
    const auto path = out / (name + ".xmodel");
    std::ofstream f(path, std::ios::binary);
    f << bytes;
    if (!f) {
      std::fprintf(stderr, "xmodel_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}

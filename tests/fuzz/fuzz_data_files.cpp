// libFuzzer target for the data and manifest readers, which read files by path: the input is
// written to a scratch file and read back. DPURUN_FUZZ_DATA picks the reader: 1 labels.csv (a
// folder with two real images), 2 a CIFAR-10 binary batch (opened, every image decoded),
// 3 a model manifest, 4 a check baseline. Any outcome but a dpurun::Error is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "dpurun/check.h"
#include "dpurun/manifest.h"

namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("dpurun-fuzz-" + std::to_string(getpid()));
    fs::create_directories(d);
    // Two tiny valid images for labels.csv to name (a 1×1 PNG).
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00,
        0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01,
        0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
        0x82};
    for (const char* name : {"a.png", "b.png"}) std::ofstream(d / name, std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
    return d;
  }();
  return dir;
}

void write(const fs::path& p, const std::uint8_t* data, std::size_t size) {
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path dir = scratch();
  try {
#if DPURUN_FUZZ_DATA == 1
    write(dir / "labels.csv", data, size);
    auto set = dpurun::Dataset::open(dir.string());
    dpurun::Preprocessing pre;
    std::vector<float> x(32 * 32 * 3);
    for (std::size_t i = 0; i < set.size() && i < 4; ++i) {
      (void)set.label(i);
      set.load(i, pre, {32, 32, 3}, x.data());
    }
#elif DPURUN_FUZZ_DATA == 2
    write(dir / "data_batch_1.bin", data, size);
    auto set = dpurun::Dataset::open((dir / "data_batch_1.bin").string());
    dpurun::Preprocessing pre;
    std::vector<float> x(32 * 32 * 3);
    for (std::size_t i = 0; i < set.size() && i < 8; ++i) set.load(i, pre, {32, 32, 3}, x.data());
#elif DPURUN_FUZZ_DATA == 4
    auto b = dpurun::parse_baseline(std::string(reinterpret_cast<const char*>(data), size), "baseline.json");
    (void)dpurun::to_json(b);  // what was accepted can be written back
#else
    write(dir / "model.json", data, size);
    auto m = dpurun::Manifest::load((dir / "model.json").string(), dir.string());
    (void)m;
#endif
  } catch (const dpurun::Error&) {
  }
  return 0;
}

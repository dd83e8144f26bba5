// Paths and helpers shared by the tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dpurun/cpu_executor.h"
#include "dpurun/dataset.h"
#include "dpurun/error.h"

namespace dpurun::test {

// A path under ../shared (the real models and data), read in place.
std::string shared(const std::string& relative);
// A directory under the system temp dir, named after the running test: emptied when the test
// first asks for it, then shared by its later calls.
std::filesystem::path temp_dir();
void write_file(const std::filesystem::path& p, const std::string& bytes);
std::string read_file(const std::filesystem::path& p);
// Deterministic values in [lo, hi).
std::vector<float> random_floats(std::size_t n, unsigned seed, float lo = -1.f, float hi = 1.f);

// Writes `bytes` as `file_name` in the test's directory and loads it as a model; returns the
// Error raised, after checking that its message names the file. A load that succeeds fails
// the test.
Error load_error(const std::string& bytes, const std::string& file_name,
                 const ModelOptions& options = {});

// Every image of `data` (or the first `limit`), preprocessed for a 32×32×3 input.
std::vector<float> load_images(const Dataset& data, const Manifest& manifest, std::size_t limit = 0);
// Runs `model` over `n` images of `per_image` floats in batches of `batch`; all outputs.
std::vector<float> run_images(const Model& model, const std::vector<float>& images, std::size_t n,
                              KernelChoice kernels = KernelChoice::kFast, int batch = 100);

// The index of the largest of each run of `classes` outputs.
std::vector<int> top1(const std::vector<float>& outputs, std::size_t classes = 10);

// Runs the dpurun CLI with `args`; returns its exit code and combined output.
struct CliResult {
  int exit_code;
  std::string output;
};
CliResult run_cli(const std::string& args);
// The command line that starts the CLI: its path, behind the cross-compiling emulator
// (qemu-aarch64) where the tests run under one.
std::vector<std::string> cli_argv();
// Runs a shell command; its exit code and combined output.
CliResult run_command(const std::string& command);

// A stand-in `xdputil` on PATH, while it lives, whose `query` lists one DPU of `fingerprint`
// ("0x…") in the JSON form the real one prints.
class FakeXdputil {
 public:
  explicit FakeXdputil(const std::string& fingerprint, const std::string& arch = "DPUCZDX8G_ISA1_B4096");
  ~FakeXdputil();
  FakeXdputil(const FakeXdputil&) = delete;
  FakeXdputil& operator=(const FakeXdputil&) = delete;

 private:
  std::string old_path_;
};

}  // namespace dpurun::test

// Skips the test, saying why, when a file or folder of ../shared is not on this machine.
#define DPURUN_REQUIRE_SHARED(path)                                                          \
  do {                                                                                       \
    if (!std::filesystem::exists(path))                                                      \
      GTEST_SKIP() << "needs " << (path)                                                     \
                   << " (the shared models and data, ../shared beside the repository); "    \
                      "not found on this machine";                                           \
  } while (0)

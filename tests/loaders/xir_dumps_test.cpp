// Layer by layer against the quantizer's own dumps: vai_q_pytorch's deploy_check_data_int/ for
// the EfficientNetV2 block (../shared/models/efficientnetv2-block-b2304) holds, for one input,
// the output of each XIR op (<op>.bin, float32) and of the fix op after it (<op>_fix.bin, int8).
// Each is asked of the CPU reference as an output of the int model run on that input, and must
// equal the dump bit for bit; a mismatch names the layer, the first element and both values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "dpurun/cpu_executor.h"
#include "support/test_env.h"

namespace dpurun {
namespace {
namespace fs = std::filesystem;

const char* kBlock = "models/efficientnetv2-block-b2304";
const char* kPrefix = "ResidualBlock__ResidualBlock_MBConvLayer_conv__";

template <typename T>
std::vector<T> read_raw(const fs::path& p) {
  std::string bytes = test::read_file(p);
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
  return v;
}

// The model's output `tensor` on the dumped input, as floats (int8 tensors dequantized).
std::vector<float> run_to(const std::string& model, const std::string& tensor, const std::vector<float>& input,
                          KernelChoice kernels) {
  ModelOptions o;
  o.outputs = {tensor};
  Model m = Model::load(model, o);
  CpuExecutor exec(m, CpuOptions{1, kernels});
  std::vector<float> out(static_cast<std::size_t>(exec.output_elements()));
  exec.run(input.data(), out.data(), 1);
  return out;
}

// "" when equal; else the first element that differs, both values, how many differ.
template <typename T>
std::string first_difference(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size())
    return std::to_string(got.size()) + " elements, the dump has " + std::to_string(want.size());
  std::size_t first = got.size(), count = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0) {
      if (first == got.size()) first = i;
      ++count;
    }
  if (!count) return "";
  return "element " + std::to_string(first) + ": " + std::to_string(+got[first]) + ", the dump " +
         std::to_string(+want[first]) + " (" + std::to_string(count) + " of " + std::to_string(got.size()) +
         " differ)";
}

class XirDumps : public ::testing::TestWithParam<KernelChoice> {};

TEST_P(XirDumps, EveryLayerOfTheEfficientNetBlockEqualsTheQuantizersDump) {
  const std::string model = test::shared(std::string(kBlock) + "/ResidualBlock_int.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  const fs::path dumps = test::shared(std::string(kBlock) + "/deploy_check_data_int");
  // The input, int8 at fix point 4 (PROVENANCE.md); as floats it is exactly on that grid.
  auto input_int = read_raw<std::int8_t>(dumps / "ResidualBlock__input_0_fix.bin");
  ASSERT_EQ(input_int.size(), 14u * 14 * 136);
  std::vector<float> input(input_int.size());
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = std::ldexp(float(input_int[i]), -4);

  int compared = 0;
  for (const auto& entry : fs::directory_iterator(dumps)) {
    const std::string file = entry.path().filename().string();
    if (file.size() < 8 || file.compare(file.size() - 8, 8, "_fix.bin") != 0) continue;
    const std::string op = file.substr(0, file.size() - 8);
    if (op == "ResidualBlock__input_0") continue;  // the input itself
    // Weights and biases: constants of the model (the dumps are its const data), not layers.
    if (op.size() > 7 && (op.compare(op.size() - 7, 7, "_weight") == 0 || op.compare(op.size() - 5, 5, "_bias") == 0))
      continue;
    SCOPED_TRACE(op);
    // <op>_fix is the fix op's output: the int8 the next layer reads, as floats.
    std::vector<float> got = run_to(model, op + "_fix", input, GetParam());
    auto want_int = read_raw<std::int8_t>(entry.path());
    auto want_float = read_raw<float>(dumps / (op + ".bin"));  // the same values before the fix
    EXPECT_EQ(first_difference(got, want_float), "") << "layer " << op << " (dequantized)";
    // The int8 values: the fix point is the ratio of the two dumps.
    int fp = 0;
    for (std::size_t i = 0; i < want_int.size(); ++i)
      if (want_int[i]) {
        fp = static_cast<int>(std::lround(std::log2(double(want_int[i]) / want_float[i])));
        break;
      }
    std::vector<std::int8_t> got_int(got.size());
    for (std::size_t i = 0; i < got.size(); ++i) got_int[i] = static_cast<std::int8_t>(std::ldexp(got[i], fp));
    EXPECT_EQ(first_difference(got_int, want_int), "") << "layer " << op << " (int8, fix point " << fp << ")";
    ++compared;
  }
  // Float-only dumps of ops no fix follows: the transpose and the first mean (CPU subgraph).
  for (const std::string op : {std::string(kPrefix) + "Sequential_depth_conv__Hardswish_act__1321_sink_transpose_0",
                               std::string(kPrefix) + "Sequential_depth_conv__SEModule_se__1327"}) {
    SCOPED_TRACE(op);
    EXPECT_EQ(first_difference(run_to(model, op, input, GetParam()), read_raw<float>(dumps / (op + ".bin"))), "") << "layer " << op;
    ++compared;
  }
  EXPECT_EQ(compared, 13 + 2) << "dumped layers compared";
}

INSTANTIATE_TEST_SUITE_P(Kernels, XirDumps, ::testing::Values(KernelChoice::kReference, KernelChoice::kFast),
                         [](const auto& info) { return info.param == KernelChoice::kFast ? "fast" : "reference"; });

}  // namespace
}  // namespace dpurun

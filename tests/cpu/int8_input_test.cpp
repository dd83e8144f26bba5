// Integer models take their int8 input straight into the graph (CpuExecutor::run(int8)): the
// same outputs, byte for byte, as the float input that the graph's Quantize turns into that int8.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "dpurun/cpu_executor.h"
#include "dpurun/error.h"
#include "dpurun/manifest.h"
#include "dpurun/runner.h"
#include "graph/fix_math.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

void expect_int8_input_equals_float_input(const Model& q) {
  for (KernelChoice k : {KernelChoice::kFast, KernelChoice::kReference}) {
    CpuExecutor exec(q, CpuOptions{0, k});  // 0: OMP_NUM_THREADS (1 under the tsan preset) or every core
    ASSERT_TRUE(exec.int8_input_fix_point());
    const int fp = *exec.int8_input_fix_point();
    const int batch = 4;
    const std::size_t n = static_cast<std::size_t>(exec.input_elements()) * batch;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-2.5f, 2.5f);  // standardised pixels, some saturating
    std::vector<float> x(n);
    for (float& v : x) v = u(rng);
    std::vector<std::int8_t> x8(n);
    quantize_input(x.data(), n, fp, x8.data());
    std::vector<float> from_float(static_cast<std::size_t>(exec.output_elements()) * batch),
        from_int8(from_float.size()), from_dequantized(from_float.size());
    exec.run(x.data(), from_float.data(), batch);
    exec.run(x8.data(), from_int8.data(), batch);
    std::vector<float> dq(n);
    for (std::size_t i = 0; i < n; ++i) dq[i] = std::ldexp(float(x8[i]), -fp);
    exec.run(dq.data(), from_dequantized.data(), batch);
    EXPECT_EQ(0, std::memcmp(from_int8.data(), from_float.data(), from_float.size() * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(from_int8.data(), from_dequantized.data(), from_float.size() * sizeof(float)));
  }
}

TEST(Int8Input, ResNet56GivesTheSameOutputsAsFromFloat) {
  Manifest manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json", test::shared("models"));
  DPURUN_REQUIRE_SHARED(manifest.model_file("quantized"));
  expect_int8_input_equals_float_input(Model::load(
      manifest.model_file("quantized"), ModelOptions{{manifest.input_name}, {manifest.output_name}, {}}));
}

TEST(Int8Input, LeNetGivesTheSameOutputsAsFromFloat) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  expect_int8_input_equals_float_input(Model::load(path));
}

TEST(Int8Input, FloatModelsDoNotTakeInt8) {
  Manifest manifest =
      Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json", test::shared("models"));
  DPURUN_REQUIRE_SHARED(manifest.model_file("float"));
  Model f = Model::load(manifest.model_file("float"),
                        ModelOptions{{manifest.input_name}, {manifest.output_name}, {}});
  CpuExecutor exec(f, CpuOptions{1, KernelChoice::kFast});
  EXPECT_FALSE(exec.int8_input_fix_point());
  std::vector<std::int8_t> x(static_cast<std::size_t>(exec.input_elements()));
  std::vector<float> y(static_cast<std::size_t>(exec.output_elements()));
  EXPECT_THROW(exec.run(x.data(), y.data(), 1), Error);
}

// One quantizer: the runners' input conversion (quantize_input, the DPU's rounding) equals the
// reference kernels' quantize_fix, computed in double, over every int8 step and its half-way
// points at several fix points, beyond the range, and at NaN and the infinities.
TEST(Int8Input, TheInputQuantizerMatchesTheOracle) {
  for (int fp : {-2, 0, 3, 6, 7}) {
    std::vector<float> x;
    for (int k = -300; k <= 300; ++k)
      x.push_back(std::ldexp(float(k) / 4.f, -fp));  // steps, halves, quarters
    for (float v : {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 1e-30f, -1e-30f}) x.push_back(v);
    std::vector<std::int8_t> got(x.size());
    quantize_input(x.data(), x.size(), fp, got.data());
    graph::FixInfo f;
    f.fix_point = fp;
    for (std::size_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(int(got[i]), int(graph::quantize_fix(double(x[i]) * std::ldexp(1.0, fp), f)))
          << "x " << x[i] << " at fix point " << fp;
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// CpuOptions::profile: each kernel's time over the runs, within the runs' own time, and the same
// outputs as without it.
TEST(KernelTimes, AProfiledExecutorSaysWhereItsRunsWent) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  const Model model = Model::load(path);
  CpuExecutor plain(model, CpuOptions{1, KernelChoice::kFast});
  CpuExecutor profiled(model, CpuOptions{1, KernelChoice::kFast, true});
  EXPECT_TRUE(plain.kernel_times().seconds_by_kernel.empty());
  EXPECT_EQ(profiled.kernel_times().runs, 0);
  const int batch = 3;
  std::vector<float> x(static_cast<std::size_t>(profiled.input_elements()) * batch, 0.25f);
  std::vector<float> a(static_cast<std::size_t>(profiled.output_elements()) * batch), b(a.size());
  for (int r = 0; r < 4; ++r) profiled.run(x.data(), a.data(), batch);
  plain.run(x.data(), b.data(), batch);
  EXPECT_EQ(a, b);
  const KernelTimes t = profiled.kernel_times();
  EXPECT_EQ(t.runs, 4);
  ASSERT_FALSE(t.seconds_by_kernel.empty());
  double sum = 0;
  bool conv = false;
  for (std::size_t i = 0; i < t.seconds_by_kernel.size(); ++i) {
    const auto& [name, seconds] = t.seconds_by_kernel[i];
    EXPECT_GE(seconds, 0) << name;
    if (i > 0) EXPECT_LE(seconds, t.seconds_by_kernel[i - 1].second) << "largest first";
    sum += seconds;
    conv |= name.find("conv int8") != std::string::npos;
  }
  EXPECT_TRUE(conv) << "LeNet's convolutions are int8 kernels";
  EXPECT_GT(sum, 0);
  EXPECT_LE(sum, t.run_seconds);
}

}  // namespace
}  // namespace dpurun

// Keras models saved by vai_q_tensorflow2 (VitisQuantizer.quantize_model): QuantizeWrapper and
// VitisQuantize layers with the quantizer's positions among their weights, run as the DPU's
// integer arithmetic at those positions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "dpurun/cpu_executor.h"
#include "dpurun/dataset.h"
#include "dpurun/freeze.h"
#include "dpurun/manifest.h"
#include "dpurun/runner.h"
#include "graph_def.pb.h"
#include "support/keras_writer.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

const char* kModel = "models/mnist-mlp-tf2-dpu-sizes/quantized_model.h5";

// The frozen graph has vai_q_tensorflow's FixNeuron nodes at the positions the .h5 holds
// (PROVENANCE.md: input 6, dense kernel 7 and bias 8, ReLU output 4, dense_1 kernel 6 and bias
// 7, softmax pre-activation 1), and its weights lie on their grids.
TEST(KerasVitis, TheQuantizersPositionsBecomeFixNeurons) {
  const std::string path = test::shared(kModel);
  DPURUN_REQUIRE_SHARED(path);
  FreezeResult f = freeze_keras(path);
  loaders::tf::GraphDef g;
  ASSERT_TRUE(g.ParseFromString(f.graph_def));
  std::map<std::string, int> pos;
  std::map<std::string, const loaders::tf::NodeDef*> by_name;
  for (const auto& n : g.node()) by_name[n.name()] = &n;
  for (const auto& n : g.node())
    if (n.op() == "FixNeuron") pos[n.name()] = static_cast<int>(n.attr().at("quantize_pos").i());
  const std::map<std::string, int> want{{"quant_flatten_input/aquant", 6}, {"dense/kernel/wquant", 7},
                                        {"dense/bias/wquant", 8},         {"dense_relu/aquant", 4},
                                        {"dense_1/kernel/wquant", 6},      {"dense_1/bias/wquant", 7},
                                        {"dense_1_softmax/pre_aquant", 1}};
  EXPECT_EQ(pos, want);
  for (const char* w : {"dense/kernel", "dense_1/bias"}) {
    const auto& t = by_name.at(w)->attr().at("value").tensor();
    const std::string& bytes = t.tensor_content();
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), bytes.size());
    const int p = want.at(std::string(w) + "/wquant");
    for (float x : v) {
      const double q = std::ldexp(double(x), p);
      ASSERT_EQ(q, std::floor(q)) << w << " holds " << x << ", off its grid 2^-" << p;
      ASSERT_TRUE(q >= -128 && q <= 127) << w;
    }
  }
}

// As the DPU runs it: int8 input at fix point 6, both layers integer. Top-1 over the first 1,000
// MNIST test images at least 95 %: no accuracy is published, a 784-128-10 MLP gets about 98 %,
// and a wrong position or rounding of a layer's scale gives far less.
TEST(KerasVitis, TheQuantizedMlpRunsAsIntegersAndClassifiesMnist) {
  const std::string path = test::shared(kModel);
  const std::string data = test::shared("data/mnist-test-png");
  DPURUN_REQUIRE_SHARED(path);
  DPURUN_REQUIRE_SHARED(data);
  Model m = Model::load(path);
  ASSERT_TRUE(m.is_integer());
  int fc = 0;
  for (auto& [op, n] : m.op_counts()) fc += op == "FullyConnected" ? n : 0;
  EXPECT_EQ(fc, 2);
  auto runner = make_cpu_runner(m, CpuRunnerOptions{100, {}});
  const TensorInfo& in = runner->input_tensors()[0];
  ASSERT_EQ(in.type, DataType::kInt8);
  EXPECT_EQ(in.fix_point, 6);
  const Manifest mf = Manifest::load(std::string(DPURUN_SOURCE_DIR) + "/models/mnist-mlp-tf2-dpu-sizes.json",
                                     test::shared("models"));
  const Dataset d = Dataset::open(data, mf.classes);
  auto buffers = runner->allocate_buffers();
  std::vector<float> x(784);
  int correct = 0;
  for (std::size_t first = 0; first < 1000; first += 100) {
    for (std::size_t k = 0; k < 100; ++k) {
      d.load(first + k, mf.preprocessing, {28, 28, 1}, x.data());
      quantize_input(x.data(), 784, 6, reinterpret_cast<std::int8_t*>(buffers->inputs[0].data) + k * 784,
                     mf.preprocessing.input_conversion);
    }
    ASSERT_EQ(runner->wait(runner->execute_async(*buffers), -1).state, JobState::kDone);
    const auto* y = reinterpret_cast<const float*>(buffers->outputs[0].data);
    for (std::size_t k = 0; k < 100; ++k)
      correct += static_cast<int>(std::max_element(y + k * 10, y + k * 10 + 10) - (y + k * 10)) == d.label(first + k);
  }
  EXPECT_GE(correct, 950) << "top-1 over 1,000 images";
}

// Without ../shared: the fuzz seed's architecture (VitisQuantize → Flatten → Dense + ReLU, all
// wrapped) with weights written here, ties included, against the DPU arithmetic in double:
// input at 2^6 half up, kernel at 2^7 and bias at 2^8 half to even (round_mode 0), the exact
// sum, ReLU, one rounding at 2^4.
TEST(KerasVitis, AWrappedDenseIsTheDpusFullyConnectedAtTheSavedPositions) {
  const auto dir = test::temp_dir();
  std::vector<float> kernel(64 * 10), bias(10);
  for (std::size_t i = 0; i < kernel.size(); ++i) kernel[i] = static_cast<float>(int(i % 23) - 11) / 256.f;  // ties at 2^-8
  for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = static_cast<float>(int(i) - 4) / 512.f;
  auto pos = [](std::string name, float p) { return test::KerasWeight{std::move(name), {}, {p}}; };
  test::write_keras_h5((dir / "w.h5").string(),
                       {{"quant_input", {pos("quant_input_pos", 6), pos("optimizer_step", 1)}},
                        {"quant_flatten", {pos("optimizer_step", 1)}},
                        {"quant_dense",
                         {{"kernel", {64, 10}, kernel}, {"bias", {10}, bias}, pos("kernel_pos", 7), pos("bias_pos", 8),
                          pos("post_activation_pos", 4), pos("optimizer_step", 1)}}},
                       {"", "2.8.0", false});
  ModelOptions o;
  o.weights_from = (dir / "w.h5").string();
  Model m = Model::load(std::string(DPURUN_SOURCE_DIR) + "/tests/fuzz/seeds/keras_config/vitis_sequential.json", o);
  ASSERT_TRUE(m.is_integer());
  auto in = test::random_floats(64, 21, -1.f, 1.f);
  std::vector<float> out(10);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
  auto even = [](double v, int p) { return std::clamp(std::nearbyint(std::ldexp(v, p)), -128.0, 127.0) / std::ldexp(1.0, p); };
  auto up = [](double v, int p) { return std::clamp(std::floor(std::ldexp(v, p) + 0.5), -128.0, 127.0) / std::ldexp(1.0, p); };
  int nonzero = 0;
  for (int j = 0; j < 10; ++j) {
    double acc = even(bias[static_cast<std::size_t>(j)], 8);
    for (int i = 0; i < 64; ++i) acc += up(in[static_cast<std::size_t>(i)], 6) * even(kernel[static_cast<std::size_t>(i * 10 + j)], 7);
    const double want = up(std::max(acc, 0.0), 4);
    EXPECT_EQ(out[static_cast<std::size_t>(j)], want) << "unit " << j;
    nonzero += want != 0;
  }
  EXPECT_GT(nonzero, 2);
}

}  // namespace
}  // namespace dpurun

// The int8 emulation of vai_q_tensorflow's quantize_eval_model.pb against the float graph it
// was quantized from, over all 10,000 real CIFAR-10 test images.
#include <gtest/gtest.h>

#include <algorithm>

#include "dpurun/cpu_executor.h"
#include "dpurun/dataset.h"
#include "dpurun/manifest.h"
#include "dpurun/error.h"
#include "graph_def.pb.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

// `n` images of `data`, every `step`-th, prepared as `manifest` says for an input of `hwc`.
std::vector<float> spread_images(const Dataset& data, const Manifest& manifest, std::size_t n, std::size_t step,
                                 const Shape& hwc) {
  const auto per = static_cast<std::size_t>(element_count(hwc));
  std::vector<float> input(n * per);
  for (std::size_t i = 0; i < n; ++i) data.load(i * step, manifest.preprocessing, hwc, input.data() + i * per);
  return input;
}

TEST(QuantizedModel, ResNetInt8AgainstFloatOverTheWholeTestSet) {
  Manifest manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json",
                                     test::shared("models"));
  auto data_path = test::shared("data/cifar10-test-jpg");
  DPURUN_REQUIRE_SHARED(manifest.model_file("quantized"));
  DPURUN_REQUIRE_SHARED(data_path);
  Dataset data = Dataset::open(data_path, manifest.classes);
  const std::size_t n = data.size();
  std::vector<float> input = test::load_images(data, manifest);
  ModelOptions mo{{manifest.input_name}, {manifest.output_name}, {}};
  Model fp = Model::load(manifest.model_file("float"), mo);
  Model q = Model::load(manifest.model_file("quantized"), mo);

  mo.fix_in_float = true;
  Model sim = Model::load(manifest.model_file("quantized"), mo);

  auto f = test::top1(test::run_images(fp, input, n, KernelChoice::kFast, 50));
  auto i8 = test::top1(test::run_images(q, input, n, KernelChoice::kFast, 50));
  auto s = test::top1(test::run_images(sim, input, n, KernelChoice::kFast, 50));
  std::size_t agree = 0, agree_sim = 0, f_ok = 0, q_ok = 0;
  for (std::size_t k = 0; k < n; ++k) {
    agree += f[k] == i8[k];
    agree_sim += s[k] == i8[k];
    f_ok += f[k] == data.label(k);
    q_ok += i8[k] == data.label(k);
  }
  double f_top1 = 100.0 * double(f_ok) / double(n), q_top1 = 100.0 * double(q_ok) / double(n);
  double agreement = 100.0 * double(agree) / double(n);
  std::cout << "float top-1 " << f_top1 << " %, int8 top-1 " << q_top1 << " %, int8/float agreement "
            << agreement << " %, int8/float-simulation agreement "
            << 100.0 * double(agree_sim) / double(n) << " %\n";
  // The authors report 93.14 % float and 92.33 % quantized on lossless images; the issue asks
  // for top-1 within 1.5 points.
  EXPECT_LE(std::abs(f_top1 - q_top1), 1.5);
  // The integer lowering changes nothing against the quantizer's own float simulation of
  // the same fix ops (float convolutions, fake-quantized tensors): identical top-1 everywhere.
  EXPECT_EQ(agree_sim, n);
  // Agreement with the float graph is a property of this quantized model: measured 92.6-92.7 %
  // (the quantizer's float simulation gives the same), below the hoped-for 97 %.
  // The floor guards against regressions in the emulation.
  EXPECT_GE(agreement, 92.0);
}

TEST(QuantizedModel, FastAndReferenceIntegerKernelsAreBitExactOnRealImages) {
  Manifest manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json",
                                     test::shared("models"));
  auto data_path = test::shared("data/cifar10-test-jpg");
  DPURUN_REQUIRE_SHARED(manifest.model_file("quantized"));
  DPURUN_REQUIRE_SHARED(data_path);
  Dataset data = Dataset::open(data_path, manifest.classes);
  const std::size_t n = 20;
  const std::vector<float> input = spread_images(data, manifest, n, 499, {32, 32, 3});
  Model q = Model::load(manifest.model_file("quantized"),
                        ModelOptions{{manifest.input_name}, {manifest.output_name}, {}});
  // Softmax runs in float after the integer network: its inputs are identical, so its
  // outputs are too.
  EXPECT_EQ(test::run_images(q, input, n, KernelChoice::kFast),
            test::run_images(q, input, n, KernelChoice::kReference));
}

// vai_q_tensorflow's deploy_model.pb (weights, biases and positions as node attributes: what
// DNNDK's compiler takes) is the same integer network as its quantize_eval_model.pb.
TEST(QuantizedModel, TheDeployGraphIsTheQuantizeEvalGraphBitForBit) {
  Manifest manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json", test::shared("models"));
  auto data_path = test::shared("data/cifar10-test-jpg");
  DPURUN_REQUIRE_SHARED(manifest.model_file("deploy"));
  DPURUN_REQUIRE_SHARED(data_path);
  Dataset data = Dataset::open(data_path, manifest.classes);
  const std::size_t n = 24;
  const std::vector<float> input = spread_images(data, manifest, n, 401, {32, 32, 3});
  const ModelOptions o{{manifest.input_name}, {manifest.output_name}, {}};
  Model deploy = Model::load(manifest.model_file("deploy"), o), eval = Model::load(manifest.model_file("quantized"), o);
  EXPECT_TRUE(deploy.is_integer());
  EXPECT_EQ(deploy.op_counts(), eval.op_counts());  // the ReLUs fused into the convolutions alike
  EXPECT_EQ(test::run_images(deploy, input, n), test::run_images(eval, input, n));

  // Weights whose position is missing: refused, naming the node.
  loaders::tf::GraphDef g;
  ASSERT_TRUE(g.ParseFromString(test::read_file(manifest.model_file("deploy"))));
  for (auto& node : *g.mutable_node())
    if (node.name() == "res2a_branch2a/Conv2D") node.mutable_attr()->erase("wpos");
  Error e = test::load_error(g.SerializeAsString(), "deploy_no_wpos.pb");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("'res2a_branch2a/Conv2D'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("wpos"), std::string::npos) << e.what();
}

// vai_q_tensorflow's TF1 MNIST model has biases finer than their products (fix 9 against
// -1 + 8), which the fast kernel adds in the bias's own scale: bit for bit the reference's, the
// quantized graph's and the compiled file's alike.
TEST(QuantizedModel, BiasesFinerThanTheProductRunBitExactInTheFastKernel) {
  Manifest manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/mnist-tf1-zcu104.json", test::shared("models"));
  auto data_path = test::shared("data/mnist-test-png");
  DPURUN_REQUIRE_SHARED(manifest.model_file("quantized"));
  DPURUN_REQUIRE_SHARED(data_path);
  Dataset data = Dataset::open(data_path, manifest.classes);
  const std::size_t n = 40;
  const std::vector<float> input = spread_images(data, manifest, n, 249, {28, 28, 1});
  for (const std::string variant : {"quantized", "compiled"}) {
    Model q = Model::load(manifest.model_file(variant), ModelOptions{{manifest.input_name}, {manifest.output_name}, {}});
    auto fast = test::run_images(q, input, n, KernelChoice::kFast, 8);
    EXPECT_EQ(fast, test::run_images(q, input, n, KernelChoice::kReference, 8)) << variant;
    EXPECT_GT(std::count_if(fast.begin(), fast.end(), [](float v) { return v != 0.f; }), 0) << variant;
  }
}

}  // namespace
}  // namespace dpurun

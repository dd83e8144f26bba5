// Each input conversion on real quantized models over real images: `evaluate` gives, byte for
// byte, the outputs of the model run on int8 inputs that a hand-written oracle per mode
// converted; modes give different bytes where their arithmetic must (ties, truncation, values
// past int8) and the same bytes elsewhere; outputs differ only where inputs do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "dpurun/dataset.h"
#include "dpurun/eval.h"
#include "dpurun/manifest.h"
#include "dpurun/runner.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

// The oracle: what each app pattern computes, written out in double arithmetic.
std::int8_t oracle(float x, int fix_point, const std::string& mode) {
  const double v = double(x) * std::ldexp(1.0, fix_point);
  double r = 0;
  if (mode.starts_with("round"))
    r = std::floor(v + 0.5);
  else if (mode.starts_with("truncate"))
    r = std::trunc(v);
  else if (mode.starts_with("half-even"))
    r = std::nearbyint(v);
  else if (mode.starts_with("half-away"))
    r = std::round(v);
  else
    ADD_FAILURE() << "no oracle for " << mode;
  if (std::isnan(r)) return 0;
  if (mode.ends_with("-wrap")) return static_cast<std::int8_t>(static_cast<long long>(r) & 0xff);
  return static_cast<std::int8_t>(std::clamp(r, -128.0, 127.0));
}

const std::vector<std::string> kModes{"round",     "round-wrap",     "truncate",  "truncate-wrap",
                                      "half-even", "half-even-wrap", "half-away", "half-away-wrap"};

// Per mode, for `n` images spread over the data set: the oracle's int8 inputs and the model's
// outputs on them; checks that `evaluate` with that mode gives the same outputs byte for byte.
struct ModeRuns {
  int fix_point = 0;
  std::size_t n = 0, per_image = 0, classes = 0;
  std::vector<float> x;  // the preprocessed floats
  std::map<std::string, std::vector<std::int8_t>> inputs;
  std::map<std::string, std::vector<float>> outputs;

  bool same_input(const std::string& a, const std::string& b, std::size_t k) const {
    auto& p = inputs.at(a);
    return std::equal(p.begin() + long(k * per_image), p.begin() + long((k + 1) * per_image),
                      inputs.at(b).begin() + long(k * per_image));
  }
  bool same_output(const std::string& a, const std::string& b, std::size_t k) const {
    auto& p = outputs.at(a);
    return std::memcmp(p.data() + k * classes, outputs.at(b).data() + k * classes,
                       classes * sizeof(float)) == 0;
  }
  std::size_t images_with_other_input(const std::string& a, const std::string& b) const {
    std::size_t d = 0;
    for (std::size_t k = 0; k < n; ++k) d += !same_input(a, b, k);
    return d;
  }
  std::size_t images_with_other_output(const std::string& a, const std::string& b) const {
    std::size_t d = 0;
    for (std::size_t k = 0; k < n; ++k) d += !same_output(a, b, k);
    return d;
  }
};

ModeRuns run_modes(const std::string& manifest_name, const std::string& variant,
                   const std::string& data_dir, std::size_t n, int batch) {
  ModeRuns m;
  Manifest manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/" + manifest_name + ".json",
                                     test::shared("models"));
  EvalSettings s;
  s.model_file = manifest.model_file(variant);
  s.manifest = manifest.path;
  s.variant = variant;
  s.data = test::shared(data_dir);
  s.limit = n;
  s.backend.batch = batch;
  s.backend.runners = 2;

  // The model on its own, fed the oracle's bytes.
  ModelOptions mo;
  if (!manifest.input_name.empty()) mo.inputs = {manifest.input_name};
  if (!manifest.output_name.empty()) mo.outputs = {manifest.output_name};
  Model model = Model::load(s.model_file, mo);
  auto runner = make_cpu_runner(model, CpuRunnerOptions{batch, {}});
  const TensorInfo in = runner->input_tensors()[0], out = runner->output_tensors()[0];
  EXPECT_EQ(in.type, DataType::kInt8);
  m.fix_point = in.fix_point.value_or(0);
  const Shape hwc(in.shape.begin() + 1, in.shape.end());
  m.n = n;
  m.per_image = std::size_t(element_count(hwc));
  m.classes = std::size_t(element_count(Shape(out.shape.begin() + 1, out.shape.end())));
  Dataset data = Dataset::open(s.data, manifest.classes);
  m.x.resize(n * m.per_image);
  for (std::size_t k = 0; k < n; ++k)  // the images a limit picks: spread evenly over the set
    data.load(k * data.size() / n, manifest.preprocessing, hwc, m.x.data() + k * m.per_image);

  for (const auto& mode : kModes) {
    auto& q = m.inputs[mode];
    q.resize(m.x.size());
    for (std::size_t i = 0; i < m.x.size(); ++i) q[i] = oracle(m.x[i], m.fix_point, mode);
    auto& y = m.outputs[mode];
    y.resize(n * m.classes);
    auto buffers = runner->allocate_buffers();
    for (std::size_t b = 0; b < n; b += std::size_t(batch)) {
      std::memcpy(buffers->inputs[0].data, q.data() + b * m.per_image,
                  std::size_t(batch) * m.per_image);
      JobStatus st = runner->wait(runner->execute_async(*buffers), -1);
      EXPECT_EQ(st.state, JobState::kDone) << st.error;
      dequantize_tensor(out, buffers->outputs[0].data, std::size_t(batch) * m.classes,
                        y.data() + b * m.classes);
    }

    EvalSettings with = s;  // the setting overrides the manifest's conversion
    with.input_conversion = mode;
    EvalReport r = evaluate(with, manifest);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(to_string(r.preprocessing.input_conversion), mode);
    EXPECT_EQ(r.outputs.size(), y.size());
    EXPECT_TRUE(r.outputs.size() == y.size() &&
                std::memcmp(r.outputs.data(), y.data(), y.size() * sizeof(float)) == 0)
        << manifest_name << ", " << mode << ": evaluate's outputs are not the oracle's";
  }
  // Different outputs only from different inputs; the counts are printed for the record.
  for (const auto& mode : kModes) {
    for (std::size_t k = 0; k < n; ++k)
      if (m.same_input(mode, "round", k))
        EXPECT_TRUE(m.same_output(mode, "round", k)) << mode << ", image " << k;
    std::cout << manifest_name << " (fix point " << m.fix_point << ") " << mode
              << ": input differs from round's on " << m.images_with_other_input(mode, "round")
              << " of " << n << " images, output on " << m.images_with_other_output(mode, "round")
              << "\n";
  }
  return m;
}

// vai_q_tensorflow's MNIST CNN takes raw pixels at fix point -1: v = pixel / 2, so every odd
// pixel is a tie and pixel 255 (v = 127.5) rounds past int8 — every mode has its own bytes.
TEST(InputConversionOnARealModel, TiesAndOverflowOnMnistAtFixPointMinusOne) {
  DPURUN_REQUIRE_SHARED(test::shared("models/mnist-tf1-zcu104/quantize_eval_model.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/mnist-test-png"));
  const std::size_t n = 200;
  ModeRuns m = run_modes("mnist-tf1-zcu104", "quantized", "data/mnist-test-png", n, 20);
  ASSERT_EQ(m.fix_point, -1);
  auto images_with = [&](auto pixel_test) {
    std::size_t c = 0;
    for (std::size_t k = 0; k < n; ++k)
      c += std::any_of(m.x.begin() + long(k * m.per_image),
                       m.x.begin() + long((k + 1) * m.per_image),
                       [&](float v) { return pixel_test(int(v)); });
    return c;
  };
  const std::size_t with_odd = images_with([](int p) { return p % 2 == 1; });  // a tie
  const std::size_t with_tie_up =
      images_with([](int p) { return p % 4 == 1; });  // k.5, k even: ties differ
  const std::size_t with_255 = images_with([](int p) { return p == 255; });  // v = 127.5
  ASSERT_GT(with_255, n / 2);
  // Truncation moves every tie down; ties to even move those whose integer part is even.
  EXPECT_EQ(m.images_with_other_input("truncate", "round"), with_odd);
  EXPECT_EQ(m.images_with_other_input("half-even", "round"), with_tie_up);
  for (const char* mode : {"truncate", "half-even"})
    EXPECT_GT(m.images_with_other_output(mode, "round"), n / 2) << mode;
  // Inputs are not negative: ties away from zero are ties up, as DPU_ROUND.
  EXPECT_EQ(m.inputs["half-away"], m.inputs["round"]);
  // Wrapping parts from saturating exactly on the images with a 255 (127.5 rounds to 128 → -128);
  // truncating never reaches 128.
  EXPECT_EQ(m.images_with_other_input("round-wrap", "round"), with_255);
  EXPECT_EQ(m.images_with_other_input("half-even-wrap", "half-even"), with_255);
  EXPECT_EQ(m.images_with_other_input("half-away-wrap", "half-away"), with_255);
  EXPECT_EQ(m.inputs["truncate-wrap"], m.inputs["truncate"]);
  EXPECT_GT(m.images_with_other_output("round-wrap", "round"), with_255 / 2);
}

// The KV260 MNIST CNN, whose app truncates (astype(np.int8)): x = pixel / 255 at fix point 6,
// never a tie nor past int8, so only truncation changes bytes — on every image.
TEST(InputConversionOnARealModel, TruncationOnTheKv260MnistCnn) {
  DPURUN_REQUIRE_SHARED(test::shared("models/mnist-cnn-kv260/CNN_int.xmodel"));
  DPURUN_REQUIRE_SHARED(test::shared("data/mnist-test-png"));
  const std::size_t n = 200;
  ModeRuns m = run_modes("mnist-cnn-kv260", "quantized", "data/mnist-test-png", n, 1);
  ASSERT_EQ(m.fix_point, 6);
  EXPECT_EQ(m.images_with_other_input("truncate-wrap", "round"), n);
  EXPECT_GT(m.images_with_other_output("truncate-wrap", "round"), n / 2);
  EXPECT_EQ(m.inputs["truncate-wrap"], m.inputs["truncate"]);
  for (const char* mode :
       {"round-wrap", "half-even", "half-even-wrap", "half-away", "half-away-wrap"})
    EXPECT_EQ(m.inputs[mode], m.inputs["round"]) << mode;
}

// vai_q_tensorflow's ResNet: per-image standardised floats at fix point 4 (|v| < 128, ties
// only by chance): truncation changes every image; the other modes change nothing here.
TEST(InputConversionOnARealModel, TruncationOnTheCifarResNet) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/quantize_eval_model.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  const std::size_t n = 96;
  ModeRuns m = run_modes("tf-resnet56-cifar10", "quantized", "data/cifar10-test-jpg", n, 24);
  EXPECT_EQ(m.images_with_other_input("truncate", "round"), n);
  EXPECT_GT(m.images_with_other_output("truncate", "round"), n / 2);
  for (const char* mode : {"round-wrap", "half-even", "half-away"})
    EXPECT_EQ(m.images_with_other_input(mode, "round"), 0u) << mode;
}

}  // namespace
}  // namespace dpurun

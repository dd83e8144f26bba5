// Every op the TensorFlow loader supports, on small generated graphs with awkward sizes: the
// fast kernels against the reference kernels, and both against OpenCV's dnn module (an
// independent implementation of TensorFlow's semantics) or a direct computation in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <opencv2/dnn.hpp>

#include "dpurun/cpu_executor.h"
#include "dpurun/error.h"
#include "support/test_env.h"
#include "support/tf_graph_builder.h"

namespace dpurun {
namespace {

using test::TfGraphBuilder;

// float32 results of the same op differ by accumulation order: about 1e-7 × sqrt(terms) ×
// magnitude. With at most a few hundred terms of magnitude ≤ 10, 1e-4 is 100× that spread
// and still far below any real error (a wrong tap or padding moves outputs by ~0.1).
constexpr float kAbsTol = 1e-4f;
constexpr float kRelTol = 1e-4f;

void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(got[i] - want[i]) <= kAbsTol + kRelTol * std::abs(want[i])) && bad++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
  EXPECT_EQ(bad, 0u) << what;
}

struct Case {
  std::string name;
  std::function<void(TfGraphBuilder&)> build;  // input "x", output "y"
  Shape input;                                 // NHWC, batch included
  bool opencv = true;                          // OpenCV's importer handles this graph
  // Direct computation in the test, where OpenCV does not apply: (input, batch) → output.
  std::function<std::vector<float>(const std::vector<float>&)> expected = nullptr;
};

// Names the case in test listings (instead of its bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<float> run_dpurun(const std::string& path, const std::vector<float>& input, int batch,
                              KernelChoice kernels) {
  Model m = Model::load(path, ModelOptions{{"x"}, {"y"}, {}});
  CpuExecutor exec(m, CpuOptions{0, kernels});  // every core (OMP_NUM_THREADS where set)
  std::vector<float> out(static_cast<std::size_t>(exec.output_elements() * batch));
  exec.run(input.data(), out.data(), batch);
  return out;
}

std::vector<float> run_opencv(const std::string& bytes, const std::vector<float>& input,
                              const Shape& shape) {
  cv::dnn::Net net = cv::dnn::readNetFromTensorflow(bytes.data(), bytes.size());
  int n = static_cast<int>(shape[0]), h = static_cast<int>(shape[1]),
      w = static_cast<int>(shape[2]), c = static_cast<int>(shape[3]);
  int dims[] = {n, c, h, w};
  cv::Mat blob(4, dims, CV_32F);
  for (int b = 0; b < n; ++b)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k)
          blob.ptr<float>()[((b * c + k) * h + y) * w + x] = input[((b * h + y) * w + x) * c + k];
  net.setInput(blob);
  cv::Mat out = net.forward();  // the last layer: OpenCV renames layers it fuses
  std::vector<float> flat(out.ptr<float>(), out.ptr<float>() + out.total());
  if (out.dims != 4) return flat;
  // NCHW → NHWC
  int on = out.size[0], oc = out.size[1], oh = out.size[2], ow = out.size[3];
  std::vector<float> nhwc(flat.size());
  for (int b = 0; b < on; ++b)
    for (int k = 0; k < oc; ++k)
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
          nhwc[((b * oh + y) * ow + x) * oc + k] = flat[((b * oc + k) * oh + y) * ow + x];
  return nhwc;
}

std::int64_t count(const Shape& s) { return element_count(s); }

// Helpers for building the cases.
std::string weights(TfGraphBuilder& g, const std::string& name, Shape shape, unsigned seed) {
  return g.constant(name, shape, test::random_floats(static_cast<std::size_t>(count(shape)), seed));
}
void bias_add(TfGraphBuilder& g, const std::string& name, const std::string& x, std::int64_t c,
              unsigned seed) {
  auto& n = g.op(name, "BiasAdd", {x, weights(g, name + "/b", {c}, seed)});
  TfGraphBuilder::set_string(n, "data_format", "NHWC");
}
void batch_norm(TfGraphBuilder& g, const std::string& name, const std::string& x, std::int64_t c,
                const std::string& op = "FusedBatchNormV3") {
  auto pos = test::random_floats(static_cast<std::size_t>(c), 91, 0.5f, 2.f);
  auto& n = g.op(name, op,
                 {x, g.constant(name + "/gamma", {c}, test::random_floats(c, 92, 0.5f, 1.5f)),
                  g.constant(name + "/beta", {c}, test::random_floats(c, 93)),
                  g.constant(name + "/mean", {c}, test::random_floats(c, 94)),
                  g.constant(name + "/var", {c}, pos)});
  TfGraphBuilder::set_float(n, "epsilon", 1e-3f);
  TfGraphBuilder::set_bool(n, "is_training", false);
  TfGraphBuilder::set_string(n, "data_format", "NHWC");
}

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"conv3x3_same_bias_relu",
               [](TfGraphBuilder& g) {
                 g.conv2d("conv", "x", weights(g, "w", {3, 3, 5, 7}, 1), 1, "SAME");
                 bias_add(g, "bias", "conv", 7, 2);
                 g.op("y", "Relu", {"bias"});
               },
               {3, 13, 11, 5}});
  c.push_back({"conv5x5_valid_stride2",
               [](TfGraphBuilder& g) {
                 g.conv2d("y", "x", weights(g, "w", {5, 5, 3, 4}, 3), 2, "VALID");
               },
               {2, 13, 13, 3}});
  c.push_back({"conv2x2_same_stride2_even_input",
               [](TfGraphBuilder& g) {
                 g.conv2d("y", "x", weights(g, "w", {2, 2, 4, 6}, 4), 2, "SAME");
               },
               {2, 10, 12, 4}});
  c.push_back({"conv3x3_same_stride2_odd_input",
               [](TfGraphBuilder& g) {
                 g.conv2d("conv", "x", weights(g, "w", {3, 3, 3, 8}, 5), 2, "SAME");
                 bias_add(g, "y", "conv", 8, 6);
               },
               {1, 17, 15, 3}});
  // OpenCV imports dilation only from atrous_conv2d's SpaceToBatchND form, so this one is
  // checked against a direct computation: effective kernel 5, SAME pads 2 on each side.
  c.push_back({"conv3x3_dilation2_same",
               [](TfGraphBuilder& g) {
                 g.conv2d("y", "x", weights(g, "w", {3, 3, 4, 5}, 7), 1, "SAME", 2);
               },
               {2, 13, 13, 4},
               false,
               [](const std::vector<float>& x) {
                 auto w = test::random_floats(3 * 3 * 4 * 5, 7);
                 std::vector<float> y(2 * 13 * 13 * 5);
                 for (int n = 0; n < 2; ++n)
                   for (int oy = 0; oy < 13; ++oy)
                     for (int ox = 0; ox < 13; ++ox)
                       for (int o = 0; o < 5; ++o) {
                         double acc = 0;
                         for (int ky = 0; ky < 3; ++ky)
                           for (int kx = 0; kx < 3; ++kx) {
                             int iy = oy - 2 + 2 * ky, ix = ox - 2 + 2 * kx;
                             if (iy < 0 || iy >= 13 || ix < 0 || ix >= 13) continue;
                             for (int c = 0; c < 4; ++c)
                               acc += double(x[((n * 13 + iy) * 13 + ix) * 4 + c]) *
                                      w[((ky * 3 + kx) * 4 + c) * 5 + o];
                           }
                         y[((n * 13 + oy) * 13 + ox) * 5 + o] = static_cast<float>(acc);
                       }
                 return y;
               }});
  c.push_back({"conv1x1_bn_folded_relu6",
               [](TfGraphBuilder& g) {
                 g.conv2d("conv", "x", weights(g, "w", {1, 1, 6, 9}, 8), 1, "VALID");
                 batch_norm(g, "bn", "conv", 9, "FusedBatchNorm");
                 g.op("y", "Relu6", {"bn"});
               },
               {3, 7, 9, 6}});
  c.push_back({"depthwise3x3_mult2_same_stride2_relu6",
               [](TfGraphBuilder& g) {
                 g.conv2d("dw", "x", weights(g, "w", {3, 3, 5, 2}, 9), 2, "SAME", 1, true);
                 bias_add(g, "bias", "dw", 10, 10);
                 g.op("y", "Relu6", {"bias"});
               },
               {2, 13, 11, 5}});
  c.push_back({"depthwise5x5_valid",
               [](TfGraphBuilder& g) {
                 g.conv2d("y", "x", weights(g, "w", {5, 5, 3, 1}, 11), 1, "VALID", 1, true);
               },
               {2, 9, 9, 3}});
  c.push_back({"maxpool3_stride2_same",
               [](TfGraphBuilder& g) { g.pool("y", "MaxPool", "x", 3, 2, "SAME"); },
               {2, 13, 13, 5}});
  c.push_back({"maxpool2_valid",
               [](TfGraphBuilder& g) { g.pool("y", "MaxPool", "x", 2, 2, "VALID"); },
               {2, 9, 11, 3}});
  c.push_back({"avgpool3_stride2_same_excludes_padding",
               [](TfGraphBuilder& g) { g.pool("y", "AvgPool", "x", 3, 2, "SAME"); },
               {2, 13, 12, 4}});
  c.push_back({"batchnorm_after_relu_not_folded",
               [](TfGraphBuilder& g) {
                 g.conv2d("conv", "x", weights(g, "w", {3, 3, 3, 6}, 12), 1, "SAME");
                 g.op("relu", "Relu", {"conv"});
                 batch_norm(g, "y", "relu", 6);
               },
               {2, 7, 7, 3}});
  c.push_back({"residual_add_relu",
               [](TfGraphBuilder& g) {
                 g.conv2d("a", "x", weights(g, "wa", {3, 3, 4, 4}, 13), 1, "SAME");
                 g.op("ra", "Relu", {"a"});
                 g.conv2d("b", "ra", weights(g, "wb", {3, 3, 4, 4}, 14), 1, "SAME");
                 bias_add(g, "bb", "b", 4, 15);
                 g.op("add", "AddV2", {"bb", "x"});
                 g.op("y", "Relu", {"add"});
               },
               {2, 9, 7, 4}});
  c.push_back({"concat_channels",
               [](TfGraphBuilder& g) {
                 g.conv2d("a", "x", weights(g, "wa", {1, 1, 3, 2}, 16), 1, "SAME");
                 g.conv2d("b", "x", weights(g, "wb", {3, 3, 3, 5}, 17), 1, "SAME");
                 auto& n = g.op("y", "ConcatV2", {"a", "b", "x", g.int_constant("axis", {}, {-1})});
                 TfGraphBuilder::set_int(n, "N", 3);
               },
               {2, 7, 5, 3}});
  c.push_back({"pad_then_conv_valid",
               [](TfGraphBuilder& g) {
                 auto& p = g.op("pad", "Pad",
                                {"x", g.int_constant("p", {4, 2}, {0, 0, 3, 3, 2, 1, 0, 0})});
                 TfGraphBuilder::set_string(p, "Tpaddings", "");
                 g.conv2d("y", "pad", weights(g, "w", {7, 7, 3, 4}, 18), 2, "VALID");
               },
               {2, 15, 13, 3}});
  c.push_back({"pad_alone",
               [](TfGraphBuilder& g) {
                 g.op("y", "Pad", {"x", g.int_constant("p", {4, 2}, {0, 0, 1, 2, 0, 3, 1, 0})});
               },
               {2, 5, 4, 3}});
  c.push_back({"mean_hw_then_flatten_dense_softmax",
               [](TfGraphBuilder& g) {
                 g.conv2d("conv", "x", weights(g, "w", {3, 3, 3, 8}, 19), 1, "SAME");
                 auto& m = g.op("mean", "Mean", {"conv", g.int_constant("axes", {2}, {1, 2})});
                 TfGraphBuilder::set_bool(m, "keep_dims", false);
                 auto& mm = g.op("mm", "MatMul", {"mean", weights(g, "fc", {8, 10}, 20)});
                 TfGraphBuilder::set_bool(mm, "transpose_b", false);
                 bias_add(g, "logits", "mm", 10, 21);
                 g.op("y", "Softmax", {"logits"});
               },
               {3, 9, 9, 3}});
  c.push_back({"keras_flatten_shape_stridedslice_pack",
               [](TfGraphBuilder& g) {
                 g.pool("pool", "MaxPool", "x", 2, 2, "VALID");
                 g.op("shape", "Shape", {"pool"});
                 auto& ss = g.op("slice", "StridedSlice",
                                 {"shape", g.int_constant("b", {1}, {0}),
                                  g.int_constant("e", {1}, {1}), g.int_constant("s", {1}, {1})});
                 TfGraphBuilder::set_int(ss, "shrink_axis_mask", 1);
                 auto& pk = g.op("pack", "Pack", {"slice", g.int_constant("rest", {}, {-1})});
                 TfGraphBuilder::set_int(pk, "N", 2);
                 g.op("flat", "Reshape", {"pool", "pack"});
                 auto& mm = g.op("mm", "MatMul", {"flat", weights(g, "fc", {60, 7}, 22)});
                 TfGraphBuilder::set_bool(mm, "transpose_b", false);
                 bias_add(g, "y", "mm", 7, 23);
               },
               {2, 8, 10, 3}});
  c.push_back({"matmul_transpose_b",
               [](TfGraphBuilder& g) {
                 g.op("flat", "Reshape", {"x", g.int_constant("s", {2}, {-1, 12})});
                 auto& mm = g.op("y", "MatMul", {"flat", weights(g, "fc", {5, 12}, 24)});
                 TfGraphBuilder::set_bool(mm, "transpose_b", true);
               },
               {3, 2, 2, 3},
               false,
               [](const std::vector<float>& x) {
                 auto w = test::random_floats(60, 24);
                 std::vector<float> y(15);
                 for (int n = 0; n < 3; ++n)
                   for (int m = 0; m < 5; ++m) {
                     double acc = 0;
                     for (int k = 0; k < 12; ++k) acc += double(x[n * 12 + k]) * w[m * 12 + k];
                     y[n * 5 + m] = static_cast<float>(acc);
                   }
                 return y;
               }});
  c.push_back({"leakyrelu_elu_sigmoid_tanh",
               [](TfGraphBuilder& g) {
                 auto& l = g.op("leaky", "LeakyRelu", {"x"});
                 TfGraphBuilder::set_float(l, "alpha", 0.1f);
                 g.op("elu", "Elu", {"leaky"});
                 g.op("sig", "Sigmoid", {"elu"});
                 g.op("y", "Tanh", {"sig"});
               },
               {2, 5, 3, 4},
               false,
               [](const std::vector<float>& x) {
                 std::vector<float> y(x.size());
                 for (std::size_t i = 0; i < x.size(); ++i) {
                   float v = x[i] >= 0 ? x[i] : 0.1f * x[i];
                   v = v >= 0 ? v : std::expm1(v);
                   v = 1.f / (1.f + std::exp(-v));
                   y[i] = std::tanh(v);
                 }
                 return y;
               }});
  c.push_back({"binary_ops_broadcast_and_runtime",
               [](TfGraphBuilder& g) {
                 g.op("sub", "Sub", {"x", g.constant("m", {3}, {0.5f, -0.25f, 1.f})});
                 g.op("mul", "Mul", {"sub", g.constant("s", {1, 1, 1, 3}, {2.f, 0.5f, -1.f})});
                 g.op("div", "RealDiv", {"mul", g.constant("d", {}, {4.f})});
                 g.op("y", "Add", {"div", "x"});
               },
               {2, 3, 5, 3},
               false,
               [](const std::vector<float>& x) {
                 const float m[] = {0.5f, -0.25f, 1.f}, s[] = {2.f, 0.5f, -1.f};
                 std::vector<float> y(x.size());
                 for (std::size_t i = 0; i < x.size(); ++i)
                   y[i] = (x[i] - m[i % 3]) * s[i % 3] / 4.f + x[i];
                 return y;
               }});
  c.push_back({"mean_keepdims_squeeze",
               [](TfGraphBuilder& g) {
                 auto& m = g.op("mean", "Mean", {"x", g.int_constant("axes", {2}, {1, 2})});
                 TfGraphBuilder::set_bool(m, "keep_dims", true);
                 auto& s = g.op("y", "Squeeze", {"mean"});
                 TfGraphBuilder::set_ints(s, "squeeze_dims", {1, 2});
               },
               {2, 3, 5, 4},
               false,
               [](const std::vector<float>& x) {
                 std::vector<float> y(8, 0.f);
                 for (int n = 0; n < 2; ++n)
                   for (int p = 0; p < 15; ++p)
                     for (int c = 0; c < 4; ++c) y[n * 4 + c] += x[(n * 15 + p) * 4 + c] / 15.f;
                 return y;
               }});
  c.push_back({"keras_learning_phase_switch_merge",
               [](TfGraphBuilder& g) {
                 auto& lp = g.op("keras_learning_phase", "PlaceholderWithDefault",
                                 {g.int_constant("false", {}, {0})});
                 lp.mutable_attr()->erase("T");
                 g.op("switch", "Switch", {"x", "keras_learning_phase"});
                 // Training branch: would double the input; inference branch: identity.
                 g.op("train", "Mul", {"switch:1", g.constant("two", {}, {2.f})});
                 g.op("infer", "Identity", {"switch:0"});
                 g.op("merge", "Merge", {"train", "infer"});
                 g.op("y", "Relu", {"merge"});
               },
               {2, 3, 3, 2},
               false,
               [](const std::vector<float>& x) {
                 std::vector<float> y(x.size());
                 for (std::size_t i = 0; i < x.size(); ++i) y[i] = std::max(x[i], 0.f);
                 return y;
               }});
  return c;
}

class OpTest : public ::testing::TestWithParam<Case> {};

TEST_P(OpTest, FastMatchesReferenceAndOracle) {
  const Case& c = GetParam();
  TfGraphBuilder g;
  g.placeholder("x", {-1, c.input[1], c.input[2], c.input[3]});
  c.build(g);
  auto dir = test::temp_dir();
  auto path = (dir / (c.name + ".pb")).string();
  test::write_file(path, g.bytes());

  auto input = test::random_floats(static_cast<std::size_t>(count(c.input)), 1234);
  int batch = static_cast<int>(c.input[0]);
  auto fast = run_dpurun(path, input, batch, KernelChoice::kFast);
  auto ref = run_dpurun(path, input, batch, KernelChoice::kReference);
  expect_close(fast, ref, c.name + " fast vs reference");
  if (c.opencv) {
    auto cv_out = run_opencv(g.bytes(), input, c.input);
    expect_close(ref, cv_out, c.name + " reference vs OpenCV dnn");
  } else {
    ASSERT_TRUE(c.expected) << "a case needs OpenCV or a direct computation";
    expect_close(ref, c.expected(input), c.name + " reference vs direct computation");
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, OpTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Executor, BatchSizesGiveTheSameRowsAsBatchOne) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 9, 9, 3});
  g.conv2d("conv", "x", weights(g, "w", {3, 3, 3, 4}, 30), 1, "SAME");
  g.op("y", "Relu", {"conv"});
  auto path = (test::temp_dir() / "m.pb").string();
  test::write_file(path, g.bytes());
  Model m = Model::load(path, ModelOptions{{"x"}, {"y"}, {}});
  CpuExecutor exec(m);
  auto input = test::random_floats(5 * 9 * 9 * 3, 31);
  std::vector<float> all(5 * 9 * 9 * 4);
  exec.run(input.data(), all.data(), 5);
  for (int i = 0; i < 5; ++i) {
    std::vector<float> one(9 * 9 * 4);
    exec.run(input.data() + i * 243, one.data(), 1);
    expect_close(one, std::vector<float>(all.begin() + i * 324, all.begin() + (i + 1) * 324),
                 "image " + std::to_string(i));
  }
}

TEST(Executor, RejectsBadBatchAndThreads) {
  TfGraphBuilder g;
  g.placeholder("x", {-1, 2, 2, 1});
  g.op("y", "Relu", {"x"});
  auto path = (test::temp_dir() / "m.pb").string();
  test::write_file(path, g.bytes());
  Model m = Model::load(path);
  EXPECT_THROW(CpuExecutor(m, CpuOptions{-1, KernelChoice::kFast}), Error);
  CpuExecutor exec(m);
  float in[4] = {}, out[4] = {};
  EXPECT_THROW(exec.run(in, out, 0), Error);
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// OpenCV's importer knows FusedBatchNorm and V3 only; V2 must give exactly what V3 gives.
TEST(Executor, FusedBatchNormVersionsAgree) {
  std::vector<std::vector<float>> outs;
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
    TfGraphBuilder g;
    g.placeholder("x", {-1, 5, 5, 3});
    g.op("relu", "Relu", {"x"});
    batch_norm(g, "y", "relu", 3, op);
    auto path = (test::temp_dir() / "m.pb").string();
    test::write_file(path, g.bytes());
    auto input = test::random_floats(2 * 75, 40);
    outs.push_back(run_dpurun(path, input, 2, KernelChoice::kReference));
  }
  EXPECT_EQ(outs[0], outs[1]);
  EXPECT_EQ(outs[1], outs[2]);
}

}  // namespace
}  // namespace dpurun

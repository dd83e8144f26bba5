// The XIR .xmodel loader: real quantized and compiled models, generated graphs checked
// against the same network written as a TensorFlow graph, and broken or foreign files.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>

#include "dpurun/cpu_executor.h"
#include "dpurun/custom_op.h"
#include "dpurun/error.h"
#include "graph/graph.h"
#include "support/test_env.h"
#include "support/tf_graph_builder.h"
#include "support/xir_graph_builder.h"
#include "support/xir_seed_models.h"

namespace dpurun {
namespace {

using test::XirGraphBuilder;

Error load_error(const std::string& bytes) { return test::load_error(bytes, "model.xmodel"); }

std::map<std::string, int> counts(const Model& m) {
  std::map<std::string, int> c;
  for (auto& [k, v] : m.op_counts()) c[k] = v;
  return c;
}

TEST(XmodelLoader, QuantizedLeNetRunsAsIntegers) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  Model m = Model::load(path);
  EXPECT_TRUE(m.is_integer());
  EXPECT_EQ(m.inputs()[0].shape, (Shape{-1, 32, 32, 3}));
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 10}));
  auto c = counts(m);
  EXPECT_EQ(c["Quantize"], 1);
  EXPECT_EQ(c["Conv2D"], 2);
  EXPECT_EQ(c["Pool"], 2);
  EXPECT_EQ(c["FullyConnected"], 3);
  EXPECT_EQ(c["Dequantize"], 1);
  EXPECT_EQ(m.graph().nodes.size(), 10u) << "every op is integer: no float op in between";
}

// The same small network as XIR (OHWI weights, [w, h] attributes, matmul with transpose_b)
// and as TensorFlow (HWIO, NHWC strides): both loaders must give the same outputs.
TEST(XmodelLoader, MatchesTheSameNetworkWrittenForTensorFlow) {
  const int oc = 4, ic = 3;
  auto w_hwio = test::random_floats(3 * 3 * ic * oc, 1);
  auto bias = test::random_floats(oc, 2);
  auto fc = test::random_floats(4 * 4 * oc * 5, 3);  // [K=64, M=5]
  std::vector<float> w_ohwi(w_hwio.size()), fc_t(fc.size());
  for (int o = 0; o < oc; ++o)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 3; ++x)
        for (int c = 0; c < ic; ++c) w_ohwi[((o * 3 + y) * 3 + x) * ic + c] = w_hwio[((y * 3 + x) * ic + c) * oc + o];
  for (int k = 0; k < 64; ++k)
    for (int m = 0; m < 5; ++m) fc_t[m * 64 + k] = fc[k * 5 + m];

  XirGraphBuilder x;
  x.op("x", "data", {1, 9, 9, ic});
  XirGraphBuilder::set_string(x.graph().mutable_op_node(0)[0], "data_type", "FLOAT32");
  x.constant("w", {oc, 3, 3, ic}, w_ohwi);
  x.constant("b", {oc}, bias);
  auto& conv = x.op("conv", "conv2d", {1, 8, 8, oc}, {{"input", {"x"}}, {"weights", {"w"}}, {"bias", {"b"}}});
  XirGraphBuilder::set_ints(conv, "kernel", {3, 3});
  XirGraphBuilder::set_ints(conv, "stride", {1, 1});
  XirGraphBuilder::set_ints(conv, "pad", {1, 0, 1, 0});  // left, right, top, bottom
  x.op("relu", "relu", {1, 8, 8, oc}, {{"input", {"conv"}}});
  auto& pool = x.op("pool", "maxpool2d", {1, 4, 4, oc}, {{"input", {"relu"}}});
  XirGraphBuilder::set_ints(pool, "kernel", {2, 2});
  XirGraphBuilder::set_ints(pool, "stride", {2, 2});
  x.op("flat", "reshape", {1, 64}, {{"input", {"pool"}}});
  x.constant("fc", {5, 64}, fc_t);
  auto& mm = x.op("y", "matmul", {1, 5}, {{"input", {"flat", "fc"}}});
  XirGraphBuilder::set_bool(mm, "transpose_b", true);
  auto xpath = (test::temp_dir() / "net.xmodel").string();
  test::write_file(xpath, x.bytes());

  test::TfGraphBuilder t;
  t.placeholder("x", {-1, 9, 9, ic});
  auto& pad = t.op("pad", "Pad", {"x", t.int_constant("p", {4, 2}, {0, 0, 1, 0, 1, 0, 0, 0})});
  (void)pad;
  t.conv2d("conv", "pad", t.constant("w", {3, 3, ic, oc}, w_hwio), 1, "VALID");
  t.op("bias", "BiasAdd", {"conv", t.constant("b", {oc}, bias)});
  t.op("relu", "Relu", {"bias"});
  t.pool("pool", "MaxPool", "relu", 2, 2, "VALID");
  t.op("flat", "Reshape", {"pool", t.int_constant("s", {2}, {-1, 64})});
  t.op("y", "MatMul", {"flat", t.constant("fc", {64, 5}, fc)});
  auto tpath = (test::temp_dir() / "net.pb").string();
  test::write_file(tpath, t.bytes());

  auto input = test::random_floats(3 * 81 * ic, 4);
  auto run = [&](const std::string& p) {
    Model m = Model::load(p);
    CpuExecutor e(m, CpuOptions{1, KernelChoice::kReference});
    std::vector<float> out(15);
    e.run(input.data(), out.data(), 3);
    return out;
  };
  auto a = run(xpath), b = run(tpath);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << i;
}

TEST(XmodelLoader, TruncatedAndForeignFiles) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  std::string bytes = test::read_file(path);
  for (double f : {0.3, 0.75, 0.999})
    EXPECT_EQ(load_error(bytes.substr(0, static_cast<std::size_t>(double(bytes.size()) * f))).code(),
              ErrorCode::kInvalidModel);
  Error e = load_error("this is a text file, not a model\n");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("not an XIR .xmodel"), std::string::npos) << e.what();
  // A TensorFlow graph renamed .xmodel parses as protobuf but holds no XIR ops.
  test::TfGraphBuilder t;
  t.placeholder("x", {-1, 2, 2, 1});
  EXPECT_EQ(load_error(t.bytes()).code(), ErrorCode::kInvalidModel);
}

TEST(XmodelLoader, UnknownOpAndMissingFixPoint) {
  XirGraphBuilder x;
  x.op("x", "data", {1, 4, 4, 1});
  x.op("weird", "my-custom-op", {1, 4, 4, 1}, {{"input", {"x"}}});
  Error e = load_error(x.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("'weird' (my-custom-op)"), std::string::npos) << e.what();

  XirGraphBuilder y;
  y.op("x", "data", {1, 4, 4, 1});
  y.op("x_fix", "fix", {1, 4, 4, 1}, {{"input", {"x"}}});  // no fix_point attribute
  e = load_error(y.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("fix_point"), std::string::npos) << e.what();
}

// A compiled op the emulation has no converter for, and a custom op: each named, with what to do.
TEST(XmodelLoader, UnemulatedCompiledOpAndCustomOpSayWhy) {
  auto custom = test::shared("models/mnist-custom-op-tf2/zcu102_zcu104_kv260__tf2_custom_op.xmodel");
  DPURUN_REQUIRE_SHARED(custom);
  XirGraphBuilder x;
  x.op("x", "data", {1, 4, 4, 1});
  x.op("up", "transposed-conv2d-fix", {1, 8, 8, 1}, {{"input", {"x"}}});
  Error e = load_error(x.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("'up' (transposed-conv2d-fix)"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("--weights-from"), std::string::npos) << e.what();
  try {
    Model::load(custom);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("Mylayer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("custom_layer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

TEST(XmodelLoader, CompiledModelRunsWithTheWeightsOfItsQuantizedModel) {
  auto compiled = test::shared("models/lenet-cifar10-vck190/LeNet.xmodel");
  auto quantized = test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel");
  DPURUN_REQUIRE_SHARED(compiled);
  ModelOptions o;
  o.weights_from = quantized;
  Model paired = Model::load(compiled, o);
  Model direct = Model::load(quantized);
  auto input = test::random_floats(2 * 3072, 9, -1.f, 1.f);
  std::vector<float> a(20), b(20);
  CpuExecutor(paired).run(input.data(), a.data(), 2);
  CpuExecutor(direct).run(input.data(), b.data(), 2);
  EXPECT_EQ(a, b);
}

TEST(XmodelLoader, PairingWithAnotherModelOrAChangedFixPointIsRefused) {
  auto compiled = test::shared("models/lenet-cifar10-vck190/LeNet.xmodel");
  auto quantized = test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel");
  auto other = test::shared("models/mnist-tf1-zcu104/digitRecognitiion.xmodel");
  DPURUN_REQUIRE_SHARED(compiled);
  ModelOptions o;
  o.weights_from = other;
  try {
    Model::load(compiled, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("was not compiled from"), std::string::npos) << e.what();
  }
  // The right model with one activation's fix point changed (conv2's output: 5 → 4).
  loaders::xir::Graph g;
  ASSERT_TRUE(g.ParseFromString(test::read_file(quantized)));
  bool changed = false;
  for (auto& n : *g.mutable_op_node())
    if (n.op_name() == "LeNet__LeNet_ret_9_fix") {
      (*n.mutable_op_attr())["fix_point"].set_int32_value(4);
      changed = true;
    }
  ASSERT_TRUE(changed);
  auto path = (test::temp_dir() / "LeNet_int_changed.xmodel").string();
  test::write_file(path, g.SerializeAsString());
  o.weights_from = path;
  try {
    Model::load(compiled, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'LeNet__LeNet_Conv2d_conv2__ret_7': fix point 5 compiled, 4 quantized"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// PReLU (per-channel slope) between fix ops: float, then requantized by the fix after it, as
// the quantizer simulates it; checked against the formula.
TEST(XmodelLoader, PReluBetweenFixOps) {
  XirGraphBuilder x;
  auto& data = x.op("x", "data", {1, 3, 4, 2});
  XirGraphBuilder::set_string(data, "data_type", "FLOAT32");
  x.fix("x_fix", "x", {1, 3, 4, 2}, 4);
  x.constant("alpha", {2}, {0.25f, 0.5f});
  x.fix("alpha_fix", "alpha", {2}, 6);
  x.op("p", "prelu", {1, 3, 4, 2}, {{"input", {"x_fix"}}, {"alpha", {"alpha_fix"}}});
  x.fix("y", "p", {1, 3, 4, 2}, 5);
  auto path = (test::temp_dir() / "prelu.xmodel").string();
  test::write_file(path, x.bytes());
  Model m = Model::load(path);
  auto in = test::random_floats(2 * 24, 5, -4.f, 4.f);
  std::vector<float> out(in.size());
  CpuExecutor(m).run(in.data(), out.data(), 2);
  for (std::size_t i = 0; i < in.size(); ++i) {
    double q = std::clamp(std::floor(double(in[i]) * 16 + 0.5), -128.0, 127.0) / 16;
    double a = i % 2 ? 0.5 : 0.25;
    double v = q >= 0 ? q : a * q;
    double want = std::clamp(std::floor(v * 32 + 0.5), -128.0, 127.0) / 32;
    EXPECT_EQ(out[i], want) << i;
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// A compiled model's CPU subgraph between two DPU subgraphs: fix2float → relu → float2fix.
// Loaded alone, it takes the first DPU subgraph's output as a float input.
std::string dpu_cpu_dpu_model() {
  XirGraphBuilder b;
  b.op("in", "data-fix", {1, 2, 2, 4});
  b.op("d1", "conv2d-fix", {1, 2, 2, 4}, {{"input", {"in"}}});
  b.op("f", "fix2float", {1, 2, 2, 4}, {{"input", {"d1"}}});
  b.op("r", "relu", {1, 2, 2, 4}, {{"input", {"f"}}});
  auto& q = b.op("q", "float2fix", {1, 2, 2, 4}, {{"input", {"r"}}});
  XirGraphBuilder::set_int(q, "fix_point", 4);
  XirGraphBuilder::set_int(q, "bit_width", 8);
  XirGraphBuilder::set_bool(q, "if_signed", true);
  XirGraphBuilder::set_string(q, "round_mode", "DPU_ROUND");
  b.op("d2", "conv2d-fix", {1, 2, 2, 4}, {{"input", {"q"}}});
  auto* root = b.graph().mutable_subg_root();
  root->set_subgraph_name("root");
  auto add = [&](const std::string& name, std::vector<std::string> ops) {
    auto* c = root->add_subg_child();
    c->set_subgraph_name(name);
    for (auto& o : ops) c->add_op_name(o);
  };
  add("user", {"in"});
  add("dpu1", {"d1"});
  add("cpu", {"f", "r", "q"});
  add("dpu2", {"d2"});
  return b.bytes();
}

TEST(XmodelLoader, ACpuSubgraphLoadsAloneBetweenTwoDpuSubgraphs) {
  auto path = test::temp_dir() / "chain.xmodel";
  test::write_file(path, dpu_cpu_dpu_model());
  ModelOptions o;
  o.subgraph = "cpu";
  o.inputs = {"d1"};
  Model m = Model::load(path.string(), o);
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].name, "d1");
  ASSERT_EQ(m.outputs().size(), 1u);
  CpuExecutor exec(m, CpuOptions{1});
  std::vector<float> x = {-1.f, 0.03f, 0.0625f, 0.09375f, 1.5f, 7.99f, 9.f, -0.5f,
                          0.f,  0.5f,  2.03125f, 3.f,     4.f,  5.f,   6.f, 7.f};
  std::vector<float> y(16);
  exec.run(x.data(), y.data(), 1);
  for (std::size_t i = 0; i < x.size(); ++i) {
    // relu, then float2fix at fix point 4: round half up at 1/16, saturate to 127/16.
    double want = std::min(std::floor(std::max(0.0, double(x[i])) * 16 + 0.5), 127.0) / 16;
    EXPECT_EQ(y[i], float(want)) << "x = " << x[i];
  }
  // The DPU subgraphs themselves are not the CPU reference's to run.
  o.subgraph = "dpu1";
  EXPECT_THROW(Model::load(path.string(), o), Error);
  o.subgraph = "nope";
  try {
    Model::load(path.string(), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("no subgraph named 'nope'"), std::string::npos) << e.what();
  }
}

// Model::load_each (the DPU backend's CPU subgraphs from one read of the file) gives each model
// exactly as Model::load does, and its errors.
TEST(XmodelLoader, LoadEachGivesWhatLoadGives) {
  auto path = test::temp_dir() / "chain_each.xmodel";
  test::write_file(path, dpu_cpu_dpu_model());
  ModelOptions a;
  a.subgraph = "cpu";
  a.inputs = {"d1"};
  ModelOptions b = a;
  b.outputs = {"f"};
  std::vector<Model> each = Model::load_each(path.string(), {a, b});
  ASSERT_EQ(each.size(), 2u);
  std::vector<float> x = {-1.f, 0.03f, 0.0625f, 0.09375f, 1.5f, 7.99f, 9.f, -0.5f,
                          0.f,  0.5f,  2.03125f, 3.f,     4.f,  5.f,   6.f, 7.f};
  for (auto [k, o] : {std::pair{0, a}, std::pair{1, b}}) {
    Model one = Model::load(path.string(), o);
    EXPECT_EQ(each[k].op_counts(), one.op_counts()) << k;
    ASSERT_EQ(each[k].outputs().size(), one.outputs().size()) << k;
    EXPECT_EQ(each[k].outputs()[0].name, one.outputs()[0].name) << k;
    std::vector<float> y1(16), y2(16);
    CpuExecutor(each[k], CpuOptions{1}).run(x.data(), y1.data(), 1);
    CpuExecutor(one, CpuOptions{1}).run(x.data(), y2.data(), 1);
    EXPECT_EQ(y1, y2) << k;
  }
  ModelOptions bad = a;
  bad.subgraph = "nope";
  try {
    Model::load_each(path.string(), {a, bad});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("no subgraph named 'nope'"), std::string::npos) << e.what();
  }
}

TEST(XmodelLoader, TheCustomOpSubgraphNamesItsOp) {
  auto custom = test::shared("models/mnist-custom-op-tf2/zcu102_zcu104_kv260__tf2_custom_op.xmodel");
  DPURUN_REQUIRE_SHARED(custom);
  ModelOptions o;
  o.subgraph = "subgraph_custom_layer";
  try {
    Model::load(custom, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'custom_layer' (Mylayer)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// Vitis AI's custom-operator example implements Mylayer as a PReLU with a per-element slope
// (alpha: H×W×C, shared over the batch).
void prelu_mylayer(const CustomOpCall& c) {
  const std::int64_t per_image = element_count(c.input_shapes[1]);
  const std::int64_t total = element_count(c.output_shape);
  for (std::int64_t i = 0; i < total; ++i) {
    float x = c.inputs[0][i];
    c.output[i] = x >= 0 ? x : c.inputs[1][i % per_image] * x;
  }
}

TEST(XmodelLoader, ARegisteredCustomOpRunsInItsCpuSubgraph) {
  auto custom = test::shared("models/mnist-custom-op-tf2/zcu102_zcu104_kv260__tf2_custom_op.xmodel");
  DPURUN_REQUIRE_SHARED(custom);
  std::atomic<int> calls{0};
  register_custom_op("Mylayer", [&](const CustomOpCall& c) {
    ++calls;
    prelu_mylayer(c);
  });
  ModelOptions o;
  o.subgraph = "subgraph_custom_layer";
  Model m = Model::load(custom, o);
  register_custom_op("Mylayer", nullptr);  // later tests see it unregistered again
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].shape, (Shape{-1, 2, 2, 64}));
  // float2fix at the end: the output is requantized at its fix point.
  std::optional<int> fp;
  const graph::Value* alpha = nullptr;
  for (const auto& n : m.graph().nodes) {
    if (n.op == graph::OpType::kQuantize) fp = m.graph().value(n.outputs[0]).fix->fix_point;
    if (n.op == graph::OpType::kCustom) alpha = &m.graph().value(n.inputs[1]);
  }
  ASSERT_TRUE(fp && alpha);
  auto a = alpha->as<float>();
  ASSERT_EQ(a.size(), 256u);

  std::vector<float> x = test::random_floats(2 * 256, 11, -4.f, 4.f), y(x.size());
  CpuExecutor exec(m, CpuOptions{1});
  exec.run(x.data(), y.data(), 2);
  EXPECT_EQ(calls.load(), 1);
  const double step = std::ldexp(1.0, -*fp);
  for (std::size_t i = 0; i < x.size(); ++i) {
    double v = x[i] >= 0 ? x[i] : a[i % 256] * x[i];
    double want = std::clamp(std::floor(v / step + 0.5), -128.0, 127.0) * step;
    ASSERT_EQ(y[i], float(want)) << "element " << i;
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// A file may declare any shape: a huge one is refused at load, before any plan allocates it.
TEST(XmodelLoader, AHugeDeclaredShapeIsRefusedBeforeAllocating) {
  XirGraphBuilder b;
  b.op("in", "data", {1, 30000, 30000, 3});
  b.op("r", "relu", {1, 30000, 30000, 3}, {{"input", {"in"}}});
  Error e = load_error(b.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("under 2 GiB per image"), std::string::npos) << e.what();
}

// Dimensions each within bounds whose product overflows int64 (found by fuzz_xmodel): refused
// with the op's name, before anything is counted or allocated.
TEST(XmodelLoader, ADeclaredShapeWhoseSizeOverflowsIsRefused) {
  const std::int64_t d = std::int64_t{1} << 24;
  XirGraphBuilder b;
  b.op("in", "data", {1, 4, 4, 3});
  b.constant("w", {d, d, d, d}, {});
  Error e = load_error(b.bytes());
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("'w'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("too large to count"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// x (data) → fix at 4 → [op under test] → fix at `out_fp`: the graph every new-op test starts from.
struct FixGraph {
  XirGraphBuilder b;
  std::vector<std::int64_t> dims;
  explicit FixGraph(std::vector<std::int64_t> d) : dims(std::move(d)) {
    auto& data = b.op("x", "data", dims);
    XirGraphBuilder::set_string(data, "data_type", "FLOAT32");
    b.fix("x_fix", "x", dims, 4);
  }
  Model load(const std::string& name) {
    auto path = (test::temp_dir() / (name + ".xmodel")).string();
    test::write_file(path, b.bytes());
    return Model::load(path);
  }
};

double q4(float x) { return std::clamp(std::floor(double(x) * 16 + 0.5), -128.0, 127.0); }  // int8 at fix 4
double fix_to(double v, int fp) { return std::clamp(std::floor(v * std::ldexp(1.0, fp) + 0.5), -128.0, 127.0) / std::ldexp(1.0, fp); }

// vai_q_pytorch's avgpool2d · (9 · 7 / 64): the DPU's 3×3 average (sum · 7 >> 6), as one integer
// pool; another constant stays a product.
TEST(XmodelLoader, AnAveragePoolTimesTheDpuFactorIsTheDpusPool) {
  for (float c : {9.f * 7.f / 64.f, 0.5f}) {
    FixGraph g({1, 3, 3, 2});
    auto& pool = g.b.op("p", "avgpool2d", {1, 1, 1, 2}, {{"input", {"x_fix"}}});
    XirGraphBuilder::set_ints(pool, "kernel", {3, 3});
    XirGraphBuilder::set_ints(pool, "stride", {1, 1});
    XirGraphBuilder::set_ints(pool, "pad", {0, 0, 0, 0});
    g.b.constant("c", {}, {c});
    g.b.op("m", "mul", {1, 1, 1, 2}, {{"input", {"p", "c"}}});
    g.b.fix("y", "m", {1, 1, 1, 2}, 4);
    Model m = g.load("avgpool_mul");
    bool folded = true;
    for (auto& [op, count] : m.op_counts())
      if (op == "Binary") folded = false;
    EXPECT_EQ(folded, c != 0.5f) << c;
    auto in = test::random_floats(18, 11, -4.f, 4.f);
    std::vector<float> out(2);
    CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
    for (int ch = 0; ch < 2; ++ch) {
      double sum = 0;
      for (int k = 0; k < 9; ++k) sum += q4(in[static_cast<std::size_t>(k * 2 + ch)]);
      // folded: the DPU's sum · 7 / 64 at the output's grid (16ths of the input's units);
      // else the true average times 0.5, rounded once by the fix after the product.
      double want = c != 0.5f ? std::floor(sum * 7 / 64 + 0.5) / 16 : fix_to(sum / 16 / 9 * 0.5, 4);
      EXPECT_EQ(out[static_cast<std::size_t>(ch)], want) << "c " << c << " channel " << ch;
    }
  }
}

// The same pool read by a concat (CGNet's input injection): no fix right after it, yet it still
// averages as the DPU does (sum · 7 / 64), and the concat's fix rounds that, not the true mean.
TEST(XmodelLoader, AnAveragePoolTimesTheDpuFactorBeforeAConcatIsStillTheDpusPool) {
  FixGraph g({1, 3, 3, 1});
  auto& pool = g.b.op("p", "avgpool2d", {1, 1, 1, 1}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(pool, "kernel", {3, 3});
  XirGraphBuilder::set_ints(pool, "stride", {1, 1});
  XirGraphBuilder::set_ints(pool, "pad", {0, 0, 0, 0});
  g.b.constant("c", {}, {9.f * 7.f / 64.f});
  g.b.op("m", "mul", {1, 1, 1, 1}, {{"input", {"p", "c"}}});
  auto& cat = g.b.op("cat", "concat", {1, 1, 1, 2}, {{"input", {"m", "m"}}});
  XirGraphBuilder::set_int(cat, "axis", 3);
  g.b.fix("y", "cat", {1, 1, 1, 2}, 4);
  Model m = g.load("avgpool_concat");
  // Nine inputs summing to 41 sixteenths: the DPU gives 41 · 7 / 64 = 4.48 → 4, the mean 4.56 → 5.
  std::vector<float> in = {5, 5, 5, 5, 5, 4, 4, 4, 4};
  for (float& v : in) v /= 16;
  for (auto kernels : {KernelChoice::kReference, KernelChoice::kFast}) {
    std::vector<float> out(2);
    CpuExecutor(m, CpuOptions{1, kernels}).run(in.data(), out.data(), 1);
    EXPECT_EQ(out[0], 4.f / 16) << (kernels == KernelChoice::kFast ? "fast" : "reference");
    EXPECT_EQ(out[1], 4.f / 16);
  }
}

// hard-sigmoid · (6 · 2731 / 2^14) is the DPU's hard sigmoid, relu6(x + 3) · 2731 / 2^14.
TEST(XmodelLoader, AHardSigmoidTimesTheDpuFactorIsTheDpusHardSigmoid) {
  FixGraph g({1, 2, 2, 4});
  g.b.op("h", "hard-sigmoid", {1, 2, 2, 4}, {{"input", {"x_fix"}}});
  g.b.constant("c", {}, {6.f * 2731.f / 16384.f});
  g.b.op("m", "mul", {1, 2, 2, 4}, {{"input", {"h", "c"}}});
  g.b.fix("y", "m", {1, 2, 2, 4}, 7);
  Model m = g.load("hsigmoid_mul");
  for (auto& [op, count] : m.op_counts()) EXPECT_NE(op, "Binary") << "the product was not folded";
  auto in = test::random_floats(16, 12, -5.f, 5.f);
  std::vector<float> out(16);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
  for (std::size_t i = 0; i < 16; ++i) {
    double x = q4(in[i]) / 16;
    EXPECT_EQ(out[i], fix_to(std::min(std::max(x + 3, 0.0), 6.0) * 2731 / 16384, 7)) << i;
  }
}

// Products of two feature maps (squeeze-and-excitation's gate, broadcast over H and W), a CPU
// subgraph's aten::mean (float, even over H and W, where a DPU pool would average with its
// factor) and BatchNorm as `scale`: exact in float, each rounded once by the fix after it.
TEST(XmodelLoader, FeatureMapProductsMeansAndScaleRoundOnceAtTheirFix) {
  FixGraph g({1, 2, 3, 4});
  g.b.op("mean", "aten::mean", {1, 1, 1, 4}, {{"input", {"x_fix"}}});
  g.b.fix("gate", "mean", {1, 1, 1, 4}, 6);
  g.b.op("prod", "mul", {1, 2, 3, 4}, {{"input", {"x_fix", "gate"}}});
  g.b.fix("prod_fix", "prod", {1, 2, 3, 4}, 5);
  g.b.constant("s", {4}, {0.5f, -1.25f, 2.f, 0.75f});
  g.b.fix("s_fix", "s", {4}, 4);
  g.b.constant("t", {4}, {0.125f, 0.f, -0.5f, 1.f});
  g.b.fix("t_fix", "t", {4}, 5);
  g.b.op("bn", "scale", {1, 2, 3, 4}, {{"input", {"prod_fix"}}, {"scale", {"s_fix"}}, {"bias", {"t_fix"}}});
  g.b.fix("y", "bn", {1, 2, 3, 4}, 3);
  Model m = g.load("mul_scale");
  auto in = test::random_floats(24, 13, -3.f, 3.f);
  std::vector<float> out(24);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
  const double s[] = {0.5, -1.25, 2, 0.75}, t[] = {0.125, 0, -0.5, 1};
  int nonzero = 0;
  for (int c = 0; c < 4; ++c) {
    double sum = 0;
    for (int p = 0; p < 6; ++p) sum += q4(in[static_cast<std::size_t>(p * 4 + c)]) / 16;
    const double gate = fix_to(sum / 6, 6);
    for (int p = 0; p < 6; ++p) {
      const auto i = static_cast<std::size_t>(p * 4 + c);
      const double prod = fix_to(q4(in[i]) / 16 * gate, 5);
      const double want = fix_to(prod * s[c] + t[c], 3);
      EXPECT_EQ(out[i], want) << "element " << i;
      nonzero += want != 0;
    }
  }
  EXPECT_GT(nonzero, 12);  // the values are not all rounded away
}

// XIR's resize: bilinear with aligned corners (ZeroDCE's ×8 upsample), with half-pixel centres
// (its ÷8 downsample), and nearest, against PyTorch's formulas in double. Tolerance 1e-6: the
// kernel computes positions and weights in float as PyTorch does, on values of magnitude < 8.
TEST(XmodelLoader, ResizeFollowsPyTorchsInterpolate) {
  struct Mode {
    const char* mode;
    bool align, half;
  };
  for (const Mode& md : {Mode{"BILINEAR", true, false}, Mode{"BILINEAR", false, true}, Mode{"NEAREST", false, false}}) {
    SCOPED_TRACE(std::string(md.mode) + (md.align ? " align_corners" : "") + (md.half ? " half_pixel" : ""));
    FixGraph g({1, 3, 4, 2});
    auto& r = g.b.op("r", "resize", {1, 7, 5, 2}, {{"input", {"x_fix"}}});
    XirGraphBuilder::set_string(r, "mode", md.mode);
    XirGraphBuilder::set_bool(r, "align_corners", md.align);
    XirGraphBuilder::set_bool(r, "half_pixel_centers", md.half);
    Model m = g.load("resize");
    auto in = test::random_floats(24, 16, -4.f, 4.f);
    std::vector<float> out(70);
    CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
    auto src = [&](int d, int in_size, int out_size) {
      if (md.align) return double(d) * (in_size - 1) / (out_size - 1);
      if (md.half) return std::max((d + 0.5) * in_size / out_size - 0.5, 0.0);
      return double(d) * in_size / out_size;
    };
    auto x = [&](int h, int w, int c) { return q4(in[static_cast<std::size_t>((h * 4 + w) * 2 + c)]) / 16; };
    for (int h = 0; h < 7; ++h)
      for (int w = 0; w < 5; ++w)
        for (int c = 0; c < 2; ++c) {
          const double sy = src(h, 3, 7), sx = src(w, 4, 5);
          double want;
          if (std::string(md.mode) == "NEAREST") {
            want = x(std::min(static_cast<int>(std::floor(sy)), 2), std::min(static_cast<int>(std::floor(sx)), 3), c);
          } else {
            const int y0 = std::min(static_cast<int>(sy), 2), x0 = std::min(static_cast<int>(sx), 3);
            const int y1 = std::min(y0 + 1, 2), x1 = std::min(x0 + 1, 3);
            const double ly = sy - y0, lx = sx - x0;
            want = (1 - ly) * ((1 - lx) * x(y0, x0, c) + lx * x(y0, x1, c)) + ly * ((1 - lx) * x(y1, x0, c) + lx * x(y1, x1, c));
          }
          EXPECT_NEAR(out[static_cast<std::size_t>((h * 5 + w) * 2 + c)], want, 1e-6) << h << " " << w << " " << c;
        }
  }
}

// XIR's transpose (the NHWC → NCHW sink before a CPU subgraph): integers move unchanged.
TEST(XmodelLoader, TransposeMovesEachElementToItsPlace) {
  FixGraph g({1, 2, 3, 4});
  auto& t = g.b.op("t", "transpose", {1, 4, 2, 3}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(t, "order", {0, 3, 1, 2});
  g.b.fix("y", "t", {1, 4, 2, 3}, 4);
  Model m = g.load("transpose");
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 4, 2, 3}));
  auto in = test::random_floats(24, 14, -3.f, 3.f);
  std::vector<float> out(24);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
  for (int c = 0; c < 4; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w)
        EXPECT_EQ(out[static_cast<std::size_t>((c * 2 + h) * 3 + w)], q4(in[static_cast<std::size_t>((h * 3 + w) * 4 + c)]) / 16)
            << c << h << w;
  auto& bad = g.b.op("t2", "transpose", {1, 2, 4, 3}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(bad, "order", {1, 0, 3, 2});
  Error e = test::load_error(g.b.bytes(), "model.xmodel");
  EXPECT_NE(std::string(e.what()).find("'t2' (transpose)"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("batch must stay first"), std::string::npos) << e.what();
}

// clamp(min, max) and hard-tanh (clip to [-1, 1]) between fix ops: the float clip of the fixed
// input, rounded once by the fix after it.
TEST(XmodelLoader, ClampAndHardTanhClipBetweenFixOps) {
  for (const std::string type : {"clamp", "hard-tanh"}) {
    FixGraph g({1, 2, 2, 5});
    auto& c = g.b.op("c", type, {1, 2, 2, 5}, {{"input", {"x_fix"}}});
    if (type == "clamp") {
      (*c.mutable_op_attr())["min"].set_float_value(-0.5f);
      (*c.mutable_op_attr())["max"].set_float_value(1.3f);
    }
    g.b.fix("y", "c", {1, 2, 2, 5}, 3);
    Model m = g.load(type);
    const double lo = type == "clamp" ? -0.5 : -1.0, hi = type == "clamp" ? 1.3 : 1.0;
    auto in = test::random_floats(20, 21, -3.f, 3.f);
    for (auto kernels : {KernelChoice::kReference, KernelChoice::kFast}) {
      std::vector<float> out(20);
      CpuExecutor(m, CpuOptions{1, kernels}).run(in.data(), out.data(), 1);
      for (std::size_t i = 0; i < 20; ++i)
        EXPECT_EQ(out[i], fix_to(std::clamp(q4(in[i]) / 16, lo, hi), 3)) << type << " element " << i;
    }
  }
  FixGraph g({1, 2, 2, 5});
  auto& c = g.b.op("c", "clamp", {1, 2, 2, 5}, {{"input", {"x_fix"}}});
  (*c.mutable_op_attr())["min"].set_float_value(1.f);
  (*c.mutable_op_attr())["max"].set_float_value(-1.f);
  Error e = test::load_error(g.b.bytes(), "model.xmodel");
  EXPECT_NE(std::string(e.what()).find("'c' (clamp)"), std::string::npos) << e.what();
}

// strided_slice reads begin + i · stride in each dimension; int8 values pass unchanged.
TEST(XmodelLoader, StridedSliceTakesEveryStrideThElement) {
  FixGraph g({1, 5, 7, 3});
  auto& s = g.b.op("s", "strided_slice", {1, 2, 3, 2}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(s, "begin", {0, 1, 0, -2});
  XirGraphBuilder::set_ints(s, "end", {1, 5, 7, 3});
  XirGraphBuilder::set_ints(s, "strides", {1, 2, 3, 1});
  g.b.fix("y", "s", {1, 2, 3, 2}, 4);
  Model m = g.load("strided_slice");
  auto c = counts(m);  // int8 from the input's Quantize to the output's Dequantize
  EXPECT_EQ(c["Slice"], 1);
  EXPECT_EQ(c["Quantize"], 1);
  EXPECT_EQ(c["Dequantize"], 1);
  auto in = test::random_floats(105, 22, -3.f, 3.f);
  for (auto kernels : {KernelChoice::kReference, KernelChoice::kFast}) {
    std::vector<float> out(12);
    CpuExecutor(m, CpuOptions{1, kernels}).run(in.data(), out.data(), 1);
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w)
        for (int c = 0; c < 2; ++c)
          EXPECT_EQ(out[static_cast<std::size_t>((h * 3 + w) * 2 + c)],
                    q4(in[static_cast<std::size_t>(((1 + 2 * h) * 7 + 3 * w) * 3 + 1 + c)]) / 16)
              << h << w << c;
  }
  auto& bad = g.b.op("s2", "strided_slice", {1, 3, 3, 3}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(bad, "begin", {0, 1, 0, 0});
  XirGraphBuilder::set_ints(bad, "end", {1, 5, 7, 3});
  XirGraphBuilder::set_ints(bad, "strides", {1, 2, 3, 1});  // rows 1, 3, 5: 5 is out of range
  Error e = test::load_error(g.b.bytes(), "model.xmodel");
  EXPECT_NE(std::string(e.what()).find("'s2' (strided_slice)"), std::string::npos) << e.what();
}

// PixelShuffle (scale 2) in NHWC: channel c·4 + i·2 + j of (h, w) lands in channel c of
// (2h + i, 2w + j); PixelUnshuffle puts every value back.
TEST(XmodelLoader, PixelShuffleAndItsInverse) {
  FixGraph g({1, 2, 3, 8});
  auto& up = g.b.op("up", "pixel-shuffle", {1, 4, 6, 2}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_int(up, "scale", 2);
  XirGraphBuilder::set_bool(up, "upscale", true);
  g.b.fix("up_fix", "up", {1, 4, 6, 2}, 4);
  Model m = g.load("pixel_shuffle");
  EXPECT_TRUE(m.is_integer());
  auto in = test::random_floats(48, 23, -3.f, 3.f);
  std::vector<float> out(48);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
  for (int h = 0; h < 2; ++h)
    for (int w = 0; w < 3; ++w)
      for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j)
            EXPECT_EQ(out[static_cast<std::size_t>(((2 * h + i) * 6 + 2 * w + j) * 2 + c)],
                      q4(in[static_cast<std::size_t>((h * 3 + w) * 8 + c * 4 + i * 2 + j)]) / 16);
  auto& down = g.b.op("down", "pixel-shuffle", {1, 2, 3, 8}, {{"input", {"up_fix"}}});
  XirGraphBuilder::set_int(down, "scale", 2);
  XirGraphBuilder::set_bool(down, "upscale", false);
  g.b.fix("y", "down", {1, 2, 3, 8}, 4);
  Model back = g.load("pixel_unshuffle");
  CpuExecutor(back, CpuOptions{1, KernelChoice::kFast}).run(in.data(), out.data(), 1);
  for (std::size_t k = 0; k < 48; ++k) EXPECT_EQ(out[k], q4(in[k]) / 16) << k;
}

// inner-product: the input flattened from axis 1 (NHWC), times weights [OC, H, W, C] flattened
// alike, plus the bias; as the DPU's integer product between fix ops.
TEST(XmodelLoader, InnerProductFlattensInputAndWeightsAlike) {
  FixGraph g({1, 2, 2, 3});
  auto w = test::random_floats(5 * 12, 24, -1.f, 1.f), b = test::random_floats(5, 25, -1.f, 1.f);
  g.b.constant("w", {5, 2, 2, 3}, w);
  g.b.fix("w_fix", "w", {5, 2, 2, 3}, 6);
  g.b.constant("b", {5}, b);
  g.b.fix("b_fix", "b", {5}, 6);
  auto& ip = g.b.op("ip", "inner-product", {1, 5}, {{"input", {"x_fix"}}, {"weights", {"w_fix"}}, {"bias", {"b_fix"}}});
  XirGraphBuilder::set_int(ip, "axis", 1);
  g.b.fix("y", "ip", {1, 5}, 3);
  Model m = g.load("inner_product");
  EXPECT_TRUE(m.is_integer());
  auto in = test::random_floats(12, 26, -3.f, 3.f);
  for (auto kernels : {KernelChoice::kReference, KernelChoice::kFast}) {
    std::vector<float> out(5);
    CpuExecutor(m, CpuOptions{1, kernels}).run(in.data(), out.data(), 1);
    for (int o = 0; o < 5; ++o) {
      double acc = fix_to(b[static_cast<std::size_t>(o)], 6);
      for (int k = 0; k < 12; ++k) acc += q4(in[static_cast<std::size_t>(k)]) / 16 * fix_to(w[static_cast<std::size_t>(o * 12 + k)], 6);
      EXPECT_EQ(out[static_cast<std::size_t>(o)], fix_to(acc, 3)) << "output " << o;
    }
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// Real vai_q_pytorch models whose ops were refused before (mul, scale, transpose, aten::mean,
// resize, add of a constant tensor):
// they load as integer models and run on a random input (their layers are checked against the
// quantizer's dumps in xir_dumps_test where dumps exist).
TEST(XmodelLoader, QuantizedPyTorchModelsWithTheXirOpSetRun) {
  struct Case {
    const char* file;
    Shape output;
  };
  for (const Case& c : {Case{"models/efficientnetv2-block-b2304/ResidualBlock_int.xmodel", {-1, 14, 14, 136}},
                        Case{"models/cgnet-cone-segmentation/CGNet_int.xmodel", {-1, 34, 46, 1}},
                        Case{"models/zerodce-zcu104/ZeroDCEQ_int.xmodel", {-1, 512, 512, 3}}}) {
    const std::string path = test::shared(c.file);
    DPURUN_REQUIRE_SHARED(path);
    SCOPED_TRACE(c.file);
    Model m = Model::load(path);
    EXPECT_TRUE(m.is_integer());
    EXPECT_EQ(m.outputs()[0].shape, c.output);
    CpuExecutor exec(m);
    auto in = test::random_floats(static_cast<std::size_t>(exec.input_elements()), 15, -2.f, 2.f);
    std::vector<float> out(static_cast<std::size_t>(exec.output_elements()));
    exec.run(in.data(), out.data(), 1);
    bool finite = true, varied = false;
    for (float v : out) {
      finite = finite && std::isfinite(v);
      varied = varied || v != out[0];
    }
    EXPECT_TRUE(finite);
    EXPECT_TRUE(varied) << "every output the same";
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// XIR's sub (with broadcasting) and CONSTANT pad; REFLECT is refused, naming the mode.
TEST(XmodelLoader, SubAndPad) {
  FixGraph g({1, 2, 2, 3});
  g.b.constant("k", {3}, {0.5f, -0.25f, 1.f});
  g.b.fix("k_fix", "k", {3}, 4);
  g.b.op("s", "sub", {1, 2, 2, 3}, {{"input", {"x_fix", "k_fix"}}});
  g.b.fix("s_fix", "s", {1, 2, 2, 3}, 4);
  auto& p = g.b.op("p", "pad", {1, 3, 4, 3}, {{"input", {"s_fix"}}});
  XirGraphBuilder::set_ints(p, "paddings", {0, 0, 1, 0, 1, 1, 0, 0});
  XirGraphBuilder::set_string(p, "mode", "CONSTANT");
  g.b.fix("y", "p", {1, 3, 4, 3}, 4);
  Model m = g.load("sub_pad");
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 3, 4, 3}));
  auto in = test::random_floats(12, 17, -3.f, 3.f);
  std::vector<float> out(36);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
  const double k[] = {0.5, -0.25, 1};
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 4; ++w)
      for (int c = 0; c < 3; ++c) {
        const bool inside = h >= 1 && w >= 1 && w <= 2;
        const double want = inside ? fix_to(q4(in[static_cast<std::size_t>(((h - 1) * 2 + (w - 1)) * 3 + c)]) / 16 - k[c], 4) : 0.0;
        EXPECT_EQ(out[static_cast<std::size_t>((h * 4 + w) * 3 + c)], want) << h << " " << w << " " << c;
      }
  XirGraphBuilder::set_string(p, "mode", "REFLECT");
  Error e = test::load_error(g.b.bytes(), "model.xmodel");
  EXPECT_NE(std::string(e.what()).find("pad mode REFLECT"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// XIR's conv1d (NWC, weights [OC, K, IC]) as the DPU computes a convolution: the exact sum of
// int8 products and the bias, rounded once at the output's fix point; the weights stay int8.
TEST(XmodelLoader, Conv1dIsTheDpusConvolutionAlongOneAxis) {
  XirGraphBuilder b;
  auto& data = b.op("x", "data", {1, 6, 3});
  XirGraphBuilder::set_string(data, "data_type", "FLOAT32");
  b.fix("x_fix", "x", {1, 6, 3}, 4);
  std::vector<float> w(2 * 3 * 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(int(i * 7 % 11) - 5) / 32.f;
  b.constant("w", {2, 3, 3}, w);
  b.fix("w_fix", "w", {2, 3, 3}, 5);
  b.constant("bias", {2}, {0.25f, -0.125f});
  b.fix("b_fix", "bias", {2}, 6);
  auto& c = b.op("c", "conv1d", {1, 6, 2}, {{"input", {"x_fix"}}, {"weights", {"w_fix"}}, {"bias", {"b_fix"}}});
  XirGraphBuilder::set_ints(c, "kernel", {3});
  XirGraphBuilder::set_ints(c, "stride", {1});
  XirGraphBuilder::set_ints(c, "pad", {1, 1});
  b.fix("y", "c", {1, 6, 2}, 3);
  auto path = (test::temp_dir() / "conv1d.xmodel").string();
  test::write_file(path, b.bytes());
  Model m = Model::load(path);
  ASSERT_TRUE(m.is_integer());
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 6, 2}));
  int quantize = 0;
  for (auto& [op, count] : m.op_counts()) quantize += op == "Quantize" ? count : 0;
  EXPECT_EQ(quantize, 1) << "only the input is quantized: the convolution runs as integers";
  auto in = test::random_floats(18, 18, -3.f, 3.f);
  for (KernelChoice k : {KernelChoice::kReference, KernelChoice::kFast}) {
    std::vector<float> out(12);
    CpuExecutor(m, CpuOptions{1, k}).run(in.data(), out.data(), 1);
    for (int t = 0; t < 6; ++t)
      for (int o = 0; o < 2; ++o) {
        double acc = o == 0 ? 0.25 : -0.125;
        for (int j = 0; j < 3; ++j) {
          const int src = t + j - 1;
          if (src < 0 || src >= 6) continue;
          for (int ic = 0; ic < 3; ++ic)
            acc += q4(in[static_cast<std::size_t>(src * 3 + ic)]) / 16 * w[static_cast<std::size_t>((o * 3 + j) * 3 + ic)];
        }
        EXPECT_EQ(out[static_cast<std::size_t>(t * 2 + o)], fix_to(acc, 3)) << "t " << t << " oc " << o;
      }
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// XIR's 1-D pools as the DPU pools: the maximum, and the average of 2 as sum · 1 / 2 rounded
// half up at the output's fix point; integers throughout (one Quantize, the input's).
TEST(XmodelLoader, OneDimensionalPoolsAreTheDpusPools) {
  for (const char* type : {"maxpool1d", "avgpool1d"}) {
    SCOPED_TRACE(type);
    XirGraphBuilder b;
    auto& data = b.op("x", "data", {1, 6, 2});
    XirGraphBuilder::set_string(data, "data_type", "FLOAT32");
    b.fix("x_fix", "x", {1, 6, 2}, 4);
    auto& p = b.op("p", type, {1, 3, 2}, {{"input", {"x_fix"}}});
    XirGraphBuilder::set_ints(p, "kernel", {2});
    XirGraphBuilder::set_ints(p, "stride", {2});
    XirGraphBuilder::set_ints(p, "pad", {0, 0});
    b.fix("y", "p", {1, 3, 2}, 4);
    auto path = (test::temp_dir() / "pool1d.xmodel").string();
    test::write_file(path, b.bytes());
    Model m = Model::load(path);
    EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 3, 2}));
    int quantize = 0;
    for (auto& [op, count] : m.op_counts()) quantize += op == "Quantize" ? count : 0;
    EXPECT_EQ(quantize, 1);
    auto in = test::random_floats(12, 19, -3.f, 3.f);
    std::vector<float> out(6);
    CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
    for (int t = 0; t < 3; ++t)
      for (int c = 0; c < 2; ++c) {
        const double a = q4(in[static_cast<std::size_t>((2 * t) * 2 + c)]), bb = q4(in[static_cast<std::size_t>((2 * t + 1) * 2 + c)]);
        const double want = std::string(type) == "maxpool1d" ? std::max(a, bb) / 16 : std::floor((a + bb) / 2 + 0.5) / 16;
        EXPECT_EQ(out[static_cast<std::size_t>(t * 2 + c)], want) << t << " " << c;
      }
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// transposed-conv2d and transposed-depthwise-conv2d as XIR defines them (built_in_ops.cpp): the
// input dilated by the stride, padded by kernel − 1 − pad, then correlated with the weights as
// stored. The oracle is that definition written out, in exact doubles of the fixed-point values.
TEST(XmodelLoader, TransposedConvolutionsFollowXirsDefinition) {
  const int ih = 3, iw = 4, c = 2, kh = 3, kw = 2, sh = 2, sw = 3;
  const std::vector<std::int32_t> pad = {0, 1, 1, 1};  // left, right, top, bottom
  const int oh = (ih - 1) * sh + kh - pad[2] - pad[3], ow = (iw - 1) * sw + kw - pad[0] - pad[1];
  for (bool depthwise : {false, true}) {
    SCOPED_TRACE(depthwise ? "transposed-depthwise-conv2d" : "transposed-conv2d");
    const int oc = depthwise ? c : 3, w_out = depthwise ? 1 : oc;  // weights [O or M, KH, KW, C]
    FixGraph g({1, ih, iw, c});
    auto w = test::random_floats(static_cast<std::size_t>(w_out * kh * kw * c), 40, -1.f, 1.f);
    auto b = test::random_floats(static_cast<std::size_t>(oc), 41, -1.f, 1.f);
    g.b.constant("w", {w_out, kh, kw, c}, w);
    g.b.fix("w_fix", "w", {w_out, kh, kw, c}, 6);
    g.b.constant("b", {oc}, b);
    g.b.fix("b_fix", "b", {oc}, 6);
    auto& t = g.b.op("t", depthwise ? "transposed-depthwise-conv2d" : "transposed-conv2d", {1, oh, ow, oc},
                     {{"input", {"x_fix"}}, {"weights", {"w_fix"}}, {"bias", {"b_fix"}}});
    XirGraphBuilder::set_ints(t, "kernel", {kw, kh});
    XirGraphBuilder::set_ints(t, "stride", {sw, sh});
    XirGraphBuilder::set_ints(t, "pad", pad);
    XirGraphBuilder::set_string(t, "pad_mode", "FLOOR");
    g.b.fix("y", "t", {1, oh, ow, oc}, 3);
    Model m = g.load(depthwise ? "tdwconv" : "tconv");
    EXPECT_TRUE(m.is_integer());
    EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, oh, ow, oc}));
    auto in = test::random_floats(static_cast<std::size_t>(ih * iw * c), 42, -3.f, 3.f);
    // dilated and padded input: position (y, x) of it holds input (y − top)/sh, (x − left)/sw
    const int top = kh - 1 - pad[2], left = kw - 1 - pad[0];
    auto at = [&](int y, int x, int ch) {
      y -= top;
      x -= left;
      if (y < 0 || x < 0 || y % sh || x % sw || y / sh >= ih || x / sw >= iw) return 0.0;
      return q4(in[static_cast<std::size_t>(((y / sh) * iw + x / sw) * c + ch)]) / 16;
    };
    for (auto kernels : {KernelChoice::kReference, KernelChoice::kFast}) {
      std::vector<float> out(static_cast<std::size_t>(oh * ow * oc));
      CpuExecutor(m, CpuOptions{1, kernels}).run(in.data(), out.data(), 1);
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
          for (int o = 0; o < oc; ++o) {
            double acc = fix_to(b[static_cast<std::size_t>(o)], 6);
            for (int ky = 0; ky < kh; ++ky)
              for (int kx = 0; kx < kw; ++kx)
                for (int ch = 0; ch < c; ++ch) {
                  if (depthwise && ch != o) continue;
                  const int wo = depthwise ? 0 : o;
                  acc += at(y + ky, x + kx, ch) * fix_to(w[static_cast<std::size_t>(((wo * kh + ky) * kw + kx) * c + ch)], 6);
                }
            ASSERT_EQ(out[static_cast<std::size_t>((y * ow + x) * oc + o)], fix_to(acc, 3)) << y << " " << x << " " << o;
          }
    }
  }
  // An output size the attributes do not give, and a pad beyond kernel − 1: refused by name.
  for (const auto& [dims, p] : {std::pair<std::vector<std::int64_t>, std::vector<std::int32_t>>{{1, 6, 9, 2}, {0, 1, 1, 1}},
                                {{1, 3, 7, 2}, {0, 1, 3, 1}}}) {
    FixGraph g({1, ih, iw, c});
    g.b.constant("w", {2, kh, kw, c}, test::random_floats(static_cast<std::size_t>(2 * kh * kw * c), 43));
    auto& t = g.b.op("bad", "transposed-conv2d", dims, {{"input", {"x_fix"}}, {"weights", {"w"}}});
    XirGraphBuilder::set_ints(t, "kernel", {kw, kh});
    XirGraphBuilder::set_ints(t, "stride", {sw, sh});
    XirGraphBuilder::set_ints(t, "pad", p);
    Error e = test::load_error(g.b.bytes(), "model.xmodel");
    EXPECT_NE(std::string(e.what()).find("'bad' (transposed-conv2d)"), std::string::npos) << e.what();
  }
}

// fuzz_xmodel's seeds, one per op family: each loads as an integer model and runs, so that the
// fuzzer's mutations start inside every converter, not at its first refusal.
TEST(XmodelLoader, EveryFuzzSeedLoadsAndRuns) {
  for (const auto& [name, bytes] : test::xir_seed_models()) {
    SCOPED_TRACE(name);
    const auto path = (test::temp_dir() / (name + ".xmodel")).string();
    test::write_file(path, bytes);
    Model m = Model::load(path);
    EXPECT_TRUE(m.is_integer());
    CpuExecutor exec(m);
    auto in = test::random_floats(static_cast<std::size_t>(exec.input_elements()), 46, -2.f, 2.f);
    std::vector<float> out(static_cast<std::size_t>(exec.output_elements()));
    exec.run(in.data(), out.data(), 1);
    for (float v : out) ASSERT_TRUE(std::isfinite(v));
  }
}

// Float transpose and strided slice (a CPU subgraph's), batch 2: every element where the index
// arithmetic puts it.
TEST(XmodelLoader, FloatTransposeAndSliceMoveEveryElement) {
  XirGraphBuilder b;
  auto& d = b.op("x", "data", {2, 3, 5, 7});
  XirGraphBuilder::set_string(d, "data_type", "FLOAT32");
  auto& t = b.op("t", "transpose", {2, 7, 3, 5}, {{"input", {"x"}}});
  XirGraphBuilder::set_ints(t, "order", {0, 3, 1, 2});
  auto& s = b.op("s", "strided_slice", {2, 3, 2, 2}, {{"input", {"t"}}});
  XirGraphBuilder::set_ints(s, "begin", {0, 1, 0, 1});
  XirGraphBuilder::set_ints(s, "end", {2, 7, 3, 5});
  XirGraphBuilder::set_ints(s, "strides", {1, 2, 2, 2});
  const auto path = (test::temp_dir() / "t.xmodel").string();
  test::write_file(path, b.bytes());
  Model m = Model::load(path);
  auto in = test::random_floats(2 * 105, 47);
  for (auto kernels : {KernelChoice::kReference, KernelChoice::kFast}) {
    std::vector<float> out(2 * 12);
    CpuExecutor(m, CpuOptions{1, kernels}).run(in.data(), out.data(), 2);
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 3; ++c)      // t's dim 1 (input channel 1 + 2c)
        for (int h = 0; h < 2; ++h)    // t's dim 2 (input row 2h)
          for (int w = 0; w < 2; ++w)  // t's dim 3 (input column 1 + 2w)
            EXPECT_EQ(out[static_cast<std::size_t>(((n * 3 + c) * 2 + h) * 2 + w)],
                      in[static_cast<std::size_t>(((n * 3 + 2 * h) * 5 + 1 + 2 * w) * 7 + 1 + 2 * c)])
                << n << c << h << w;
  }
}

// stack of feature maps: out[..., i, ...] at `axis` is input i; integers move unchanged.
TEST(XmodelLoader, StackPutsEachInputAtItsIndex) {
  FixGraph g({1, 2, 3});
  g.b.op("r", "relu", {1, 2, 3}, {{"input", {"x_fix"}}});
  g.b.fix("r_fix", "r", {1, 2, 3}, 4);
  auto& s = g.b.op("s", "stack", {1, 2, 2, 3}, {{"input", {"x_fix", "r_fix"}}});
  XirGraphBuilder::set_int(s, "axis", -2);
  g.b.fix("y", "s", {1, 2, 2, 3}, 4);
  Model m = g.load("stack");
  EXPECT_TRUE(m.is_integer());
  auto in = test::random_floats(6, 44, -3.f, 3.f);
  std::vector<float> out(12);
  CpuExecutor(m, CpuOptions{1, KernelChoice::kFast}).run(in.data(), out.data(), 1);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 2; ++i)
      for (int w = 0; w < 3; ++w) {
        const double x = q4(in[static_cast<std::size_t>(h * 3 + w)]) / 16;
        EXPECT_EQ(out[static_cast<std::size_t>((h * 2 + i) * 3 + w)], i == 0 ? x : std::max(x, 0.0)) << h << i << w;
      }
  auto& bad = g.b.op("s2", "stack", {1, 2, 3, 3}, {{"input", {"x_fix", "r_fix"}}});
  XirGraphBuilder::set_int(bad, "axis", 1);
  Error e = test::load_error(g.b.bytes(), "model.xmodel");
  EXPECT_NE(std::string(e.what()).find("'s2' (stack)"), std::string::npos) << e.what();
}

// reduction_max, _sum and _product in float between the fix ops; reduction_mean over H and W of
// fixed-point values (with or without vai_q_pytorch's factor as a mul after it) as the DPU's
// global average pool: sum · 7 / 64 for 3×3 (the quantizer's own 57/512 is not the DPU's).
TEST(XmodelLoader, ReductionsOverTheirAxes) {
  auto in = test::random_floats(18, 45, -3.f, 3.f);  // [1, 3, 3, 2]
  auto x = [&](int h, int w, int ch) { return q4(in[static_cast<std::size_t>((h * 3 + w) * 2 + ch)]) / 16; };
  for (const std::string type : {"reduction_max", "reduction_sum", "reduction_product", "reduction_mean", "mean+mul"}) {
    SCOPED_TRACE(type);
    FixGraph g({1, 3, 3, 2});
    const bool mean = type == "reduction_mean" || type == "mean+mul";
    auto& r = g.b.op("r", mean ? "reduction_mean" : type, {1, 1, 1, 2}, {{"input", {"x_fix"}}});
    XirGraphBuilder::set_ints(r, "axis", {1, -2});
    XirGraphBuilder::set_bool(r, "keep_dims", true);
    std::string last = "r";
    if (type == "mean+mul") {
      g.b.constant("c", {}, {9.f * 57.f / 512.f});
      g.b.op("m", "mul", {1, 1, 1, 2}, {{"input", {"r", "c"}}});
      last = "m";
    }
    g.b.fix("y", last, {1, 1, 1, 2}, 4);
    Model m = g.load("reduction");
    std::vector<float> out(2);
    CpuExecutor(m, CpuOptions{1, KernelChoice::kReference}).run(in.data(), out.data(), 1);
    for (int ch = 0; ch < 2; ++ch) {
      double want = type == "reduction_max" ? -1e9 : type == "reduction_product" ? 1.0 : 0.0;
      for (int h = 0; h < 3; ++h)
        for (int w = 0; w < 3; ++w)
          want = type == "reduction_max" ? std::max(want, x(h, w, ch)) : type == "reduction_product" ? want * x(h, w, ch) : want + x(h, w, ch);
      if (mean) want = std::floor(want * 16 * 7 / 64 + 0.5) / 16;
      EXPECT_EQ(out[static_cast<std::size_t>(ch)], fix_to(want, 4)) << ch;
    }
  }
  FixGraph g({1, 3, 3, 2});
  auto& r = g.b.op("r", "reduction_sum", {1, 2}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(r, "axis", {0});
  Error e = test::load_error(g.b.bytes(), "model.xmodel");
  EXPECT_NE(std::string(e.what()).find("'r' (reduction_sum)"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("batch"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace dpurun

// dpurun inspect on the real models: what the files say about themselves.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dpurun/error.h"
#include "dpurun/inspect.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

std::vector<const SubgraphInfo*> dpu_subgraphs(const ModelInfo& m) {
  std::vector<const SubgraphInfo*> out;
  for (const auto& s : m.subgraphs)
    if (s.device == "DPU") out.push_back(&s);
  return out;
}

TEST(Inspect, CompiledLeNetNamesItsDpuAndTensors) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  ModelInfo m = inspect_model(path);
  EXPECT_EQ(m.format, "xir-xmodel");
  EXPECT_EQ(m.kind, "compiled");
  auto dpus = dpu_subgraphs(m);
  ASSERT_EQ(dpus.size(), 1u);
  // shared/models/lenet-cifar10-vck190: meta.json target and arch.json fingerprint.
  EXPECT_EQ(dpus[0]->dpu_name, "DPUCVDX8G_ISA3_C32B3_0603000B16013831");
  ASSERT_TRUE(dpus[0]->dpu_fingerprint);
  EXPECT_EQ(*dpus[0]->dpu_fingerprint, 0x603000b16013831u);
  ASSERT_EQ(dpus[0]->inputs.size(), 1u);
  EXPECT_EQ(dpus[0]->inputs[0].shape, (Shape{1, 32, 32, 3}));
  EXPECT_EQ(dpus[0]->inputs[0].fix_point, 6);  // PROVENANCE.md: XINT8 fix_point 6
  ASSERT_EQ(dpus[0]->outputs.size(), 1u);
  EXPECT_EQ(dpus[0]->outputs[0].shape, (Shape{1, 10}));
  ASSERT_TRUE(m.workload);
  EXPECT_GT(*m.workload, 0u);
  // Its weights read back from the DPU subgraph (Versal's layout): the emulation runs it.
  EXPECT_TRUE(m.cpu_runnable) << m.cpu_message;
  EXPECT_EQ(m.cpu_arithmetic, "int8 (DPU emulation)");
  bool weights = false;
  for (const auto& [k, v] : dpus[0]->properties) weights |= k == "weights" && v == "can be unpacked (versal-c32 layout)";
  EXPECT_TRUE(weights);
}

TEST(Inspect, CustomOpModelHasTwoDpuSubgraphsAroundACpuOne) {
  auto path = test::shared("models/mnist-custom-op-tf2/zcu102_zcu104_kv260__tf2_custom_op.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  ModelInfo m = inspect_model(path);
  std::vector<std::string> devices;
  for (const auto& s : m.subgraphs) devices.push_back(s.device);
  EXPECT_EQ(devices, (std::vector<std::string>{"USER", "DPU", "CPU", "DPU", "CPU"}));
  for (const auto* s : dpu_subgraphs(m)) EXPECT_EQ(s->dpu_name, "DPUCZDX8G_ISA1_B4096");
  EXPECT_EQ(m.inputs.at(0).fix_point, -2);  // PROVENANCE.md: fix_point -2
  EXPECT_FALSE(m.cpu_runnable);
  EXPECT_NE(m.cpu_message.find("Mylayer"), std::string::npos);
}

TEST(Inspect, QuantizedGraphsRunAsInt8) {
  for (const char* rel : {"models/lenet-cifar10-vck190/LeNet_int.xmodel",
                          "models/tf-resnet56-cifar10/quantize_eval_model.pb"}) {
    auto path = test::shared(rel);
    DPURUN_REQUIRE_SHARED(path);
    ModelInfo m = inspect_model(path);
    EXPECT_EQ(m.kind, "quantized") << rel;
    EXPECT_TRUE(m.cpu_runnable) << m.cpu_message;
    EXPECT_EQ(m.cpu_arithmetic, "int8 (DPU emulation)") << rel;
    auto j = nlohmann::json::parse(to_json(m));
    EXPECT_EQ(j["cpu_reference"]["runnable"], true);
  }
}

TEST(Inspect, EveryXmodelInSharedIsRead) {
  DPURUN_REQUIRE_SHARED(test::shared("models"));
  int read = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(test::shared("models")))
    if (e.path().extension() == ".xmodel") {
      ModelInfo m = inspect_model(e.path().string());
      EXPECT_FALSE(m.op_counts.empty()) << e.path();
      EXPECT_FALSE(m.inputs.empty()) << e.path();
      ++read;
    }
  EXPECT_GE(read, 5);
}

TEST(Inspect, OnnxModelsAreDescribed) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet_int.onnx");
  DPURUN_REQUIRE_SHARED(path);
  ModelInfo m = inspect_model(path);
  EXPECT_EQ(m.format, "onnx");
  EXPECT_EQ(m.kind, "quantized");
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].shape.size(), 4u);  // NCHW, as exported
  EXPECT_EQ(m.outputs.size(), 1u);
  bool qdq = false;
  for (const auto& [op, n] : m.op_counts) qdq |= op == "QuantizeLinear" && n > 0;
  EXPECT_TRUE(qdq);
  EXPECT_TRUE(m.cpu_runnable) << m.cpu_message;
}

// Formats are recognised by content: each real model under a name that says nothing (or the
// wrong thing) is read as the same model.
TEST(Inspect, AModelIsKnownByItsContentNotItsName) {
  struct Case {
    const char* rel;
    const char* renamed;
    const char* format;
  };
  for (const Case& c : {Case{"models/lenet-cifar10-vck190/LeNet_int.xmodel", "model.x", "xir-xmodel"},
                        Case{"models/lenet-cifar10-vck190/LeNet.xmodel", "compiled", "xir-xmodel"},
                        Case{"models/lenet-cifar10-vck190/LeNet_int.onnx", "lenet.bin", "onnx"},
                        Case{"models/tf-resnet56-cifar10/quantize_eval_model.pb", "graph.data", "tensorflow-graphdef"}}) {
    auto path = test::shared(c.rel);
    DPURUN_REQUIRE_SHARED(path);
    auto copy = test::temp_dir() / c.renamed;
    test::write_file(copy, test::read_file(path));
    ModelInfo original = inspect_model(path), renamed = inspect_model(copy.string());
    EXPECT_EQ(renamed.format, c.format) << c.renamed;
    EXPECT_EQ(renamed.kind, original.kind) << c.renamed;
    EXPECT_EQ(renamed.op_counts, original.op_counts) << c.renamed;
    EXPECT_EQ(renamed.cpu_runnable, original.cpu_runnable) << c.renamed;
    EXPECT_EQ(renamed.cpu_op_counts, original.cpu_op_counts) << c.renamed;
  }
}

TEST(Inspect, AFileOfNoKnownFormatSaysSoWhateverItsName) {
  auto path = test::temp_dir() / "model.bin";
  test::write_file(path, "whatever");
  try {
    inspect_model(path.string());
    FAIL() << "read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("unknown model format"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(Inspect, UnknownFormatIsRefused) {
  auto path = test::temp_dir() / "model.onnx";
  test::write_file(path, "whatever");
  EXPECT_THROW(inspect_model(path.string()), Error);
}

}  // namespace
}  // namespace dpurun

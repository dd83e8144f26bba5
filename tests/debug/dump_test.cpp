// `dpurun dump` and `dpurun compare`: the emulation's per-layer dump of the EfficientNet block
// (quantized and compiled) equals the quantizer's own deploy_check_data_int/ file for file; one
// changed byte is caught at its layer; VART's dump layout is read; bad folders and inputs say so.
#include <gtest/gtest.h>

#include <filesystem>

#include "dpurun/dump.h"
#include "dpurun/error.h"
#include "support/test_env.h"

namespace dpurun {
namespace {
namespace fs = std::filesystem;

const char* kBlock = "models/efficientnetv2-block-b2304";

// The quantizer's input, as `--input` gives it: its float32 values, fixed by the model's own input.
std::string dump(const std::string& model, const std::string& out) {
  const std::string input =
      test::shared(std::string(kBlock) + "/deploy_check_data_int/ResidualBlock__input_0.bin");
  return "dump -m " + test::shared(std::string(kBlock) + "/" + model) + " --input " + input +
         " -o " + out;
}

TEST(Dump, TheEmulationsDumpEqualsTheQuantizersLayerForLayer) {
  DPURUN_REQUIRE_SHARED(test::shared(kBlock));
  const std::string quantizer = test::shared(std::string(kBlock) + "/deploy_check_data_int");
  for (const auto& [model, shared] :
       {std::pair{"ResidualBlock_int.xmodel", 32}, std::pair{"ResidualBlock_B2304.xmodel", 14}}) {
    SCOPED_TRACE(model);
    const std::string out = (test::temp_dir() / (std::string("dump_") + model)).string();
    auto r = test::run_cli(dump(model, out));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_TRUE(fs::exists(fs::path(out) / "dump.json"));
    DumpComparison c = compare_dumps(out, quantizer);
    EXPECT_TRUE(c.graph_order);
    EXPECT_EQ(c.first_difference(), -1) << to_table(c);
    // Every activation the quantizer dumped and the model computes: 32 files of the int model
    // (its 20 weight files are constants, not layers); the compiled one's DPU ops are int8 only.
    EXPECT_EQ(static_cast<int>(c.tensors.size()), shared) << to_table(c);
    r = test::run_cli("compare " + out + " " + quantizer);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("equal: all"), std::string::npos) << r.output;
  }
}

TEST(Dump, OneChangedByteIsCaughtAtItsLayer) {
  DPURUN_REQUIRE_SHARED(test::shared(kBlock));
  const fs::path a = test::temp_dir() / "dump_a", b = test::temp_dir() / "dump_b";
  fs::remove_all(a);
  fs::remove_all(b);
  auto r = test::run_cli(dump("ResidualBlock_int.xmodel", a.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  fs::copy(a, b);
  const std::string layer =
      "ResidualBlock__ResidualBlock_MBConvLayer_conv__Sequential_depth_conv__SEModule_se__ret_21_"
      "fix.bin";
  std::string bytes = test::read_file(b / layer);
  ASSERT_GT(bytes.size(), 1000u);
  const int was = static_cast<std::int8_t>(bytes[1000]);
  bytes[1000] = static_cast<char>(was + 1);
  test::write_file(b / layer, bytes);
  DumpComparison c = compare_dumps(a.string(), b.string());
  ASSERT_GE(c.first_difference(), 0);
  const auto& t = c.tensors[static_cast<std::size_t>(c.first_difference())];
  EXPECT_EQ(t.name, layer);
  EXPECT_EQ(t.differ, 1u);
  EXPECT_EQ(t.first, 1000u);
  EXPECT_EQ(t.a, was);
  EXPECT_EQ(t.b, was + 1);
  EXPECT_EQ(t.max_difference, 1.0);
  // Layers before it in graph order are equal; the CLI names it and exits 1.
  for (int i = 0; i < c.first_difference(); ++i)
    EXPECT_EQ(c.tensors[static_cast<std::size_t>(i)].differ, 0u);
  r = test::run_cli("compare " + a.string() + " " + b.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("first difference: " + layer), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 of 106624 int8 differ"), std::string::npos) << r.output;
}

// A board's dump (XLNX_ENABLE_DUMP=1): dump/<subgraph>/{input,internal,output}/0.<tensor>.bin.
TEST(Dump, VartsDumpFolderIsReadAsACompiledModelsLayers) {
  const fs::path ours = test::temp_dir() / "ours", vart = test::temp_dir() / "vart";
  fs::remove_all(ours);
  fs::remove_all(vart);
  fs::create_directories(ours);
  fs::create_directories(vart / "dump/subgraph_conv/internal");
  fs::create_directories(vart / "dump/subgraph_conv/output");
  test::write_file(ours / "conv1_fix.bin", std::string("\x01\x02\x03\x04", 4));
  test::write_file(ours / "fc_fix.bin", std::string("\x05\x06", 2));
  test::write_file(vart / "dump/subgraph_conv/internal/0.conv1.bin",
                   std::string("\x01\x02\x03\x04", 4));
  test::write_file(vart / "dump/subgraph_conv/internal/1.conv1.bin",
                   std::string("\x09\x09\x09\x09", 4));  // engine 1
  test::write_file(vart / "dump/subgraph_conv/output/0.fc.bin", std::string("\x05\x07", 2));
  DumpComparison c = compare_dumps((vart / "dump").string(), ours.string());
  ASSERT_EQ(c.tensors.size(), 2u) << to_table(c);
  ASSERT_GE(c.first_difference(), 0);
  EXPECT_EQ(c.tensors[static_cast<std::size_t>(c.first_difference())].name, "fc_fix.bin");
  EXPECT_EQ(c.tensors[static_cast<std::size_t>(c.first_difference())].type, DataType::kInt8);
}

TEST(Dump, BadFoldersAndInputsSayWhatToDo) {
  auto r = test::run_cli("compare /nonexistent/a /nonexistent/b");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/a"), std::string::npos) << r.output;
  const fs::path x = test::temp_dir() / "x", y = test::temp_dir() / "y";
  fs::create_directories(x);
  fs::create_directories(y);
  test::write_file(x / "a.bin", "1234");
  test::write_file(y / "b.bin", "1234");
  r = test::run_cli("compare " + x.string() + " " + y.string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("share no tensor"), std::string::npos) << r.output;
  test::write_file(y / "a.bin", "12345678");  // the same tensor, another size
  r = test::run_cli("compare " + x.string() + " " + y.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("sizes differ"), std::string::npos) << r.output;

  DPURUN_REQUIRE_SHARED(test::shared(kBlock));
  const std::string model = test::shared(std::string(kBlock) + "/ResidualBlock_int.xmodel");
  const fs::path short_input = test::temp_dir() / "short.bin";
  test::write_file(short_input, std::string(100, '\0'));
  r = test::run_cli("dump -m " + model + " --input " + short_input.string() + " -o " +
                    (test::temp_dir() / "d").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("short.bin: 100 bytes"), std::string::npos) << r.output;
  const fs::path unlisted = test::temp_dir() / "block.xmodel";  // a copy no manifest lists
  fs::copy_file(model, unlisted);
  r = test::run_cli("dump -m " + unlisted.string() + " -o " +
                    (test::temp_dir() / "d").string());  // no manifest, no --input
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--input"), std::string::npos) << r.output;
  r = test::run_cli("dump -m tf-resnet56-cifar10 -o " + (test::temp_dir() / "d").string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("XIR"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace dpurun

// Compiled .xmodels on their own: every constant read back from a DPU subgraph's parameter blob
// equals the quantized model's it was compiled from, and the compiled graph's own ops
// (conv2d-fix, pool-fix, eltwise-fix, …) give what the quantized model gives — for every pair
// in ../shared. A DPU whose layout no pair established is refused by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "dpurun/cpu_executor.h"
#include "dpurun/error.h"
#include "dpurun/model_info.h"
#include "graph/fix_math.h"
#include "loaders/loader.h"
#include "loaders/xir/dpu_params.h"
#include "support/test_env.h"
#include "xir_graph.pb.h"

namespace dpurun {
namespace {

namespace xir = loaders::xir;

struct Pair {
  const char* compiled;
  const char* quantized;
};

const Pair kPairs[] = {
    {"lenet-cifar10-vck190/LeNet.xmodel", "lenet-cifar10-vck190/LeNet_int.xmodel"},
    {"mnist-cnn-kv260/CNN_kv260.xmodel", "mnist-cnn-kv260/CNN_int.xmodel"},
    {"zerodce-zcu104/zdce.xmodel", "zerodce-zcu104/ZeroDCEQ_int.xmodel"},
    {"efficientnetv2-block-b2304/ResidualBlock_B2304.xmodel",
     "efficientnetv2-block-b2304/ResidualBlock_int.xmodel"},
    {"cgnet-cone-segmentation/CGNet_conv_2.xmodel", "cgnet-cone-segmentation/CGNet_int.xmodel"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B512.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B800.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B1024.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B1152.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B1600.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B2304.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C1_B3136.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/DPU_C2_B1600.xmodel", "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-mlp-tf2-dpu-sizes/my_mnist_test_B4096.xmodel",
     "mnist-mlp-tf2-dpu-sizes/quantized_model.h5"},
    {"mnist-tf1-zcu104/digitRecognitiion.xmodel", "mnist-tf1-zcu104/quantize_eval_model.pb"},
};

std::string model_path(const char* relative) {
  return test::shared(std::string("models/") + relative);
}

bool is_xmodel(const std::string& p) {
  return p.size() > 7 && p.compare(p.size() - 7, 7, ".xmodel") == 0;
}

// The compiler's names for a constant: "(reshaped)", "(TransferMatMulToConv2d)" and "_new" added.
std::string base_name(std::string name) {
  auto paren = name.find('(');
  if (paren != std::string::npos) name = name.substr(0, paren);
  return name;
}

// Every fixed constant of a quantized model (any format): its fix point and sorted int8 values,
// read from the quantizer's float simulation (fix ops kept, nothing requantized).
std::vector<std::pair<int, std::vector<int>>> fixed_constants(const std::string& path) {
  ModelOptions o;
  o.fix_in_float = true;
  graph::Graph g = loaders::load_model(path, o);
  std::vector<std::pair<int, std::vector<int>>> out;
  for (const auto& v : g.values) {
    if (!v.is_constant() || !v.fix || v.type != DataType::kFloat32) continue;
    std::vector<int> q;
    for (float x : v.as<float>())
      q.push_back(static_cast<int>(std::lround(std::ldexp(double(x), v.fix->fix_point))));
    std::sort(q.begin(), q.end());
    out.emplace_back(v.fix->fix_point, std::move(q));
  }
  return out;
}

// The fix point a compiled conv's bias is stored at: one bit below the product of its input
// and weights when its own is finer (the values shifted right, floor), else its own.
std::map<std::string, int> stored_bias_shift(const std::string& bytes) {
  xir::Graph g;
  EXPECT_TRUE(g.ParseFromString(bytes));
  std::map<std::string, const xir::OPNode*> ops;
  for (const auto& n : g.op_node()) ops[n.op_name()] = &n;
  auto fp = [&](const std::string& name) {
    return ops.at(name)->output_tensor().tensor_attr().at("fix_point").int32_value();
  };
  std::map<std::string, int> shift;
  for (const auto& n : g.op_node()) {
    std::map<std::string, std::string> a;
    for (const auto& arg : n.args())
      if (arg.arg_ops_size() == 1) a[arg.arg_name()] = arg.arg_ops(0);
    if (n.op_type().find("conv2d-fix") == std::string::npos || !a.count("bias")) continue;
    const int bit = fp(a["input"]) + fp(a["weights"]) + 1;
    if (fp(a["bias"]) > bit) shift[a["bias"]] = fp(a["bias"]) - bit;
  }
  return shift;
}

class CompiledPairs : public ::testing::TestWithParam<Pair> {};

// By name, element for element, against a quantized .xmodel; against other formats (Keras .h5,
// TensorFlow .pb, whose names and layouts the compiler changes) as the same sorted values at the
// same fix point. Compiler-made constants with no counterpart must be all zero (fake biases).
TEST_P(CompiledPairs, EveryConstantEqualsTheQuantizedModels) {
  const std::string compiled = model_path(GetParam().compiled),
                    quantized = model_path(GetParam().quantized);
  DPURUN_REQUIRE_SHARED(compiled);
  DPURUN_REQUIRE_SHARED(quantized);
  const std::string bytes = test::read_file(compiled);
  auto unpacked = xir::unpack_compiled_constants(bytes, compiled);
  ASSERT_FALSE(unpacked.empty());
  const auto shifts = stored_bias_shift(bytes);
  std::size_t exact = 0, as_values = 0, zeros = 0;
  if (is_xmodel(quantized)) {
    auto q = xir::quantized_constants(test::read_file(quantized), quantized);
    for (const auto& [name, c] : unpacked) {
      ASSERT_FALSE(shifts.count(name)) << name;
      auto it = q.find(base_name(name));
      if (it == q.end()) {
        EXPECT_TRUE(std::all_of(c.values.begin(), c.values.end(), [](int v) { return v == 0; }))
            << name << " has no counterpart in " << quantized << " and is not all zero";
        ++zeros;
        continue;
      }
      EXPECT_EQ(c.fix_point, it->second.fix_point) << name;
      ASSERT_EQ(c.values.size(), it->second.values.size()) << name;
      if (c.values == it->second.values) {
        ++exact;
      } else {  // a re-laid-out copy (e.g. a Linear's [O, I] as a convolution's OHWI)
        auto a = c.values, b = it->second.values;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << name << ": not the same values";
        ++as_values;
      }
    }
  } else {
    auto q = fixed_constants(quantized);
    for (const auto& [name, c] : unpacked) {
      std::vector<int> got(c.values.begin(), c.values.end());
      std::sort(got.begin(), got.end());
      const int shift = shifts.count(name) ? shifts.at(name) : 0;
      bool found = false;
      for (const auto& [fp, values] : q) {
        if (fp != c.fix_point || values.size() != got.size()) continue;
        std::vector<int> want(values);
        for (int& v : want) v = v >> shift;  // arithmetic: floor
        found |= want == got;
      }
      EXPECT_TRUE(found) << name << " (fix point " << c.fix_point << ", " << got.size() << " values"
                         << (shift ? ", stored >> " + std::to_string(shift) : std::string())
                         << ") matches no constant of " << quantized;
      ++as_values;
    }
  }
  RecordProperty("exact", std::to_string(exact));
  std::printf(
      "%s: %zu constants, %zu byte-equal by name, %zu equal as values, %zu compiler-made zeros\n",
      GetParam().compiled, unpacked.size(), exact, as_values, zeros);
}

// The compiled file alone and the quantized model (the --weights-from path) on the same inputs,
// output for output. Random inputs in the models' own input range, fixed seed; the data sets run
// through the CLI below and in the closing note's table.
TEST_P(CompiledPairs, OutputsEqualTheWeightsFromPath) {
  const std::string compiled = model_path(GetParam().compiled),
                    quantized = model_path(GetParam().quantized);
  DPURUN_REQUIRE_SHARED(compiled);
  DPURUN_REQUIRE_SHARED(quantized);
  if (!is_xmodel(quantized))
    GTEST_SKIP() << "--weights-from takes a quantized .xmodel; the CLI test compares this pair on "
                    "its data set";
  Model alone = Model::load(compiled);
  ModelOptions o;
  o.weights_from = quantized;
  Model paired = Model::load(compiled, o);
  EXPECT_TRUE(alone.is_integer());
  CpuExecutor a(alone), b(paired);
  ASSERT_EQ(a.input_elements(), b.input_elements());
  ASSERT_EQ(a.output_elements(), b.output_elements());
  const int n = a.input_elements() > 100000 ? 1 : 8;
  auto x = test::random_floats(static_cast<std::size_t>(a.input_elements() * n), 17, -2.f, 2.f);
  std::vector<float> ya(static_cast<std::size_t>(a.output_elements() * n)), yb(ya.size());
  a.run(x.data(), ya.data(), n);
  b.run(x.data(), yb.data(), n);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < ya.size(); ++i) differ += ya[i] != yb[i];
  EXPECT_EQ(differ, 0u) << "of " << ya.size() << " outputs";
  EXPECT_GT(std::count_if(ya.begin(), ya.end(), [](float v) { return v != 0.f; }), 0)
      << "all outputs zero: nothing compared";
}

INSTANTIATE_TEST_SUITE_P(Shared, CompiledPairs, ::testing::ValuesIn(kPairs), [](const auto& info) {
  std::string s = info.param.compiled;
  s = s.substr(s.find('/') + 1);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
});

// On the data sets, through the CLI: the compiled file's top-1 and outputs against its pair's.
TEST(CompiledXmodel, EvalOfTheFileAloneEqualsItsQuantizedModelOnTheDataSet) {
  struct Run {
    const char* args;
    const char* data;
  };
  const Run runs[] = {
      {"-m lenet-cifar10-vck190 --variant compiled --reference quantized", "data/cifar10-test-jpg"},
      {"-m mnist-cnn-kv260 --variant compiled --reference quantized", "data/mnist-test-png"},
      {"-m mnist-mlp-tf2-dpu-sizes --variant compiled --reference quantized",
       "data/mnist-test-png"},
      {"-m mnist-tf1-zcu104 --variant compiled --reference quantized", "data/mnist-test-png"},
  };
  for (const auto& r : runs) {
    const std::string data = test::shared(r.data);
    DPURUN_REQUIRE_SHARED(data);
    auto json = test::temp_dir() / "compiled.json";
    auto res = test::run_cli("eval " + std::string(r.args) + " -d " + data + " -n 500 -q --json " +
                             json.string());
    ASSERT_EQ(res.exit_code, 0) << r.args << "\n" << res.output;
    auto j = nlohmann::json::parse(test::read_file(json));
    EXPECT_EQ(j["agreement"]["max_output_difference"].get<double>(), 0.0) << r.args;
    EXPECT_EQ(j["agreement"]["identical_top1"].get<int>(), 500) << r.args;
    EXPECT_EQ(j["model"]["model"]["arithmetic"], "int8 (DPU emulation)")
        << r.args << j["model"]["model"].dump();
  }
}

// A DPU no pair has shown the layout of: refused naming it, pointing to --weights-from; inspect
// says the same per subgraph, with the parameter size.
TEST(CompiledXmodel, AnUnknownDpuFamilyIsRefusedByName) {
  const std::string path = model_path("mnist-cnn-kv260/CNN_kv260.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  xir::Graph g;
  ASSERT_TRUE(g.ParseFromString(test::read_file(path)));
  bool renamed = false;
  for (auto& s : *g.mutable_subg_root()->mutable_subg_child()) {
    auto& attrs = *s.mutable_subg_attr();
    if (attrs.count("dpu_name")) {
      attrs["dpu_name"].set_string_value("DPUCAHX8H_ISA2_DWC");
      renamed = true;
    }
  }
  ASSERT_TRUE(renamed);
  auto other = (test::temp_dir() / "CNN_u50.xmodel").string();
  test::write_file(other, g.SerializeAsString());
  try {
    Model::load(other);
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("DPUCAHX8H_ISA2_DWC"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--weights-from"), std::string::npos) << e.what();
  }
  ModelOptions o;
  o.weights_from = model_path("mnist-cnn-kv260/CNN_int.xmodel");
  EXPECT_NO_THROW(Model::load(other, o));
  auto r = test::run_cli("inspect " + other);
  EXPECT_NE(r.output.find("cannot be unpacked"), std::string::npos) << r.output;
  r = test::run_cli("inspect " + path);
  EXPECT_NE(r.output.find("65536 bytes"), std::string::npos) << r.output;  // REG_0 of CNN_kv260
  EXPECT_NE(r.output.find("can be unpacked (as-is layout)"), std::string::npos) << r.output;
}

// A parameter blob cut short: the constant that no longer fits is named, nothing is read past it.
TEST(CompiledXmodel, ATruncatedParameterBlobNamesTheConstant) {
  const std::string path = model_path("mnist-cnn-kv260/CNN_kv260.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  xir::Graph g;
  ASSERT_TRUE(g.ParseFromString(test::read_file(path)));
  bool cut = false;
  for (auto& s : *g.mutable_subg_root()->mutable_subg_child()) {
    auto& attrs = *s.mutable_subg_attr();
    if (!attrs.count("reg_id_to_parameter_value")) continue;
    auto& regs =
        *attrs["reg_id_to_parameter_value"].mutable_map_string_2_bytes_value()->mutable_value();
    regs["REG_0"].mutable_value()->resize(20000);
    cut = true;
  }
  ASSERT_TRUE(cut);
  auto bad = (test::temp_dir() / "CNN_cut.xmodel").string();
  test::write_file(bad, g.SerializeAsString());
  try {
    Model::load(bad);
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("CNN__network_"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("REG_0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpurun

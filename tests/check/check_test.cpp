// The accuracy gate: check() on controlled reports, and `dpurun check` on the real baselines in
// models/baselines against a model with one weight changed and preprocessing with the wrong
// channel order (both must fail), and the unchanged ones (must pass).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "dpurun/check.h"
#include "graph_def.pb.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

// A report of `n` images, 3 outputs each, image i predicting class i % 3 with outputs i, 0, 0.
EvalReport report(std::size_t n, double top1) {
  EvalReport r;
  r.settings.variant = "quantized";
  r.arithmetic = "int8 (DPU emulation)";
  r.complete = true;
  r.images = r.requested = n;
  r.top1 = top1;
  r.output_count = 3;
  for (std::size_t i = 0; i < n; ++i) {
    r.image_indices.push_back(10 * i);
    r.predictions.push_back(int(i % 3));
    r.outputs.insert(r.outputs.end(), {float(i) * 0.125f, 0.f, 0.f});
  }
  return r;
}

TEST(Check, PassesOnTheRunItWasMadeFrom) {
  EvalReport r = report(100, 0.8);
  Baseline b = make_baseline(r, "m", nullptr, "", nullptr);
  EXPECT_TRUE(b.golden_exact);
  ASSERT_EQ(b.golden_images.size(), 16u);
  EXPECT_EQ(b.golden_images[1], 60u);  // spread evenly: evaluated image 6 is data set image 60
  Baseline again = parse_baseline(to_json(b), "b.json");
  EXPECT_EQ(again.golden_outputs, b.golden_outputs);
  CheckResult c = check(again, r, nullptr, "");
  EXPECT_TRUE(c.passed()) << to_text(c);
}

TEST(Check, ATop1DropBeyondTheToleranceFailsAndSaysByHowMuch) {
  Baseline b = make_baseline(report(100, 0.80), "m", nullptr, "", nullptr);
  EXPECT_TRUE(check(b, report(100, 0.796), nullptr, "").passed());  // −0.4 points: within 0.5
  CheckResult c = check(b, report(100, 0.79), nullptr, "");
  EXPECT_FALSE(c.passed());
  EXPECT_NE(to_text(c).find("FAIL  top-1           79.00% against the baseline's 80.00% (-1.00 points"), std::string::npos)
      << to_text(c);
}

TEST(Check, AGoldenOutputOffByOneLsbFailsNamingTheImage) {
  EvalReport r = report(100, 0.8);
  Baseline b = make_baseline(r, "m", nullptr, "", nullptr);
  r.outputs[12 * 3 + 1] += 0.125f;  // evaluated image 12 (data set image 120) is golden
  CheckResult c = check(b, r, nullptr, "");
  EXPECT_FALSE(c.passed());
  EXPECT_NE(to_text(c).find("differ: image 120"), std::string::npos) << to_text(c);
}

TEST(Check, AgreementUnderTheThresholdFails) {
  EvalReport r = report(100, 0.8);
  Comparison then{100, 95, 0.95, 0, 0}, now{100, 90, 0.90, 0, 0};
  Baseline b = make_baseline(r, "m", &r, "float", &then);
  EXPECT_NEAR(*b.min_agreement, 0.945, 1e-12);
  EXPECT_TRUE(check(b, r, &then, "").passed());
  CheckResult c = check(b, r, &now, "");
  EXPECT_FALSE(c.passed());
  EXPECT_NE(to_text(c).find("FAIL  agreement"), std::string::npos) << to_text(c);
  EXPECT_FALSE(check(b, r, nullptr, "").passed()) << "a baseline with a reference needs one";
}

TEST(Check, AChangedModelHashIsANoteNotAFailure) {
  EvalReport r = report(10, 0.5);
  Baseline b = make_baseline(r, "m", nullptr, "", nullptr);
  b.model_sha256 = std::string(64, 'a');
  CheckResult c = check(b, r, nullptr, std::string(64, 'b'));
  EXPECT_TRUE(c.passed());
  ASSERT_EQ(c.notes.size(), 1u);
}

TEST(Check, ForeignOrDamagedBaselinesAreRefusedByName) {
  auto good = nlohmann::json::parse(to_json(make_baseline(report(10, 0.5), "m", nullptr, "", nullptr)));
  auto refused = [](const std::string& text) {
    try {
      parse_baseline(text, "x.json");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos) << e.what();
      return std::string(e.what());
    }
    ADD_FAILURE() << "accepted: " << text;
    return std::string();
  };
  refused("");
  refused("{\"dpurun_version\": 1}");
  EXPECT_NE(refused("[1, 2]").find("not a dpurun baseline"), std::string::npos);
  auto j = good;
  j["run"].erase("batch");
  EXPECT_NE(refused(j.dump()).find("run.batch"), std::string::npos);
  j = good;
  j["top1"] = 7;
  EXPECT_NE(refused(j.dump()).find("top1 must be a fraction"), std::string::npos);
  j = good;
  j["golden"]["outputs"][0]["output"] = "many";
  refused(j.dump());
  // Found by fuzz_baseline: a float too large for the integer field was converted unchecked.
  j = good;
  j["images"] = 1.87889e+35;
  EXPECT_NE(refused(j.dump()).find("\"images\""), std::string::npos);
  j = good;
  j["golden"]["outputs"][0]["image"] = -1;
  refused(j.dump());
  j = good;
  j["run"]["batch"] = 2.5;
  refused(j.dump());
  j = good;
  j["dpurun_baseline"] = 99;
  EXPECT_NE(refused(j.dump()).find("format 99"), std::string::npos);
}

std::string baseline(const std::string& name) { return std::string(DPURUN_SOURCE_DIR) + "/models/baselines/" + name; }

// The ResNet's float graph with `change` applied to the weights of the first Const node whose
// name contains `node`, written to the test's directory.
std::string perturbed_resnet(const std::string& node, const std::function<void(float*, std::size_t)>& change) {
  loaders::tf::GraphDef g;
  {
    std::ifstream in(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"), std::ios::binary);
    if (!g.ParseFromIstream(&in)) return "";
  }
  bool changed = false;
  for (auto& n : *g.mutable_node()) {
    if (n.op() != "Const" || n.name().find(node) == std::string::npos) continue;
    auto& t = *(*n.mutable_attr())["value"].mutable_tensor();
    if (t.tensor_content().size() < 4 * 10) continue;
    std::string bytes = t.tensor_content();
    change(reinterpret_cast<float*>(bytes.data()), bytes.size() / 4);
    t.set_tensor_content(bytes);
    changed = true;
    break;
  }
  if (!changed) return "";
  auto path = test::temp_dir() / "float_frozen.pb";
  std::ofstream out(path, std::ios::binary);
  return g.SerializeToOstream(&out) ? path.string() : "";
}

TEST(CheckCli, OneChangedWeightFailsTheGoldenOutputs) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  // The first convolution's largest weight, negated.
  auto model = perturbed_resnet("conv", [](float* w, std::size_t n) {
    std::size_t k = 0;
    for (std::size_t i = 1; i < n; ++i)
      if (std::abs(w[i]) > std::abs(w[k])) k = i;
    w[k] = -w[k];
  });
  ASSERT_FALSE(model.empty());
  auto res = test::run_cli("check " + baseline("tf-resnet56-cifar10-float.json") + " --model " + model);
  EXPECT_EQ(res.exit_code, 1) << res.output;
  EXPECT_NE(res.output.find("FAIL  golden outputs"), std::string::npos) << res.output;
  EXPECT_NE(res.output.find("differ: image"), std::string::npos) << res.output;
  EXPECT_NE(res.output.find("note  the model file differs"), std::string::npos) << res.output;
}

// A change too small to move top-1 past its tolerance is still caught by the golden outputs.
TEST(CheckCli, ASmallChangeThatAccuracyMissesFailsTheGoldenOutputs) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto model = perturbed_resnet("fc10/bias", [](float* b, std::size_t) { b[3] += 0.02f; });  // class 3's logit
  ASSERT_FALSE(model.empty());
  auto res = test::run_cli("check " + baseline("tf-resnet56-cifar10-float.json") + " --model " + model);
  EXPECT_EQ(res.exit_code, 1) << res.output;
  EXPECT_NE(res.output.find("ok    top-1"), std::string::npos) << res.output;
  EXPECT_NE(res.output.find("FAIL  golden outputs"), std::string::npos) << res.output;
}

TEST(CheckCli, WrongChannelOrderFails) {
  DPURUN_REQUIRE_SHARED(test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto manifest = nlohmann::json::parse(test::read_file(std::string(DPURUN_SOURCE_DIR) + "/models/lenet-cifar10-vck190.json"));
  const std::string order = manifest["preprocess"].value("channel_order", "BGR");
  manifest["preprocess"]["channel_order"] = order == "RGB" ? "BGR" : "RGB";
  auto path = test::temp_dir() / "lenet-swapped.json";
  test::write_file(path, manifest.dump());
  auto res = test::run_cli("check " + baseline("lenet-cifar10-vck190-quantized.json") + " --manifest " + path.string());
  EXPECT_EQ(res.exit_code, 1) << res.output;
  EXPECT_NE(res.output.find("FAIL  golden outputs"), std::string::npos) << res.output;
}

TEST(CheckCli, ErrorsOfUseExitTwo) {
  auto missing = test::run_cli("check /nonexistent/baseline.json");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/baseline.json: no such baseline file"), std::string::npos) << missing.output;
  auto path = test::temp_dir() / "foreign.json";
  test::write_file(path, "{\"name\": \"a manifest, not a baseline\"}");
  auto foreign = test::run_cli("check " + path.string());
  EXPECT_EQ(foreign.exit_code, 2) << foreign.output;
  EXPECT_NE(foreign.output.find("not a dpurun baseline"), std::string::npos) << foreign.output;
  EXPECT_EQ(test::run_cli("check").exit_code, 2);
}

}  // namespace
}  // namespace dpurun

// The dpurun program as a user runs it: exit codes and messages, and the JSON report.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "dpurun/backends.h"
#include "support/test_env.h"
#include "support/tf_graph_builder.h"

extern char** environ;

namespace dpurun {
namespace {

using test::run_cli;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Cli, UnknownOptionIsAUsageError) {
  auto r = run_cli("eval --bogus 3");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--bogus")) << r.output;
  r = run_cli("");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_cli("eval --batch 0");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(Cli, MissingDataDirectorySaysHowToGetData) {
  auto r = run_cli("eval --data /nonexistent/cifar");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "/nonexistent/cifar")) << r.output;
  EXPECT_TRUE(contains(r.output, "get-cifar10.sh")) << r.output;
}

TEST(Cli, UnknownModelListsKnownOnes) {
  auto r = run_cli("eval --model no-such-model");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "tf-resnet56-cifar10")) << r.output;
}

TEST(Cli, TruncatedModelFile) {
  auto model = test::shared("models/tf-resnet56-cifar10/float_frozen.pb");
  DPURUN_REQUIRE_SHARED(model);
  auto path = test::temp_dir() / "truncated.pb";
  test::write_file(path, test::read_file(model).substr(0, 100000));
  auto r = run_cli("eval --model " + path.string() + " --manifest " DPURUN_SOURCE_DIR
                   "/models/tf-resnet56-cifar10.json -n 10");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, path.string())) << r.output;
  EXPECT_TRUE(contains(r.output, "not a TensorFlow GraphDef")) << r.output;
}

TEST(Cli, ModelWhoseClassesDoNotMatchTheData) {
  DPURUN_REQUIRE_SHARED(test::shared("models/mnist-tf1-zcu104/DigitRecognitiion_model.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  // MNIST digits "0".."9" against CIFAR-10's airplane…truck.
  auto r = run_cli("eval --model mnist-tf1-zcu104 -n 10");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "\"airplane\"")) << r.output;
}

TEST(Cli, ModelWhoseInputShapeDoesNotFitTheData) {
  auto model = test::shared("models/mnist-tf1-zcu104/DigitRecognitiion_model.pb");
  DPURUN_REQUIRE_SHARED(model);
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  // The 28×28 grayscale MNIST model, told that its classes are CIFAR-10's, over 32×32 images.
  auto manifest = test::temp_dir() / "mnist-as-cifar.json";
  test::write_file(manifest, R"({"files": {"float": ")" + model + R"("},
    "preprocess": {"channel_order": "GRAY"},
    "classes": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]})");
  auto r = run_cli("eval --model " + manifest.string() + " -n 10");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "32x32")) << r.output;
  EXPECT_TRUE(contains(r.output, "28x28")) << r.output;
  EXPECT_TRUE(contains(r.output, ".jpg")) << "names the image: " << r.output;
}

TEST(Cli, UnreadableImageIsNamed) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  auto dir = test::temp_dir();
  cv::Mat img(32, 32, CV_8UC3, cv::Scalar(1, 2, 3));
  std::filesystem::create_directories(dir / "cat");
  cv::imwrite((dir / "cat/ok.png").string(), img);
  test::write_file(dir / "cat/zz_corrupt.jpg", "\xff\xd8\xff\xe0 not really a jpeg");
  auto r = run_cli("eval --data " + dir.string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "zz_corrupt.jpg")) << r.output;
  EXPECT_FALSE(contains(r.output, "top-1")) << "no partial results: " << r.output;
}

// --keep-going: the run goes on past the corrupt image, and the report says it is incomplete.
TEST(Cli, KeepGoingReportsTheFailedImageAndExitsNonZero) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  auto dir = test::temp_dir();
  cv::Mat img(32, 32, CV_8UC3, cv::Scalar(1, 2, 3));
  std::filesystem::create_directories(dir / "cat");
  for (int i = 0; i < 5; ++i) cv::imwrite((dir / ("cat/ok" + std::to_string(i) + ".png")).string(), img);
  test::write_file(dir / "cat/zz_corrupt.jpg", "\xff\xd8\xff\xe0 not really a jpeg");
  auto json_path = dir / "report.json";
  auto r = run_cli("eval --keep-going -b 2 --data " + dir.string() + " --json " + json_path.string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "INCOMPLETE: 5 of 6 images ran; 1 failed")) << r.output;
  EXPECT_TRUE(contains(r.output, "zz_corrupt.jpg")) << r.output;
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["images"], 5);
  ASSERT_EQ(j["incomplete"]["failed_images"].size(), 1u);
  EXPECT_TRUE(contains(j["incomplete"]["failed_images"][0]["file"].get<std::string>(), "zz_corrupt.jpg"));
}

// Isolated runners whose worker aborts on every 4th job (dpurun-test-worker standing in for
// dpurun-worker): of 10 images at batch 1, the 4th and the 8th job die with their worker; the
// run goes on in restarted workers and the report lists exactly those two images as failed.
TEST(Cli, AnAbortingIsolatedRunnerCostsOnlyItsImages) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  auto dir = test::temp_dir();
  std::filesystem::create_directories(dir / "cat");
  for (int i = 0; i < 10; ++i)
    cv::imwrite((dir / ("cat/" + std::to_string(i) + ".png")).string(), cv::Mat(32, 32, CV_8UC3, cv::Scalar(i, 2, 3)));
  auto json_path = dir / "report.json";
  const char* test_worker = std::getenv("DPURUN_TEST_WORKER");  // set under an emulator
  setenv("DPURUN_WORKER", test_worker ? test_worker : DPURUN_TEST_WORKER_PROGRAM, 1);
  setenv("DPURUN_TEST_ABORT_EVERY", "4", 1);
  auto r = run_cli("eval --isolate --keep-going -t 1 -b 1 --data " + dir.string() + " --json " + json_path.string());
  unsetenv("DPURUN_WORKER");
  unsetenv("DPURUN_TEST_ABORT_EVERY");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "INCOMPLETE: 8 of 10 images ran; 2 failed")) << r.output;
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["images"], 8);
  EXPECT_EQ(j["incomplete"]["not_run"], 0);
  const auto& failed = j["incomplete"]["failed_images"];
  ASSERT_EQ(failed.size(), 2u) << failed.dump();
  EXPECT_NE(failed[0]["file"], failed[1]["file"]);
  for (const auto& f : failed)
    EXPECT_TRUE(contains(f["error"].get<std::string>(), "killed by signal 6")) << f.dump();
}

TEST(Cli, DpuBackendWithoutVartSaysHowToGetTheSameNumbers) {
  if (have_vart()) GTEST_SKIP() << "this build has VART; tests/backends covers --backend dpu";
  auto r = run_cli("eval --backend dpu -n 10");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "built without VART")) << r.output;
  EXPECT_TRUE(contains(r.output, "--backend cpu")) << r.output;
  EXPECT_FALSE(contains(r.output, "top-1")) << r.output;
}

// A model whose ten outputs are always equal: every prediction is a tie, and ties go to the
// lowest class index (as argmax does), so top-1 is the share of class 0 in the images.
TEST(Cli, TiedOutputsPredictTheLowestClass) {
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  test::TfGraphBuilder g;
  g.placeholder("x", {-1, 32, 32, 3});
  auto& mean = g.op("mean", "Mean", {"x", g.int_constant("axes", {2}, {1, 2})});
  test::TfGraphBuilder::set_bool(mean, "keep_dims", false);
  g.op("logits", "MatMul", {"mean", g.constant("w", {3, 10}, std::vector<float>(30, 0.f))});
  g.op("prob", "Softmax", {"logits"});
  auto dir = test::temp_dir();
  test::write_file(dir / "tied.pb", g.bytes());
  test::write_file(dir / "tied.json", R"({"files": {"float": ")" + (dir / "tied.pb").string() + R"("},
    "classes": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]})");
  auto r = run_cli("eval -q -n 100 -b 7 --model " + (dir / "tied.json").string() + " --json " + (dir / "r.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(test::read_file(dir / "r.json"));
  for (int p : j["predictions"]["top1"]) ASSERT_EQ(p, 0);
  EXPECT_DOUBLE_EQ(j["accuracy"]["top1"].get<double>(), 0.1);  // 10 of the 100 spread images
}

// A model that is not a classifier ("output": {"kind": "tensor"}): eval runs it over images
// without labels or random inputs, reports no accuracy, and compares outputs with a reference.
// A classifier on images without labels is refused, saying what to do.
TEST(Cli, EvalOfAModelThatIsNotAClassifierComparesItsOutputs) {
  auto dir = test::temp_dir();
  std::filesystem::create_directories(dir / "images");
  for (int k = 0; k < 3; ++k) {
    cv::Mat img(4, 4, CV_8UC3, cv::Scalar(10 * k, 20 + k, 200 - k));
    ASSERT_TRUE(cv::imwrite((dir / "images" / (std::to_string(k) + ".png")).string(), img));
  }
  for (const auto& [name, op] : {std::pair{"relu", "Relu"}, std::pair{"tanh", "Tanh"}}) {
    test::TfGraphBuilder g;
    g.placeholder("x", {-1, 4, 4, 3});
    g.op("y", op, {"x"});
    test::write_file(dir / (std::string(name) + ".pb"), g.bytes());
  }
  test::write_file(dir / "relu.json", R"({"files": {"float": ")" + (dir / "relu.pb").string() + R"("},
    "output": {"kind": "tensor"}, "preprocess": {"scale": 0.00392156862745098}})");
  const std::string images = (dir / "images").string();
  auto r = run_cli("eval -q --model " + (dir / "relu.json").string() + " --data " + images + " --reference " +
                   (dir / "relu.json").string() + " --json " + (dir / "same.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "not a classifier")) << r.output;
  EXPECT_TRUE(contains(r.output, "identical outputs on 100.00% of images (3 / 3, 48 values each)")) << r.output;
  auto j = nlohmann::json::parse(test::read_file(dir / "same.json"));
  EXPECT_TRUE(j["model"]["accuracy"].is_null());
  EXPECT_FALSE(j["model"]["model"]["classifier"].get<bool>());
  EXPECT_EQ(j["agreement"]["identical_outputs"], 3);
  EXPECT_EQ(j["agreement"]["max_output_difference"], 0.0);
  // Another graph as the reference (tanh of the same inputs): no output identical.
  r = run_cli("eval -q --model " + (dir / "relu.json").string() + " --data " + images + " --reference " +
              (dir / "tanh.pb").string() + " --json " + (dir / "other.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = nlohmann::json::parse(test::read_file(dir / "other.json"));
  EXPECT_EQ(j["agreement"]["identical_outputs"], 0);
  EXPECT_GT(j["agreement"]["max_output_difference"].get<double>(), 0.01);
  EXPECT_TRUE(contains(r.output, "identical outputs on 0.00% of images (0 / 3")) << r.output;
  // Random inputs need no images at all.
  r = run_cli("eval -q --model " + (dir / "relu.json").string() + " --data random:5:1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "(random, 5 images)")) << r.output;
  // Outputs too many to keep for the comparison (100,000 × 12,288 values): refused before
  // anything runs, with the largest --limit that fits.
  test::TfGraphBuilder big;
  big.placeholder("x", {-1, 64, 64, 3});
  big.op("y", "Relu", {"x"});
  test::write_file(dir / "big.pb", big.bytes());
  test::write_file(dir / "big.json", R"({"files": {"float": ")" + (dir / "big.pb").string() + R"("}, "output": {"kind": "tensor"}})");
  r = run_cli("eval -q --model " + (dir / "big.json").string() + " --data random:100000");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "--limit 43690 or fewer")) << r.output;
  // The same images for a classifier: no labels, no accuracy.
  test::write_file(dir / "classifier.json", R"({"files": {"float": ")" + (dir / "relu.pb").string() + R"("}})");
  r = run_cli("eval -q --model " + (dir / "classifier.json").string() + " --data " + images);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, images)) << r.output;
  EXPECT_TRUE(contains(r.output, "accuracy needs labels")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"kind\": \"tensor\"")) << r.output;
}

// True once process `pid` catches SIGINT (its SigCgt mask in /proc/PID/status has bit 2).
bool catches_sigint(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("SigCgt:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1;
  return false;
}

// Starts the CLI with `args`, sends SIGINT `ms` after it has installed its handler (a slow
// start, e.g. under a sanitizer, must not turn the test into a kill), and returns its exit code
// (-1 when a signal killed it instead of a clean stop).
// `group`: SIGINT to the CLI's whole process group, as a terminal's Ctrl-C sends it.
int interrupted_exit(std::vector<std::string> args, int ms, bool group = false) {
  auto cli = test::cli_argv();
  args.insert(args.begin(), cli.begin(), cli.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (group) {
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  }
  const int rc = posix_spawn(&pid, cli[0].c_str(), nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return -2;
  for (int waited = 0; !catches_sigint(pid) && waited < 120000; waited += 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(group ? -pid : pid, SIGINT);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Ctrl-C during a run: running jobs finish, the report is written, marked incomplete and
// cancelled, and the exit code says the run was interrupted.
TEST(Cli, InterruptedEvalWritesAnIncompleteReport) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto json_path = test::temp_dir() / "interrupted.json";
  EXPECT_EQ(interrupted_exit({"eval", "-q", "--kernels", "reference", "-b", "8", "--json", json_path.string()}, 1500), 130);
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["incomplete"]["stop_reason"], "cancelled");
  EXPECT_LT(j["images"].get<int>(), 10000);
  EXPECT_EQ(j["predictions"]["top1"].size(), j["images"].get<std::size_t>());
}

// Ctrl-C reaches isolated runners' workers too (one process group); they leave it to dpurun, so
// the running jobs finish and no image is reported failed.
TEST(Cli, InterruptedIsolatedEvalLosesNoImage) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto json_path = test::temp_dir() / "interrupted.json";
  // A timeout no sanitizer build's reference kernels reach; under one, the interrupt may also come
  // before the first job.
  EXPECT_EQ(interrupted_exit({"eval", "-q", "--isolate", "--kernels", "reference", "-b", "2", "--timeout", "600000",
                              "--json", json_path.string()},
                             2000, true),
            130);
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["incomplete"]["stop_reason"], "cancelled");
  EXPECT_EQ(j["incomplete"]["failed_images"].size(), 0u) << j["incomplete"].dump();
}

TEST(Cli, EvalWritesACompleteJsonReport) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto json_path = test::temp_dir() / "report.json";
  auto r = run_cli("eval -n 64 -b 10 -t 2 --json " + json_path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "top-1")) << r.output;
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_EQ(j["settings"]["batch"], 10);
  EXPECT_EQ(j["settings"]["threads"], 2);
  EXPECT_EQ(j["settings"]["limit"], 64);
  EXPECT_EQ(j["images"], 64);
  EXPECT_TRUE(j["complete"].get<bool>());
  double top1 = j["accuracy"]["top1"];
  EXPECT_GT(top1, 0.5) << "a trained model on its own test set";
  EXPECT_LE(top1, j["accuracy"]["top5"].get<double>());
  std::int64_t total = 0, diagonal = 0;
  auto cm = j["accuracy"]["confusion_matrix"];
  ASSERT_EQ(cm.size(), 10u);
  for (std::size_t t = 0; t < 10; ++t)
    for (std::size_t p = 0; p < 10; ++p) {
      total += cm[t][p].get<std::int64_t>();
      if (t == p) diagonal += cm[t][p].get<std::int64_t>();
    }
  EXPECT_EQ(total, 64);
  EXPECT_EQ(diagonal, j["accuracy"]["top1_correct"].get<std::int64_t>());
  EXPECT_GT(j["throughput"]["images_per_second"].get<double>(), 0);
  EXPECT_EQ(j["latency_ms"]["per_batch"]["count"], 7);  // 64 images in batches of 10
  // Images spread over the set: every class appears.
  for (std::size_t t = 0; t < 10; ++t) {
    std::int64_t row = 0;
    for (std::size_t p = 0; p < 10; ++p) row += cm[t][p].get<std::int64_t>();
    EXPECT_GT(row, 0) << "class " << t;
  }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

TEST(Cli, EvalWithReferenceReportsBothAndTheirAgreement) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/quantize_eval_model.pb"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto json_path = test::temp_dir() / "report.json";
  auto r = test::run_cli("eval --model " + test::shared("models/tf-resnet56-cifar10/quantize_eval_model.pb") +
                         " --reference " + test::shared("models/tf-resnet56-cifar10/float_frozen.pb") +
                         " -n 100 --json " + json_path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("int8 (DPU emulation)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("agreement"), std::string::npos) << r.output;
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_EQ(j["model"]["model"]["arithmetic"], "int8 (DPU emulation)");
  EXPECT_EQ(j["reference"]["model"]["arithmetic"], "float32");
  EXPECT_EQ(j["agreement"]["images"], 100);
  // Recompute the agreement from the per-image predictions both reports carry.
  auto a = j["model"]["predictions"]["top1"], b = j["reference"]["predictions"]["top1"];
  int same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_EQ(j["agreement"]["identical_top1"], same);
  EXPECT_GT(same, 80);
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

TEST(Cli, InspectTextAndJson) {
  auto path = test::shared("models/lenet-cifar10-vck190/LeNet.xmodel");
  DPURUN_REQUIRE_SHARED(path);
  auto r = test::run_cli("inspect " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("DPUCVDX8G_ISA3_C32B3_0603000B16013831"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fingerprint 0x603000b16013831"), std::string::npos) << r.output;
  r = test::run_cli("inspect --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["kind"], "compiled");
  EXPECT_EQ(j["subgraphs"][1]["device"], "DPU");
  EXPECT_EQ(j["subgraphs"][1]["dpu_fingerprint"], "0x603000b16013831");
  EXPECT_EQ(j["cpu_reference"]["runnable"], true);
  EXPECT_EQ(j["subgraphs"][1]["parameters"], "67392 bytes");
}

TEST(Cli, InspectBadFiles) {
  auto r = test::run_cli("inspect /nonexistent/model.xmodel");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/model.xmodel"), std::string::npos) << r.output;
  auto path = test::temp_dir() / "junk.xmodel";
  test::write_file(path, "junk that is not protobuf \xff\xff\xff");
  r = test::run_cli("inspect " + path.string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("not an XIR .xmodel"), std::string::npos) << r.output;
  r = test::run_cli("inspect");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// The compiled variant runs the file itself; --weights-from still runs its quantized model's
// weights instead, and both give the same top-1.
TEST(Cli, CompiledVariantRunsTheFileItselfOrTheWeightsItIsGiven) {
  DPURUN_REQUIRE_SHARED(test::shared("models/lenet-cifar10-vck190/LeNet.xmodel"));
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto alone = test::temp_dir() / "alone.json", paired = test::temp_dir() / "paired.json";
  auto r = test::run_cli("eval --model lenet-cifar10-vck190 --variant compiled -n 50 -q --json " + alone.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cli("eval --model lenet-cifar10-vck190 --variant compiled -n 50 -q --weights-from " +
                    test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel") + " --json " + paired.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto a = nlohmann::json::parse(test::read_file(alone)), b = nlohmann::json::parse(test::read_file(paired));
  EXPECT_EQ(a["settings"]["weights_from"].get<std::string>(), "");
  EXPECT_NE(b["settings"]["weights_from"].get<std::string>().find("LeNet_int.xmodel"), std::string::npos);
  EXPECT_EQ(a["model"]["arithmetic"], "int8 (DPU emulation)");
  EXPECT_EQ(a["accuracy"]["top1"], b["accuracy"]["top1"]);
  EXPECT_EQ(a["predictions"], b["predictions"]);
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// The input conversion as a board app does it: from the manifest, overridden on the command
// line, the same for a reference, printed and in the JSON; a baseline keeps it for `check`.
TEST(Cli, InputConversionFromTheManifestOrTheCommandLine) {
  DPURUN_REQUIRE_SHARED(test::shared("models/mnist-cnn-kv260/CNN_kv260.xmodel"));
  DPURUN_REQUIRE_SHARED(test::shared("data/mnist-test-png"));
  const std::string mnist = " --data " + test::shared("data/mnist-test-png");
  auto dir = test::temp_dir();
  // The manifest's: its app truncates (astype(np.int8)).
  auto r = run_cli("eval -q --model mnist-cnn-kv260 -n 40" + mnist + " --json " + (dir / "a.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "input   int8 at fix point 6, converted by truncate-wrap")) << r.output;
  auto j = nlohmann::json::parse(test::read_file(dir / "a.json"));
  EXPECT_EQ(j["model"]["preprocessing"]["input_conversion"], "truncate-wrap");
  EXPECT_EQ(j["settings"]["input_conversion"], "");
  // Overridden, for the compiled model and its reference alike: one int8 tensor feeds both.
  r = run_cli("eval -q --model mnist-cnn-kv260 --variant compiled --reference quantized --input-conversion round -n 40" +
              mnist + " --json " + (dir / "b.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = nlohmann::json::parse(test::read_file(dir / "b.json"));
  EXPECT_EQ(j["model"]["model"]["preprocessing"]["input_conversion"], "round");
  EXPECT_EQ(j["reference"]["model"]["preprocessing"]["input_conversion"], "round");
  EXPECT_EQ(j["model"]["settings"]["input_conversion"], "round");
  EXPECT_EQ(j["agreement"]["max_output_difference"], 0.0);
  // A float model takes no int8: the report says the setting did not apply.
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  r = run_cli("eval -q -n 8 --input-conversion truncate --json " + (dir / "c.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "input   float32")) << r.output;
  j = nlohmann::json::parse(test::read_file(dir / "c.json"));
  EXPECT_TRUE(j["model"]["preprocessing"]["input_conversion"].is_null());
  // inspect says which conversion eval uses for a file a manifest lists.
  r = run_cli("inspect " + test::shared("models/mnist-cnn-kv260/CNN_kv260.xmodel"));
  EXPECT_TRUE(contains(r.output, "manifest mnist-cnn-kv260")) << r.output;
  EXPECT_TRUE(contains(r.output, "int8 input converted by truncate-wrap")) << r.output;
  j = nlohmann::json::parse(run_cli("inspect --json " + test::shared("models/mnist-cnn-kv260/CNN_int.xmodel")).output);
  EXPECT_EQ(j["manifest"]["input_conversion"], "truncate-wrap");
  EXPECT_EQ(j["manifest"]["variant"], "quantized");
  // Unknown names are usage errors that say what is accepted.
  r = run_cli("eval -n 8 --input-conversion floor");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--input-conversion: unknown input conversion 'floor'")) << r.output;
  EXPECT_TRUE(contains(r.output, "truncate-wrap")) << r.output;
  r = run_cli("eval -n 8 --resize-interpolation lanczos");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "nearest, linear, area or cubic")) << r.output;
  // A baseline keeps the override, and check runs with it: the golden outputs match only so.
  auto base = (dir / "base.json").string();
  r = run_cli("eval -q --model mnist-cnn-kv260 --input-conversion half-even -n 40" + mnist + " --save-baseline " + base);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(test::read_file(base))["run"]["input_conversion"], "half-even");
  r = run_cli("check " + base + mnist);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto b = nlohmann::json::parse(test::read_file(base));
  b["run"]["input_conversion"] = "truncate";  // the golden outputs were made with rounding
  test::write_file(dir / "other.json", b.dump());
  r = run_cli("check " + (dir / "other.json").string() + mnist);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "golden")) << r.output;
  b["run"]["input_conversion"] = "floor";
  test::write_file(dir / "bad.json", b.dump());
  r = run_cli("check " + (dir / "bad.json").string() + mnist);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown input conversion 'floor'")) << r.output;
}

TEST(CliBench, SweepWritesJsonCsvAndHtmlWithEverySetting) {
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto dir = test::temp_dir();
  auto res = test::run_cli("bench -q --limit 64 --threads 1..2 --batch 4 --warmup 0.05 --min-duration 0.1 --min-count 40 "
                           "--input-cache decoded --json " + (dir / "b.json").string() + " --csv " +
                           (dir / "b.csv").string() + " --html " + (dir / "b.html").string());
  ASSERT_EQ(res.exit_code, 0) << res.output;
  auto j = nlohmann::json::parse(test::read_file(dir / "b.json"));
  EXPECT_TRUE(j["complete"].get<bool>());
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][1]["threads"], 2);
  EXPECT_EQ(j["settings"]["input_cache"], "decoded");
  EXPECT_EQ(j["settings"]["scenario"]["min_count"], 40);
  EXPECT_EQ(j["data"]["images"], 64);
  auto sha = test::run_command("sha256sum " + j["model"]["file"].get<std::string>());
  EXPECT_EQ(sha.output.substr(0, 64), j["model"]["sha256"].get<std::string>());
  EXPECT_GT(j["machine"]["cores"].get<int>(), 0);
  for (const auto& p : j["points"]) {
    EXPECT_GE(p["queries"]["measured"].get<int>(), 40);
    EXPECT_EQ(p["stages_ms"]["decode_per_image"]["count"], 0) << "decoded images are cached";
    EXPECT_GT(p["stages_ms"]["runner_per_job"]["count"].get<int>(), 0);
    EXPECT_GT(p["images_per_second"].get<double>(), 0);
    EXPECT_EQ(p["images_per_runner"].size(), p["threads"].get<std::size_t>());
  }
  auto csv = test::read_file(dir / "b.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;  // header and two points
  EXPECT_NE(test::read_file(dir / "b.html").find("<svg class=\"chart\""), std::string::npos);
}

TEST(CliBench, InterruptedBenchWritesAnIncompleteReport) {
  DPURUN_REQUIRE_SHARED(test::shared("models/lenet-cifar10-vck190/LeNet_int.xmodel"));  // loads fast, even under TSan
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto json_path = test::temp_dir() / "interrupted.json";
  EXPECT_EQ(interrupted_exit({"bench", "-q", "--model", "lenet-cifar10-vck190", "--limit", "100", "--threads", "1..3",
                              "--batch", "4", "--warmup", "0", "--min-duration", "600", "--json", json_path.string()},
                             2000),
            130);
  auto j = nlohmann::json::parse(test::read_file(json_path));
  EXPECT_FALSE(j["complete"].get<bool>());
  ASSERT_EQ(j["points"].size(), 1u) << "the later points of the sweep never started";
  EXPECT_FALSE(j["points"][0]["complete"].get<bool>());
  EXPECT_EQ(j["points"][0]["incomplete"]["stop_reason"], "cancelled");
  EXPECT_GT(j["points"][0]["queries"]["measured"].get<int>(), 0);
}

// A corrupt image stops the sweep at the first point, naming it; with --keep-going every point
// runs, and each is reported incomplete with its failed queries.
TEST(CliBench, ACorruptImageIsNamedAndStopsTheSweepUnlessKeepGoing) {
  DPURUN_REQUIRE_SHARED(test::shared("models/tf-resnet56-cifar10/float_frozen.pb"));
  auto dir = test::temp_dir();
  cv::Mat img(32, 32, CV_8UC3, cv::Scalar(1, 2, 3));
  std::filesystem::create_directories(dir / "data/cat");
  for (int i = 0; i < 5; ++i) cv::imwrite((dir / ("data/cat/ok" + std::to_string(i) + ".png")).string(), img);
  test::write_file(dir / "data/cat/zz_corrupt.jpg", "\xff\xd8\xff\xe0 not really a jpeg");
  const std::string common = "bench -q --data " + (dir / "data").string() +
                             " --threads 1..2 --batch 2 --warmup 0 --min-duration 0 --min-count 12 --json ";
  auto stop = test::run_cli(common + (dir / "stop.json").string());
  EXPECT_EQ(stop.exit_code, 3) << stop.output;
  EXPECT_TRUE(contains(stop.output, "zz_corrupt.jpg")) << stop.output;
  auto j = nlohmann::json::parse(test::read_file(dir / "stop.json"));
  EXPECT_FALSE(j["complete"].get<bool>());
  ASSERT_EQ(j["points"].size(), 1u);
  EXPECT_TRUE(contains(j["points"][0]["incomplete"]["failures"][0]["error"].get<std::string>(), "zz_corrupt.jpg"));

  auto going = test::run_cli(common + (dir / "going.json").string() + " --keep-going");
  EXPECT_EQ(going.exit_code, 3) << going.output;
  auto k = nlohmann::json::parse(test::read_file(dir / "going.json"));
  ASSERT_EQ(k["points"].size(), 2u);
  for (const auto& p : k["points"]) {
    EXPECT_FALSE(p["complete"].get<bool>());
    EXPECT_GT(p["queries"]["failed"].get<int>(), 0);
    EXPECT_GT(p["queries"]["completed"].get<int>(), 0);
  }
}

TEST(CliBench, BadSettingsAreRefusedBeforeAnythingRuns) {
  auto a = test::run_cli("bench --threads 1..x");
  EXPECT_EQ(a.exit_code, 2) << a.output;
  EXPECT_NE(a.output.find("--threads '1..x'"), std::string::npos) << a.output;
  auto b = test::run_cli("bench --scenario server --latency-bound 5");
  EXPECT_EQ(b.exit_code, 2) << b.output;
  EXPECT_NE(b.output.find("--target-qps"), std::string::npos) << b.output;
  auto c = test::run_cli("bench --scenario online");
  EXPECT_EQ(c.exit_code, 2) << c.output;
  auto d = test::run_cli("bench --input-cache everything");
  EXPECT_EQ(d.exit_code, 2) << d.output;
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// The CLI with DPURUN_MODELS at an empty folder: no manifest lists any file.
test::CliResult run_cli_without_manifests(const std::string& args) {
  auto empty = test::temp_dir() / "no-manifests";
  std::filesystem::create_directories(empty);
  std::string cmd = "DPURUN_MODELS=" + empty.string() + " ";
  for (const auto& a : test::cli_argv()) cmd += a + " ";
  return test::run_command(cmd + args);
}

std::vector<int> top1_predictions(const std::filesystem::path& report) {
  return nlohmann::json::parse(test::read_file(report))["predictions"]["top1"].get<std::vector<int>>();
}

TEST(Cli, AModelNoManifestListsRunsWithItsPreprocessingOnTheCommandLine) {
  const auto model = test::shared("models/tf-resnet56-cifar10/quantize_eval_model.pb");
  DPURUN_REQUIRE_SHARED(model);
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  const auto dir = test::temp_dir();
  // Without its preprocessing it is refused, saying how to give it.
  auto r = run_cli_without_manifests("eval -q -n 10 --model " + model);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "no manifest")) << r.output;
  EXPECT_TRUE(contains(r.output, "--per-image-standardization")) << r.output;

  // With it, the same predictions as its manifest gives, and the data set's class names.
  r = run_cli_without_manifests("eval -q -n 100 --per-image-standardization --model " + model + " --json " +
                                (dir / "cli.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_cli("eval -q -n 100 --model tf-resnet56-cifar10 --variant quantized --json " + (dir / "manifest.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = top1_predictions(dir / "manifest.json");
  ASSERT_EQ(expected.size(), 100u);
  EXPECT_EQ(top1_predictions(dir / "cli.json"), expected);
  auto j = nlohmann::json::parse(test::read_file(dir / "cli.json"));
  EXPECT_TRUE(j["accuracy"]["per_class_top1"].contains("airplane")) << j["accuracy"].dump();
  EXPECT_EQ(j["model"]["preprocessing"]["per_image_standardization"], true);

  // Written out as a manifest, it loads back to the same run.
  const auto manifest = dir / "written.json";
  r = run_cli_without_manifests("eval --per-image-standardization --model " + model + " --write-manifest " +
                                manifest.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto m = nlohmann::json::parse(test::read_file(manifest));
  EXPECT_EQ(m["preprocess"]["per_image_standardization"], true);
  EXPECT_EQ(m["preprocess"]["input_conversion"], "round");
  r = run_cli_without_manifests("eval -q -n 100 --model " + manifest.string() + " --json " +
                                (dir / "written-run.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(top1_predictions(dir / "written-run.json"), expected);
}

TEST(Cli, AManifestIsTakenByNameAsWellAsByPath) {
  const auto model = test::shared("models/tf-resnet56-cifar10/float_frozen.pb");
  DPURUN_REQUIRE_SHARED(model);
  DPURUN_REQUIRE_SHARED(test::shared("data/cifar10-test-jpg"));
  auto r = run_cli("eval -q -n 8 --model " + model + " --manifest tf-resnet56-cifar10");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_cli("eval -q -n 8 --model " + model + " --manifest no-such-manifest");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "--manifest no-such-manifest: no such manifest file or name")) << r.output;
  EXPECT_TRUE(contains(r.output, "tf-resnet56-cifar10")) << r.output;  // the known ones
}

TEST(Cli, PreprocessingOptionsThatCannotBeRightAreUsageErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"--mean 1,2", "--mean: 2 values for 3 channel(s)"},
      {"--std 0", "--std: must be finite and not 0"},
      {"--channel-order gray --mean 1,2,3", "--mean: 3 values for 1 channel(s)"},
      {"--scale 1/0", "--scale: '1/0' is not"},
      {"--scale abc", "--scale: 'abc' is not"},
      {"--resize 32", "--resize: '32' is not HEIGHTxWIDTH"},
      {"--channel-order xyz", "--channel-order"},
      {"--output-kind odds", "--output-kind"},
  };
  for (const auto& [args, says] : cases) {
    auto r = run_cli(std::string("eval -n 4 ") + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, says)) << args << "\n" << r.output;
  }
}

TEST(Cli, InspectTakesTheWeightsOfAKerasArchitecture) {
  const auto dir = test::shared("models/keras-h5/hls4ml-example-models");
  DPURUN_REQUIRE_SHARED(dir);
  const std::string arch = dir + "/KERAS_conv2d_model.json", weights = dir + "/KERAS_conv2d_model_weights.h5";
  auto r = run_cli("inspect " + arch);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--weights")) << r.output;
  r = run_cli("inspect --json " + arch + " --weights " + weights);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["cpu_reference"]["runnable"], true) << r.output;
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({-1, 8, 8, 1})) << r.output;
}

}  // namespace
}  // namespace dpurun

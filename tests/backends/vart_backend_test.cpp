// The VART backend through VART's own API, with its dummy runner standing in for the DPU (it
// takes the subgraph's tensors, sleeps, and leaves the outputs as they were). Built where VART
// and XIR are found.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "dpurun/backends.h"
#include "dpurun/custom_op.h"
#include "dpurun/doctor.h"
#include "dpurun/error.h"
#include "dpurun/pool.h"
#include "dpurun/runner.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

const char* kDummy = "libvart-dummy-runner.so";

// Whether VART's DPU runner library is installed here (the Vitis AI docker, a board image): then
// VART gets as far as looking for a DPU device, and without one would end the process.
bool dpu_runner_library_here() {
  void* h = dlopen("libvart-dpu-runner.so", RTLD_LAZY | RTLD_LOCAL);
  if (h) dlclose(h);
  return h != nullptr;
}

std::vector<std::unique_ptr<Runner>> dpu_runners(const std::string& model, int n, const std::string& lib = kDummy) {
  BackendOptions o;
  o.name = "dpu";
  o.runners = n;
  o.vart_dpu_lib = lib;
  return make_runners(model, o);
}

TEST(VartBackend, CompiledLeNetRunsThroughVartWithTheDummyRunner) {
  const auto model = test::shared("models/lenet-cifar10-vck190/LeNet.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  auto runners = dpu_runners(model, 2);
  ASSERT_EQ(runners.size(), 2u);
  const TensorInfo& in = runners[0]->input_tensors().at(0);
  // The DPU subgraph's input, as the compiler wrote it: int8 NHWC at fix point 6.
  EXPECT_EQ(in.type, DataType::kInt8);
  EXPECT_EQ(in.shape, (Shape{1, 32, 32, 3}));
  EXPECT_EQ(in.fix_point, 6);
  // The CPU subgraph (fix2float) turns the DPU's int8 logits into floats.
  const TensorInfo& out = runners[0]->output_tensors().at(0);
  EXPECT_EQ(out.type, DataType::kFloat32);
  EXPECT_EQ(element_count(out.shape), 10);
  EXPECT_NE(runners[0]->name().find("DPUCVDX8G"), std::string::npos) << runners[0]->name();

  std::vector<Runner*> raw{runners[0].get(), runners[1].get()};
  std::mutex m;
  std::vector<int> seen(25, 0);
  auto load = [](std::size_t i, const TensorInfo& t, std::byte* dst) {
    std::memset(dst, static_cast<int>(i), static_cast<std::size_t>(element_count(Shape(t.shape.begin() + 1, t.shape.end()))));
  };
  auto sink = [&](std::size_t i, const float* y, std::size_t n) {
    std::lock_guard lock(m);
    seen[i]++;
    EXPECT_EQ(n, 10u);
    // The dummy runner writes nothing: the zeroed output, through fix2float, stays 0.
    for (std::size_t c = 0; c < n; ++c) EXPECT_EQ(y[c], 0.f);
  };
  PoolStats s = run_pool(raw, 25, load, sink);
  EXPECT_TRUE(s.complete()) << s.stop_reason;
  EXPECT_EQ(s.jobs, 25u);
  for (int v : seen) EXPECT_EQ(v, 1);
  // The dummy runner sleeps DUMMY_RUNNER_PROCESS_TIME (2 ms) per job: the runner time is the
  // device's, and end to end includes it.
  for (std::size_t j = 0; j < s.jobs; ++j) EXPECT_GE(s.end_to_end_ms[j], s.device_ms[j]);
}

TEST(VartBackend, TheCustomOpModelNamesItsCustomOp) {
  const auto model = test::shared("models/mnist-custom-op-tf2/zcu102_zcu104_kv260__tf2_custom_op.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  try {
    dpu_runners(model, 1);
    FAIL() << "a model with an unimplemented custom op was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    std::string m = e.what();
    EXPECT_NE(m.find("'custom_layer' (Mylayer)"), std::string::npos) << m;
  }
}

// DPU → CPU (fix2float, Mylayer, float2fix) → DPU → CPU (fix2float), with Mylayer registered.
TEST(VartBackend, DpuCpuDpuChainRunsWithARegisteredCustomOp) {
  const auto model = test::shared("models/mnist-custom-op-tf2/zcu102_zcu104_kv260__tf2_custom_op.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  std::atomic<int> calls{0};
  std::mutex m;
  Shape seen_shape;
  register_custom_op("Mylayer", [&](const CustomOpCall& c) {
    ++calls;
    std::lock_guard lock(m);
    seen_shape = c.input_shapes[0];
    for (std::int64_t i = 0; i < element_count(c.output_shape); ++i) c.output[i] = c.inputs[0][i];
  });
  auto runners = dpu_runners(model, 2);
  register_custom_op("Mylayer", nullptr);
  const TensorInfo& in = runners[0]->input_tensors().at(0);
  EXPECT_EQ(in.shape, (Shape{1, 28, 28, 1}));
  EXPECT_EQ(in.fix_point, -2);  // PROVENANCE: int8 = pixel · 2^-2
  EXPECT_EQ(element_count(runners[0]->output_tensors().at(0).shape), 10);
  std::vector<Runner*> raw{runners[0].get(), runners[1].get()};
  auto load = [](std::size_t, const TensorInfo&, std::byte*) {};
  std::atomic<int> delivered{0};
  PoolStats s = run_pool(raw, 12, load, [&](std::size_t, const float*, std::size_t) { ++delivered; });
  EXPECT_TRUE(s.complete()) << s.stop_reason;
  EXPECT_EQ(delivered.load(), 12);
  EXPECT_EQ(calls.load(), 12);  // once per job (batch 1): the CPU subgraph ran between the DPU ones
  EXPECT_EQ(seen_shape, (Shape{1, 2, 2, 64}));
}

TEST(VartBackend, NoDpuHereSaysWhichDpuTheModelWantsAndWhatToDo) {
  const auto model = test::shared("models/mnist-tf1-zcu104/digitRecognitiion.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  try {
    dpu_runners(model, 1, "");  // the model's own runner: libvart-dpu-runner.so, absent here
    FAIL() << "a DPU runner was created without a DPU";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kDevice);
    EXPECT_NE(m.find("DPUCZDX8G"), std::string::npos) << m;
    EXPECT_NE(m.find("fingerprint 0x"), std::string::npos) << m;
    EXPECT_NE(m.find("vai_c_xir"), std::string::npos) << m;
    EXPECT_NE(m.find("--backend cpu"), std::string::npos) << m;
    // With the library and no device, VART aborts the probe's worker process, not this one.
    if (dpu_runner_library_here()) {
      EXPECT_NE(m.find("no DPU device or driver here"), std::string::npos) << m;
      EXPECT_NE(m.find("killed by signal 6"), std::string::npos) << m;
    } else {
      EXPECT_NE(m.find("libvart-dpu-runner.so cannot be loaded"), std::string::npos) << m;
    }
  }
}

TEST(VartBackend, ABoardWhoseDpuDoesNotMatchIsToldSo) {
  const auto model = test::shared("models/mnist-tf1-zcu104/digitRecognitiion.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  std::string model_fingerprint;
  {
    test::FakeXdputil board("0x1000000deadbeef");
    try {
      dpu_runners(model, 1, "");
      FAIL() << "accepted a DPU that does not match";
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("does not match"), std::string::npos) << m;
      EXPECT_NE(m.find("0x1000000deadbeef"), std::string::npos) << m;  // what the board said
      auto at = m.find("fingerprint 0x");
      ASSERT_NE(at, std::string::npos) << m;
      model_fingerprint = m.substr(at + 12, m.find_first_of(",: \n", at + 12) - at - 12);
    }
  }
  // A board with the model's DPU gets past the fingerprint check to the runner library.
  test::FakeXdputil board(model_fingerprint);
  try {
    dpu_runners(model, 1, "");
    FAIL() << "a DPU runner was created without its library";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find("does not match"), std::string::npos) << m;
    EXPECT_NE(m.find(dpu_runner_library_here() ? "no DPU device or driver here" : "libvart-dpu-runner.so cannot be loaded"),
              std::string::npos)
        << m;
  }
}

// doctor asks VART itself, in a worker process, once the board's DPU matches the model's.
TEST(VartBackend, DoctorTriesTheDpuRunnerWhereItCannotEndDoctor) {
  const auto model = test::shared("models/mnist-tf1-zcu104/digitRecognitiion.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  test::FakeXdputil board("0x1000020f6014407", "DPUCZDX8G_ISA0_B4096_MAX_BG2");  // the model's
  DoctorReport r = run_doctor(model);
  const DoctorCheck* probe = nullptr;
  for (const auto& c : r.checks)
    if (c.name == "DPU runner") probe = &c;
  ASSERT_NE(probe, nullptr);
  EXPECT_EQ(probe->status, DoctorCheck::Status::kMissing);  // no DPU device here either way
  EXPECT_NE(probe->detail.find(dpu_runner_library_here() ? "no DPU device or driver here" : "cannot be loaded"),
            std::string::npos)
      << probe->detail;
  EXPECT_FALSE(r.dpu_ready);
}

// `dpurun eval` of the compiled LeNet on the dummy runner slowed to 400 ms a job, with a 50 ms
// --timeout and --keep-going; the JSON report goes to `out`.
test::CliResult eval_slow_dummy(const std::string& options, const std::filesystem::path& out) {
  setenv("DUMMY_RUNNER_PROCESS_TIME", "400", 1);  // read by the dummy runner where it runs
  auto r = test::run_cli("eval -q --backend dpu --vart-dpu-lib libvart-dummy-runner.so --model "
                         "lenet-cifar10-vck190 --variant compiled -t 1 --timeout 50 --keep-going " +
                         options + " --json " + out.string());
  unsetenv("DUMMY_RUNNER_PROCESS_TIME");
  return r;
}

// In process (--in-process), a DPU that takes longer than --timeout: the job is reported with its
// image, the runner is given up (its thread may stay stuck in VART), and the run stops without
// hanging.
TEST(VartBackend, ADpuJobThatOutlivesTheTimeoutIsReported) {
  DPURUN_REQUIRE_SHARED(test::shared("models/lenet-cifar10-vck190/LeNet.xmodel"));
  auto out = test::temp_dir() / "timeout.json";
  auto r = eval_slow_dummy("-n 6 --in-process", out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("INCOMPLETE"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did not finish job 0 within 50 ms"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("every runner timed out"), std::string::npos) << r.output;
  std::string j = test::read_file(out);
  EXPECT_NE(j.find("\"complete\": false"), std::string::npos) << j;
}

// Isolated (the DPU backend's default): each job that outlives --timeout has its worker process
// killed and restarted; the run goes on and names every lost image.
TEST(VartBackend, AnIsolatedDpuJobThatOutlivesTheTimeoutCostsItsImageOnly) {
  DPURUN_REQUIRE_SHARED(test::shared("models/lenet-cifar10-vck190/LeNet.xmodel"));
  auto out = test::temp_dir() / "timeout-isolated.json";
  auto r = eval_slow_dummy("-n 4", out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("INCOMPLETE: 0 of 4 images ran; 4 failed"), std::string::npos) << r.output;
  std::size_t killed = 0;
  for (auto at = r.output.find("within 50 ms; its worker process was killed"); at != std::string::npos;
       at = r.output.find("within 50 ms; its worker process was killed", at + 1))
    ++killed;
  EXPECT_EQ(killed, 4u) << r.output;
  EXPECT_EQ(r.output.find("every runner timed out"), std::string::npos) << r.output;
  std::string j = test::read_file(out);
  EXPECT_NE(j.find("\"complete\": false"), std::string::npos) << j;
}

TEST(VartBackend, EvalOnTheDpuBackendWithItsCpuReference) {
  DPURUN_REQUIRE_SHARED(test::shared("models/lenet-cifar10-vck190/LeNet.xmodel"));
  auto out = test::temp_dir() / "dpu.json";
  auto r = test::run_cli("eval -q --backend dpu --vart-dpu-lib libvart-dummy-runner.so --model "
                         "lenet-cifar10-vck190 --variant compiled --reference quantized -n 30 -t 2 --json " +
                         out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("identical top-1"), std::string::npos) << r.output;
  std::string j = test::read_file(out);
  EXPECT_NE(j.find("\"backend\": \"dpu\""), std::string::npos);
  EXPECT_NE(j.find("\"end_to_end_per_batch\""), std::string::npos);
}

}  // namespace
}  // namespace dpurun

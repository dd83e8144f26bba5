// oneDNN kernels made in one thread and run or destroyed in another, as a runner pool does (a
// runner's plan is made where it first runs and destroyed where the pool ends). CMake runs this
// test with ONEDNN_MAX_CPU_ISA=SSE41, where oneDNN convolves by im2col + gemm into a scratchpad,
// as its int8 convolution on aarch64 does. With oneDNN's default thread-local scratchpad such a
// run wrote through a null pointer (found under qemu-aarch64); plans now own their scratchpad.
#include <gtest/gtest.h>

#include <thread>

#include "cpu/plan.h"
#include "dpurun/model.h"
#include "support/test_env.h"
#include "support/tf_graph_builder.h"

namespace dpurun {
namespace {

const Shape kInput{1, 12, 12, 8};

std::string two_convs() {
  test::TfGraphBuilder g;
  g.placeholder("x", {-1, 12, 12, 8});
  g.conv2d("c1", "x", g.constant("w1", {3, 3, 8, 16}, test::random_floats(3 * 3 * 8 * 16, 1)), 1, "SAME");
  g.conv2d("y", "c1", g.constant("w2", {3, 3, 16, 4}, test::random_floats(3 * 3 * 16 * 4, 2)), 1, "SAME");
  auto path = test::temp_dir() / "two_convs.pb";
  test::write_file(path, g.bytes());
  return path.string();
}

std::vector<float> run(cpu::Plan& plan, const std::vector<float>& x) {
  std::vector<float> y(12 * 12 * 4);
  plan.run(x.data(), y.data());
  return y;
}

TEST(OneDnnThreads, PlansRunAndDieInThreadsOtherThanTheirOwn) {
  Model m = Model::load(two_convs(), ModelOptions{{"x"}, {"y"}, {}});
  const auto& g = m.graph();
  const std::vector<float> x = test::random_floats(12 * 12 * 8, 3);
  cpu::Plan reference(g, 1, KernelChoice::kReference);
  const std::vector<float> want = run(reference, x);

  // Made (and run) in one thread, run again in this one.
  std::unique_ptr<cpu::Plan> a;
  std::vector<float> in_maker;
  std::thread([&] {
    a = std::make_unique<cpu::Plan>(g, 1, KernelChoice::kFast);
    in_maker = run(*a, x);
  }).join();
  // Without a scratchpad the case is not the one this test is for (oneDNN chose another kernel).
  ASSERT_GT(a->scratchpad_bytes(), 0u) << "oneDNN took no scratchpad here; ONEDNN_MAX_CPU_ISA="
                                       << (std::getenv("ONEDNN_MAX_CPU_ISA") ? std::getenv("ONEDNN_MAX_CPU_ISA") : "(unset)");
  EXPECT_EQ(run(*a, x), in_maker);

  // Made here; another plan made in another thread dies here; this one runs on.
  cpu::Plan b(g, 1, KernelChoice::kFast);
  const std::vector<float> first = run(b, x);
  std::unique_ptr<cpu::Plan> c;
  std::thread([&] {
    c = std::make_unique<cpu::Plan>(g, 1, KernelChoice::kFast);
    run(*c, x);
  }).join();
  c.reset();
  a.reset();
  EXPECT_EQ(run(b, x), first);

  // The fast kernels agree with the reference loops (float32 sums in another order: 288 terms of
  // magnitude ≤ 1 differ by a few 1e-6; 1e-4 is far below a wrong tap's ~0.1).
  ASSERT_EQ(first.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(first[i], want[i], 1e-4) << "element " << i;
}

}  // namespace
}  // namespace dpurun

// The CPU executors against their baseline, OpenCV's dnn module, on the same ResNet and the
// same real images, in one run: dpurun float (float_frozen.pb), dpurun int8 emulation
// (quantize_eval_model.pb), OpenCV dnn (float_frozen.pb):
//   build/release/bench/bench_executors [--benchmark_format=json]
// Batch 1 and 32, 1 and 2 threads, and two single-thread runners side by side (the rows
// ending threads:2 after threads:1); counters give images/s and GFLOP/s (int8: GOP/s), and for
// dpurun the median time of one run (p50_ms: at batch 1, the single-stream latency) and the
// share of it in the convolution kernels (conv_share).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "dpurun/cpu_executor.h"
#include "dpurun/dataset.h"
#include "dpurun/manifest.h"

namespace {

struct Fixture {
  dpurun::Manifest manifest;
  std::string model_path;
  std::vector<float> images;  // 32 preprocessed NHWC images
  bool ok = false;
};

const Fixture& fixture() {
  static Fixture f = [] {
    Fixture f;
    std::string shared = DPURUN_SHARED_DIR;
    f.manifest = dpurun::Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json",
                                        shared + "/models");
    f.model_path = f.manifest.model_file("float");
    auto data = shared + "/data/cifar10-test-jpg";
    if (!std::filesystem::exists(f.model_path) || !std::filesystem::exists(data)) {
      std::cerr << "bench_float: needs " << f.model_path << " and " << data
                << " (../shared); skipping\n";
      return f;
    }
    auto set = dpurun::Dataset::open(data, f.manifest.classes);
    f.images.resize(32 * 3072);
    for (std::size_t i = 0; i < 32; ++i)
      set.load(i * 311, f.manifest.preprocessing, {32, 32, 3}, f.images.data() + i * 3072);
    f.ok = true;
    return f;
  }();
  return f;
}

void report(benchmark::State& state, int batch, double flops) {
  state.SetItemsProcessed(state.iterations() * batch);
  // Rate counters are summed over a row's threads, each rated over every thread's iterations.
  const double per_thread = double(batch) / state.threads();
  state.counters["images/s"] = benchmark::Counter(per_thread, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(per_thread * flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void run_dpurun(benchmark::State& state, const std::string& variant) {
  const Fixture& f = fixture();
  if (!f.ok) return state.SkipWithError("../shared models or data missing");
  int batch = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  auto model = dpurun::Model::load(
      f.manifest.model_file(variant),
      dpurun::ModelOptions{{f.manifest.input_name}, {f.manifest.output_name}, {}});
  dpurun::CpuExecutor exec(model, dpurun::CpuOptions{threads, dpurun::KernelChoice::kFast, true});
  std::vector<float> out(static_cast<std::size_t>(batch) * 10);
  exec.run(f.images.data(), out.data(), batch);  // warm-up: plans this batch size
  const dpurun::KernelTimes warmup = exec.kernel_times();
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t = std::chrono::steady_clock::now();
    exec.run(f.images.data(), out.data(), batch);
    benchmark::DoNotOptimize(out.data());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  report(state, batch, model.flops_per_image());
  if (state.thread_index() != 0) return;  // counters are summed over threads: one thread's
  std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  // The split: the share of the runs' time in the convolution kernels (fused residual adds and
  // requantization included), the rest being every other kernel and the copies in and out.
  const dpurun::KernelTimes t = exec.kernel_times();
  double conv = 0;
  for (const auto& [name, seconds] : t.seconds_by_kernel)
    if (name.find("conv") != std::string::npos) conv += seconds;
  for (const auto& [name, seconds] : warmup.seconds_by_kernel)
    if (name.find("conv") != std::string::npos) conv -= seconds;
  state.counters["conv_share"] = conv / (t.run_seconds - warmup.run_seconds);
}

void BM_DpurunFloat(benchmark::State& state) { run_dpurun(state, "float"); }
void BM_DpurunInt8(benchmark::State& state) { run_dpurun(state, "quantized"); }

void BM_OpenCvDnn(benchmark::State& state) {
  const Fixture& f = fixture();
  if (!f.ok) return state.SkipWithError("../shared models or data missing");
  int batch = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  cv::setNumThreads(threads);
  cv::dnn::Net net = cv::dnn::readNetFromTensorflow(f.model_path);
  int dims[] = {batch, 3, 32, 32};
  cv::Mat blob(4, dims, CV_32F);
  for (int k = 0; k < batch; ++k)
    for (int p = 0; p < 1024; ++p)
      for (int c = 0; c < 3; ++c)
        blob.ptr<float>()[(k * 3 + c) * 1024 + p] = f.images[static_cast<std::size_t>(k * 3072 + p * 3 + c)];
  net.setInput(blob);
  net.forward(f.manifest.output_name);  // warm-up
  for (auto _ : state) {
    net.setInput(blob);
    cv::Mat out = net.forward(f.manifest.output_name);
    benchmark::DoNotOptimize(out.data);
  }
  auto model = dpurun::Model::load(f.model_path);
  report(state, batch, model.flops_per_image());
}

void BM_ModelLoad(benchmark::State& state) {
  const Fixture& f = fixture();
  if (!f.ok) return state.SkipWithError("../shared models or data missing");
  for (auto _ : state) {
    auto model = dpurun::Model::load(f.model_path);
    benchmark::DoNotOptimize(&model);
  }
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int batch : {1, 32})
    for (int threads : {1, 2}) b->Args({batch, threads});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
}

// As `dpurun bench --threads 2` runs: two runners, each an executor of one thread, side by side.
void runners(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"})->Args({32, 1})->Threads(2);
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
}

BENCHMARK(BM_DpurunFloat)->Apply(args);
BENCHMARK(BM_DpurunInt8)->Apply(args);
BENCHMARK(BM_DpurunFloat)->Apply(runners);
BENCHMARK(BM_DpurunInt8)->Apply(runners);
BENCHMARK(BM_OpenCvDnn)->Apply(args);
BENCHMARK(BM_ModelLoad)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

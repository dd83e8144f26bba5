// Preprocessing per CIFAR-10 image, stage by stage (each beside its reference or OpenCV) and whole, on the 10,000 test JPEGs, beside
// its baseline (the same steps as typical OpenCV code writes them: cvtColor, convertTo,
// meanStdDev), in one run:
//   build/release/bench/bench_preprocess [--benchmark_out=p.json --benchmark_out_format=json]
// items_per_second is images/s; the /threads:2 rows use both cores (wall-clock rate).
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dpurun/dataset.h"
#include "dpurun/manifest.h"
#include "dpurun/runner.h"
#include "data/preprocess.h"
#include "shared_data.h"

namespace {

// The shared data set, and every image of it decoded once.
struct Fixture {
  const dpurun::bench::SharedData& shared = dpurun::bench::shared_data();
  const dpurun::Manifest& manifest = shared.manifest;
  const dpurun::Dataset* data = shared.data.get();
  std::vector<dpurun::Dataset::Pixels> decoded;
};

const Fixture& fixture() {
  static Fixture f = [] {
    Fixture f;
    if (f.data)
      for (std::size_t i = 0; i < f.data->size(); ++i) f.decoded.push_back(f.data->decode(i, f.manifest.preprocessing));
    return f;
  }();
  return f;
}

const dpurun::Shape kHwc{32, 32, 3};
constexpr std::size_t kElems = 32 * 32 * 3;
std::atomic<std::size_t> g_next{0};  // images handed out across a benchmark's threads

template <typename Body>
void per_image(benchmark::State& state, Body body) {
  const Fixture& f = fixture();
  if (!f.data) return state.SkipWithError("../shared/data/cifar10-test-jpg not found");
  std::vector<float> x(kElems);
  std::vector<std::int8_t> q(kElems);
  for (auto _ : state) body(f, g_next++ % f.data->size(), x.data(), q.data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Decode(benchmark::State& state) {
  per_image(state, [](const Fixture& f, std::size_t i, float*, std::int8_t*) {
    benchmark::DoNotOptimize(f.data->decode(i, f.manifest.preprocessing));
  });
}

// cv::imread, as the baseline and dpurun's fallback decode.
void BM_DecodeOpenCV(benchmark::State& state) {
  per_image(state, [](const Fixture& f, std::size_t i, float*, std::int8_t*) {
    benchmark::DoNotOptimize(cv::imread(f.data->name(i), cv::IMREAD_COLOR));
  });
}

cv::Mat header(const dpurun::Dataset::Pixels& p) {
  return cv::Mat(p.height, p.width, CV_8UC(p.channels), const_cast<std::uint8_t*>(p.data.data()));
}

void BM_PreprocessDecoded(benchmark::State& state) {  // colour conversion + standardisation, by tables
  per_image(state, [](const Fixture& f, std::size_t i, float* x, std::int8_t*) {
    f.data->preprocess(i, f.decoded[i], f.manifest.preprocessing, kHwc, x);
    benchmark::ClobberMemory();
  });
}

void BM_PreprocessDecodedReference(benchmark::State& state) {  // the same in the reference loops
  per_image(state, [](const Fixture& f, std::size_t i, float* x, std::int8_t*) {
    dpurun::data::preprocess_image_reference(header(f.decoded[i]), "", f.manifest.preprocessing, kHwc, x);
    benchmark::ClobberMemory();
  });
}

void BM_PreprocessDecodedInt8(benchmark::State& state) {  // the same, quantized in the tables
  per_image(state, [](const Fixture& f, std::size_t i, float*, std::int8_t* q) {
    f.data->preprocess(i, f.decoded[i], f.manifest.preprocessing, kHwc, 6, q);
    benchmark::ClobberMemory();
  });
}

void BM_Quantize(benchmark::State& state) {
  std::vector<float> x(kElems);
  for (std::size_t k = 0; k < kElems; ++k) x[k] = float(k % 97) * 0.05f - 2.f;
  std::vector<std::int8_t> q(kElems);
  for (auto _ : state) {
    dpurun::quantize_input(x.data(), kElems, 6, q.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The whole host path of one image for the int8 DPU input: decode, RGB, standardise, quantize.
void BM_Pipeline(benchmark::State& state) {
  per_image(state, [](const Fixture& f, std::size_t i, float*, std::int8_t* q) {
    f.data->load(i, f.manifest.preprocessing, kHwc, 6, q);
    benchmark::ClobberMemory();
  });
}

// The baseline: the same steps as OpenCV code usually writes them.
void BM_PipelineOpenCVBaseline(benchmark::State& state) {
  per_image(state, [](const Fixture& f, std::size_t i, float*, std::int8_t* q) {
    cv::Mat bgr = cv::imread(f.data->name(i), cv::IMREAD_COLOR), rgb, x;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(x, CV_32FC3);
    cv::Scalar mean, stddev;
    cv::meanStdDev(x.reshape(1), mean, stddev);
    double s = std::max(stddev[0], 1.0 / std::sqrt(double(kElems)));
    x = (x.reshape(1) - mean[0]) / s;
    cv::Mat scaled = x * 64.0, rounded;
    scaled.convertTo(rounded, CV_8S);  // OpenCV rounds half to even and saturates
    std::memcpy(q, rounded.data, kElems);
    benchmark::ClobberMemory();
  });
}

BENCHMARK(BM_Decode)->UseRealTime();
BENCHMARK(BM_DecodeOpenCV)->UseRealTime();
BENCHMARK(BM_PreprocessDecoded)->UseRealTime();
BENCHMARK(BM_PreprocessDecodedReference)->UseRealTime();
BENCHMARK(BM_PreprocessDecodedInt8)->UseRealTime();
BENCHMARK(BM_Quantize)->UseRealTime();
BENCHMARK(BM_Pipeline)->UseRealTime()->Threads(1)->Threads(2);
BENCHMARK(BM_PipelineOpenCVBaseline)->UseRealTime()->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();

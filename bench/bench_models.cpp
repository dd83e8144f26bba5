// Cost against size: every model of ../shared the CPU reference runs (each manifest's variants,
// and the XIR models no manifest lists), float and int8, on random input of its own shape.
// Counters: GOP per image (2 × multiply-adds of convolutions and fully connected layers), images/s
// and GOP/s on `threads` cores, the model's load time, and the memory the model and its executor
// take once planned (heap growth). The GOP/s column shows where a model is far from the
// others (bench/README.md says why for the models of ../shared).
//   bench_models [--benchmark_filter=…]   (2 threads, batch 8; one image for inputs ≥ 1 MB)
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/cpu_executor.h"
#include "dpurun/error.h"
#include "dpurun/manifest.h"
#include "dpurun/model.h"

namespace {
namespace fs = std::filesystem;

struct Entry {
  std::string name, file;
  dpurun::ModelOptions options;
};

// Bytes allocated on the heap (glibc's arenas and its mmap'd blocks): the model's weights and
// the executor's plans and buffers are all there.
double heap_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return double(m.uordblks) + double(m.hblkhd);
}

std::vector<Entry> entries() {
  const std::string shared = DPURUN_SHARED_DIR;
  std::vector<Entry> out;
  if (!fs::exists(shared + "/models")) {
    std::cerr << "needs " << shared
              << "/models (../shared beside the repository); nothing to run\n";
    return out;
  }
  for (const auto& m : dpurun::load_manifests(DPURUN_SOURCE_DIR "/models", shared + "/models"))
    for (const auto& [variant, file] : m.files) {
      const std::string ext = fs::path(file).extension().string();
      // .elf: inspected only; .onnx: the same model as its .xmodel; *-weights: no architecture
      if (ext == ".elf" || ext == ".onnx" || variant.find("weights") != std::string::npos ||
          !fs::exists(file))
        continue;
      dpurun::ModelOptions o;
      if (!m.input_name.empty() && variant != "compiled") o.inputs = {m.input_name};
      if (!m.output_name.empty()) o.outputs = {m.output_name};
      o.input_shape = m.input_shape;
      if (m.weights_from.count(variant)) o.weights_from = m.model_file(m.weights_from.at(variant));
      out.push_back({m.name + "/" + variant, file, o});
    }
  for (const auto& [name, file] :
       {std::pair{"efficientnetv2-block-b2304/quantized",
                  "efficientnetv2-block-b2304/ResidualBlock_int.xmodel"},
        std::pair{"efficientnetv2-block-b2304/compiled",
                  "efficientnetv2-block-b2304/ResidualBlock_B2304.xmodel"},
        std::pair{"zerodce-zcu104/quantized", "zerodce-zcu104/ZeroDCEQ_int.xmodel"},
        std::pair{"zerodce-zcu104/compiled", "zerodce-zcu104/zdce.xmodel"},
        std::pair{"cgnet-cone-segmentation/quantized", "cgnet-cone-segmentation/CGNet_int.xmodel"},
        std::pair{"cgnet-cone-segmentation/compiled",
                  "cgnet-cone-segmentation/CGNet_conv_2.xmodel"}})
    if (fs::exists(shared + "/models/" + file))
      out.push_back({name, shared + "/models/" + file, {}});
  return out;
}

void run_model(benchmark::State& state, const Entry& e) {
  const int threads = 2;
  const double before = heap_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<dpurun::Model> model;
  try {
    model.emplace(dpurun::Model::load(e.file, e.options));
  } catch (const dpurun::Error& err) {
    return state.SkipWithError(err.what());
  }
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  dpurun::CpuExecutor exec(*model, dpurun::CpuOptions{threads, dpurun::KernelChoice::kFast});
  const auto in_elems = static_cast<std::size_t>(exec.input_elements());
  const int batch = in_elems * 4 >= (1 << 20) ? 1 : 8;
  std::vector<float> x(in_elems * static_cast<std::size_t>(batch)),
      y(static_cast<std::size_t>(exec.output_elements()) * batch);
  unsigned seed = 1;
  for (float& v : x)
    v = float((seed = seed * 1664525u + 1013904223u) >> 8) / float(1 << 24) * 2.f - 1.f;  // [-1, 1)
  exec.run(x.data(), y.data(), batch);  // plans this batch
  const double memory = heap_bytes() - before;
  for (auto _ : state) {
    exec.run(x.data(), y.data(), batch);
    benchmark::DoNotOptimize(y.data());
  }
  const double gop = model->flops_per_image() * 1e-9;
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["batch"] = batch;
  state.counters["int8"] = model->is_integer();
  state.counters["GOP_per_image"] = gop;
  state.counters["GOP_per_s"] =
      benchmark::Counter(gop * batch, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["load_ms"] = load_ms;
  state.counters["memory_MB"] = memory / (1 << 20);
  state.SetLabel(e.file.substr(e.file.rfind('/') + 1));
}

}  // namespace

int main(int argc, char** argv) {
  static const std::vector<Entry> all = entries();
  for (const auto& e : all)
    benchmark::RegisterBenchmark(e.name.c_str(), [&e](benchmark::State& s) { run_model(s, e); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// Runners and the pool directly, in the manner of the Vitis AI tutorials' app_mt.py: load a
// model, make N runners, feed them the data set's images through the pool, count top-1.
//   runners MANIFEST.json MODEL_ROOT DATA [THREADS] [LIMIT] [VARIANT]
// LIMIT images are taken spread evenly over the set, as `dpurun eval --limit` takes them.
// The CPU reference here; on a board, dpurun::make_runners with backend "dpu" gives VART runners
// behind the same interface.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "dpurun/manifest.h"
#include "dpurun/model.h"
#include "dpurun/pool.h"
#include "dpurun/runner.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MANIFEST.json MODEL_ROOT DATA [THREADS] [LIMIT] [VARIANT]\n", argv[0]);
    return 2;
  }
  try {
    const dpurun::Manifest m = dpurun::Manifest::load(argv[1], argv[2]);
    const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
    dpurun::ModelOptions options;
    if (!m.input_name.empty()) options.inputs = {m.input_name};
    if (!m.output_name.empty()) options.outputs = {m.output_name};
    options.input_shape = m.input_shape;
    const dpurun::Model model = dpurun::Model::load(m.model_file(argc > 6 ? argv[6] : ""), options);

    std::vector<std::unique_ptr<dpurun::Runner>> owned;
    std::vector<dpurun::Runner*> runners;
    for (int t = 0; t < threads; ++t) {
      dpurun::CpuRunnerOptions ro;
      ro.batch = 32;
      ro.cpu.threads = 1;  // one core per runner
      owned.push_back(dpurun::make_cpu_runner(model, ro));
      runners.push_back(owned.back().get());
    }

    const dpurun::Dataset data = dpurun::Dataset::open(argv[3], m.classes);
    const std::size_t limit = argc > 5 ? std::strtoul(argv[5], nullptr, 10) : 0;
    const std::size_t count = limit ? std::min(limit, data.size()) : data.size();
    auto image = [&](std::size_t k) { return k * data.size() / count; };
    const dpurun::TensorInfo& input = runners[0]->input_tensors()[0];
    const dpurun::Shape hwc(input.shape.begin() + 1, input.shape.end());
    // Each image preprocessed as the manifest says; an int8 input quantized as the DPU takes it.
    dpurun::ImageLoader load = [&](std::size_t k, const dpurun::TensorInfo& in, std::byte* out) {
      thread_local std::vector<float> x;
      x.resize(static_cast<std::size_t>(dpurun::element_count(hwc)));
      data.load(image(k), m.preprocessing, hwc, x.data());
      if (in.type == dpurun::DataType::kInt8)
        dpurun::quantize_input(x.data(), x.size(), *in.fix_point, reinterpret_cast<std::int8_t*>(out));
      else
        std::copy(x.begin(), x.end(), reinterpret_cast<float*>(out));
    };
    std::atomic<std::size_t> correct{0};
    dpurun::ResultSink sink = [&](std::size_t k, const float* y, std::size_t n) {
      correct += static_cast<int>(std::max_element(y, y + n) - y) == data.label(image(k));
    };
    const dpurun::PoolStats s = dpurun::run_pool(runners, count, load, sink);
    std::printf("%s: top-1 %.2f%% (%zu of %zu images), %.0f images/s with %d runners (%s)\n", m.name.c_str(),
                100.0 * double(correct) / double(std::max<std::size_t>(s.completed, 1)), correct.load(), s.completed,
                double(s.completed) / s.seconds, threads, runners[0]->name().c_str());
    for (const auto& f : s.failures) std::fprintf(stderr, "%s: %s\n", data.name(image(f.image)).c_str(), f.error.c_str());
    return s.complete() ? 0 : 1;
  } catch (const dpurun::Error& e) {
    std::fprintf(stderr, "runners: %s\n", e.what());
    return 3;
  }
}

#include "dpurun/eval.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <omp.h>

#include "dpurun/dataset.h"
#include "dpurun/error.h"

namespace dpurun {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

EvalReport evaluate(const EvalSettings& s, const Manifest& manifest, const ProgressFn& progress) {
  if (s.batch < 1) throw Error(ErrorCode::kInvalidArgument, "--batch must be at least 1");
  if (s.threads < 0) throw Error(ErrorCode::kInvalidArgument, "--threads must be 0 or more");
  auto t_start = Clock::now();

  // The data set first: it is cheap to open and the commonest thing to get wrong.
  Dataset data = Dataset::open(s.data, manifest.classes);
  ModelOptions mo;
  if (!manifest.input_name.empty()) mo.inputs = {manifest.input_name};
  if (!manifest.output_name.empty()) mo.outputs = {manifest.output_name};
  mo.input_shape = manifest.input_shape;
  mo.weights_from = s.weights_from;
  Model model = Model::load(s.model_file, mo);
  CpuExecutor exec(model, CpuOptions{s.threads, s.kernels});
  const std::size_t classes = std::max(manifest.classes.size(), data.class_names().size());
  if (exec.output_elements() < static_cast<std::int64_t>(classes))
    throw Error(ErrorCode::kInvalidArgument,
                model.path() + ": the model outputs " + std::to_string(exec.output_elements()) +
                    " values per image but the data set " + s.data + " has " +
                    std::to_string(classes) + " classes; is this the right model for the data?");
  const Shape& in_shape = exec.input().shape;
  Shape hwc(in_shape.begin() + 1, in_shape.end());

  EvalReport r;
  r.settings = s;
  r.dpurun_version = version();
  r.model_name = manifest.name;
  r.arithmetic = model.is_integer() ? "int8 (DPU emulation)" : "float32";
  r.input = exec.input();
  r.output = exec.output();
  r.flops_per_image = model.flops_per_image();
  r.dataset_kind = data.kind();
  r.classes = manifest.classes.empty() ? data.class_names() : manifest.classes;
  r.classes.resize(classes);
  r.published_top1 = manifest.published_top1;
  r.published_note = manifest.published_note;
  r.requested = s.limit ? std::min(s.limit, data.size()) : data.size();
  // A limit takes images spread evenly over the set, so that every class is represented.
  std::vector<std::size_t> picked(r.requested);
  for (std::size_t k = 0; k < r.requested; ++k) picked[k] = k * data.size() / r.requested;
  r.image_indices = picked;
  r.confusion.assign(classes, std::vector<std::int64_t>(classes, 0));
  r.predictions.reserve(r.requested);

  const auto in_elems = static_cast<std::size_t>(exec.input_elements());
  const auto out_elems = static_cast<std::size_t>(exec.output_elements());
  std::vector<float> input(static_cast<std::size_t>(s.batch) * in_elems);
  std::vector<float> output(static_cast<std::size_t>(s.batch) * out_elems);
  std::vector<double> batch_ms;
  std::vector<std::size_t> order(out_elems);

  for (std::size_t begin = 0; begin < r.requested; begin += static_cast<std::size_t>(s.batch)) {
    const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(s.batch), r.requested - begin);
    auto t_pre = Clock::now();
    std::string error;
    ErrorCode error_code = ErrorCode::kInternal;
#pragma omp parallel for schedule(dynamic) num_threads(s.threads > 0 ? s.threads : omp_get_num_procs())
    for (std::size_t k = 0; k < count; ++k) {
      try {
        data.load(picked[begin + k], manifest.preprocessing, hwc, input.data() + k * in_elems);
      } catch (const Error& e) {
#pragma omp critical
        if (error.empty()) {
          error = e.what();
          error_code = e.code();
        }
      }
    }
    if (!error.empty()) throw Error(error_code, error);
    r.seconds_preprocess += seconds_since(t_pre);

    auto t_run = Clock::now();
    exec.run(input.data(), output.data(), static_cast<int>(count));
    double run_s = seconds_since(t_run);
    r.seconds_inference += run_s;
    batch_ms.push_back(run_s * 1e3);

    for (std::size_t k = 0; k < count; ++k) {
      const float* y = output.data() + k * out_elems;
      std::iota(order.begin(), order.end(), 0);
      std::size_t top = std::min<std::size_t>(5, out_elems);
      std::partial_sort(order.begin(), order.begin() + static_cast<long>(top), order.end(),
                        [&](std::size_t a, std::size_t b) { return y[a] > y[b]; });
      auto truth = static_cast<std::size_t>(data.label(picked[begin + k]));
      auto pred = order[0];
      r.predictions.push_back(static_cast<int>(pred));
      r.top1_correct += pred == truth;
      r.top5_correct += std::find(order.begin(), order.begin() + static_cast<long>(top), truth) !=
                        order.begin() + static_cast<long>(top);
      if (truth < classes && pred < classes) r.confusion[truth][pred]++;
    }
    r.images += count;
    if (progress) progress(r.images, r.requested, double(r.top1_correct) / double(r.images));
  }

  r.complete = r.images == r.requested;
  r.top1 = r.images ? double(r.top1_correct) / double(r.images) : 0;
  r.top5 = r.images ? double(r.top5_correct) / double(r.images) : 0;
  for (std::size_t c = 0; c < classes; ++c) {
    auto total = std::accumulate(r.confusion[c].begin(), r.confusion[c].end(), std::int64_t{0});
    r.per_class_top1.push_back(total ? double(r.confusion[c][c]) / double(total) : 0.0);
  }
  r.seconds_total = seconds_since(t_start);
  r.images_per_second = double(r.images) / (r.seconds_preprocess + r.seconds_inference);
  r.inference_images_per_second = double(r.images) / r.seconds_inference;
  r.batch_latency_ms = summarize(batch_ms);
  return r;
}

Comparison compare(const EvalReport& model, const EvalReport& reference) {
  if (model.image_indices != reference.image_indices)
    throw Error(ErrorCode::kInvalidArgument,
                "the model and the reference were not evaluated on the same images");
  Comparison c;
  c.images = model.predictions.size();
  for (std::size_t i = 0; i < c.images; ++i)
    c.identical_top1 += model.predictions[i] == reference.predictions[i];
  c.agreement = c.images ? double(c.identical_top1) / double(c.images) : 0.0;
  return c;
}

}  // namespace dpurun

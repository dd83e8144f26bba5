#include "dpurun/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <omp.h>

#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "dpurun/pool.h"
#include "dpurun/runner.h"
#include "session/session.h"

namespace dpurun {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

Manifest with_overrides(const EvalSettings& s, const Manifest& manifest) {
  Manifest m = manifest;
  try {
    if (!s.input_conversion.empty()) m.preprocessing.input_conversion = parse_input_conversion(s.input_conversion);
  } catch (const Error& e) {
    throw Error(e.code(), std::string("--input-conversion: ") + e.what());
  }
  try {
    if (!s.resize_interpolation.empty())
      m.preprocessing.resize_interpolation = parse_interpolation(s.resize_interpolation);
  } catch (const Error& e) {
    throw Error(e.code(), std::string("--resize-interpolation: ") + e.what());
  }
  return m;
}

EvalReport evaluate(const EvalSettings& s, const Manifest& given, const ProgressFn& progress) {
  const Manifest manifest = with_overrides(s, given);
  if (s.backend.batch < 1) throw Error(ErrorCode::kInvalidArgument, "--batch must be at least 1");
  if (s.backend.runners < 0) throw Error(ErrorCode::kInvalidArgument, "--threads must be 0 or more");
  auto t_start = Clock::now();
  const int cores = default_cpu_threads();

  // The data set first: it is cheap to open and the commonest thing to get wrong.
  Dataset data = Dataset::open(s.data, manifest.classes);
  const bool classifier = manifest.classifier();
  if (classifier && !data.labelled())
    throw Error(ErrorCode::kInvalidData,
                s.data + ": " + data.kind() + " — accuracy needs labels (labels.csv or class sub-folders). "
                "A model whose output is not classes says \"output\": {\"kind\": \"tensor\"} in its manifest "
                "(or --output-kind tensor); dpurun bench measures speed on any images");
  Session session = open_session(s, manifest, data);
  const std::vector<Runner*>& runners = session.runners;
  const Runner& first = *runners[0];
  const TensorInfo& in = session.input;
  const TensorInfo& out = session.output;
  const std::size_t out_elems = session.output_elems, classes = session.classes;

  EvalReport r;
  r.settings = s;
  r.dpurun_version = version();
  r.model_name = manifest.name;
  r.runner = first.name();
  r.runners = static_cast<int>(runners.size());
  r.runner_batch = first.batch();
  r.arithmetic = session.arithmetic;
  r.preprocessing = manifest.preprocessing;
  r.input = in;
  r.output = out;
  r.flops_per_image = first.flops_per_image();
  r.dataset_kind = data.kind();
  r.classifier = classifier;
  r.classes = manifest.classes.empty() ? data.class_names() : manifest.classes;
  r.classes.resize(classes);
  r.published_top1 = manifest.published_top1;
  r.published_note = manifest.published_note;
  r.requested = s.limit ? std::min(s.limit, data.size()) : data.size();
  r.output_count = out_elems;
  // A limit takes images spread evenly over the set, so that every class is represented.
  std::vector<std::size_t> picked(r.requested);
  for (std::size_t k = 0; k < r.requested; ++k) picked[k] = k * data.size() / r.requested;

  std::atomic<std::int64_t> load_ns{0};
  ImageLoader load = [&](std::size_t k, const TensorInfo&, std::byte* dst) {
    auto t0 = Clock::now();
    load_input(data, picked[k], manifest, session, dst);
    load_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  };
  // Every output is kept (for the comparison with a reference, the baseline's golden outputs):
  // twice, while the report is put in data set order. An image model's outputs are large.
  constexpr double kOutputBudget = 4.0 * (1 << 30);
  const double kept = 2.0 * double(r.requested) * double(out_elems) * sizeof(float);
  if (kept > kOutputBudget)
    throw Error(ErrorCode::kInvalidArgument,
                s.model_file + " over " + s.data + ": " + std::to_string(r.requested) + " images × " +
                    std::to_string(out_elems) + " output values would keep " +
                    std::to_string(static_cast<long long>(kept / (1 << 20))) + " MiB of outputs; give --limit " +
                    std::to_string(static_cast<std::size_t>(kOutputBudget / (2.0 * double(out_elems) * sizeof(float)))) +
                    " or fewer images");
  std::vector<float> outputs(r.requested * out_elems);
  std::vector<char> done(r.requested, 0);
  std::size_t delivered = 0, correct = 0;
  auto truth = [&](std::size_t k) { return static_cast<std::size_t>(data.label(picked[k])); };
  auto argmax = [&](const float* y) { return static_cast<std::size_t>(std::max_element(y, y + out_elems) - y); };
  ResultSink sink = [&](std::size_t k, const float* y, std::size_t n) {
    std::copy(y, y + n, outputs.begin() + static_cast<long>(k * out_elems));
    done[k] = 1;
    ++delivered;
    if (classifier) correct += argmax(y) == truth(k);
    if (progress && (delivered % 64 == 0 || delivered == r.requested))
      progress(delivered, r.requested, classifier ? double(correct) / double(delivered) : std::nan(""));
  };
  PoolOptions po;
  po.preprocess_threads = cores;
  po.jobs = s.jobs;
  PoolStats ps = run_pool(runners, r.requested, load, sink, po);

  if (s.jobs.stop_on_error && !ps.failures.empty()) {
    const ImageFailure& f = ps.failures.front();
    throw Error(f.code, f.error + (ps.failures.size() > 1 ? " (and " + std::to_string(ps.failures.size() - 1) + " more)" : ""));
  }
  for (const auto& f : ps.failures) r.failures.push_back({picked[f.image], data.name(picked[f.image]), f.error});
  r.stop_reason = ps.stop_reason;

  // Metrics over the images that ran, in data set order.
  r.confusion.assign(classes, std::vector<std::int64_t>(classes, 0));
  std::vector<std::size_t> order(out_elems);
  for (std::size_t k = 0; k < r.requested; ++k) {
    if (!done[k]) continue;
    const float* y = outputs.data() + k * out_elems;
    r.image_indices.push_back(picked[k]);
    r.outputs.insert(r.outputs.end(), y, y + out_elems);
    if (!classifier) {  // no classes: the outputs are the result
      r.predictions.push_back(-1);
      continue;
    }
    std::iota(order.begin(), order.end(), 0);
    std::size_t top = std::min<std::size_t>(5, out_elems);
    // Ties (common in int8 outputs) go to the lower class index, as argmax does.
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(top), order.end(),
                      [&](std::size_t a, std::size_t b) { return y[a] > y[b] || (y[a] == y[b] && a < b); });
    const std::size_t t = truth(k), pred = order[0];
    r.predictions.push_back(static_cast<int>(pred));
    r.top1_correct += pred == t;
    r.top5_correct += std::find(order.begin(), order.begin() + static_cast<long>(top), t) !=
                      order.begin() + static_cast<long>(top);
    if (t < classes && pred < classes) r.confusion[t][pred]++;
  }
  r.images = r.predictions.size();
  r.complete = ps.complete() && r.images == r.requested;
  r.top1 = r.images ? double(r.top1_correct) / double(r.images) : 0;
  r.top5 = r.images ? double(r.top5_correct) / double(r.images) : 0;
  for (std::size_t c = 0; c < classes; ++c) {
    auto total = std::accumulate(r.confusion[c].begin(), r.confusion[c].end(), std::int64_t{0});
    r.per_class_top1.push_back(total ? double(r.confusion[c][c]) / double(total) : 0.0);
  }
  r.seconds_total = seconds_since(t_start);
  r.seconds_preprocess = double(load_ns.load()) * 1e-9;
  r.seconds_inference = std::accumulate(ps.device_ms.begin(), ps.device_ms.end(), 0.0) * 1e-3;
  r.images_per_second = ps.seconds > 0 ? double(r.images) / ps.seconds : 0;
  r.inference_images_per_second =
      r.seconds_inference > 0 ? double(r.images) * r.runners / r.seconds_inference : 0;
  r.batch_latency_ms = summarize(ps.device_ms);
  r.end_to_end_latency_ms = summarize(ps.end_to_end_ms);
  r.images_per_runner = ps.images_per_runner;
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
  if (model.output_count == reference.output_count && model.outputs.size() == reference.outputs.size() &&
      model.output_count > 0) {
    std::vector<char> differs(c.images, 0);
    for (std::size_t i = 0; i < model.outputs.size(); ++i) {
      double d = std::abs(double(model.outputs[i]) - double(reference.outputs[i]));
      if (!(d == 0)) differs[i / model.output_count] = 1;  // NaN differs too
      if (d > c.max_output_difference) {
        c.max_output_difference = d;
        c.max_difference_image = model.image_indices[i / model.output_count];
      }
    }
    c.identical_outputs = c.images - static_cast<std::size_t>(std::count(differs.begin(), differs.end(), 1));
  }
  // A classifier's agreement is its top-1's; another model's, identical outputs.
  const std::size_t agreeing = model.classifier ? c.identical_top1 : c.identical_outputs;
  c.agreement = c.images ? double(agreeing) / double(c.images) : 0.0;
  return c;
}

}  // namespace dpurun

// `dpurun eval`: a model over a labelled data set, for accuracy and throughput; a model that is not
// a classifier over any inputs, for its outputs (against a reference) and throughput.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/backends.h"
#include "dpurun/cpu_executor.h"
#include "dpurun/manifest.h"
#include "dpurun/pool.h"

namespace dpurun {

// Every setting of a run; written verbatim into its report. Each concern is one struct that the
// layer below takes as it is: `backend` by make_runners, `jobs` by the pool.
struct EvalSettings {
  EvalSettings() {
    backend.batch = 32;
    jobs.stop_on_error = true;
  }
  std::string model_file;
  std::string manifest;  // path of the manifest used
  std::string variant;
  std::string data;
  std::size_t limit = 0;  // 0: every image; else that many, spread evenly over the set
  // Which runners: backend name, runner threads (0: every core), batch, kernels, weights_from …
  // The model's inputs, outputs and input shape come from the manifest.
  BackendOptions backend;  // batch 32 unless set
  // Timeout per job; on a failed image or job, stop with an error naming it (stop_on_error) or
  // go on and report the run as incomplete with every failure listed; cancel: stop early.
  JobPolicy jobs;  // stop_on_error unless set
  // Overrides of the manifest's preprocessing ("": the manifest's); see Preprocessing.
  std::string input_conversion, resize_interpolation;
};

struct LatencyStats {
  double mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  std::size_t count = 0;
};
// Percentiles by the nearest-rank method over `samples` (any order).
LatencyStats summarize(std::vector<double> samples);

struct EvalReport {
  EvalSettings settings;
  std::string dpurun_version;
  std::string model_name;
  std::string arithmetic;  // "float32" or "int8 (DPU emulation)"
  Preprocessing preprocessing;  // as run: the manifest's with the settings' overrides
  TensorInfo input, output;
  double flops_per_image = 0;
  std::string dataset_kind;
  bool classifier = true;  // false: the manifest's output kind is "tensor"; no accuracy
  std::vector<std::string> classes;
  std::optional<double> published_top1;
  std::string published_note;

  std::size_t images = 0;     // evaluated
  std::size_t requested = 0;  // asked for
  bool complete = false;
  std::size_t top1_correct = 0, top5_correct = 0;
  double top1 = 0, top5 = 0;
  std::vector<double> per_class_top1;
  std::vector<std::vector<std::int64_t>> confusion;  // [true][predicted]
  std::vector<std::size_t> image_indices;            // data set index of each evaluated image
  std::vector<int> predictions;                      // top-1 per evaluated image (-1: not a classifier)
  std::vector<float> outputs;                        // per evaluated image, output_count each (not in JSON)
  std::size_t output_count = 0;

  std::string runner;  // e.g. "cpu float32", "vart DPUCZDX8G…"
  int runners = 0, runner_batch = 0;
  struct Failure {
    std::size_t image;  // data set index
    std::string name;   // its file
    std::string error;
  };
  std::vector<Failure> failures;
  std::string stop_reason;  // when the run ended early

  double seconds_total = 0, seconds_preprocess = 0, seconds_inference = 0;
  double images_per_second = 0;            // end to end (decode + preprocess + inference)
  double inference_images_per_second = 0;  // the runners alone (device time, summed over runners)
  LatencyStats batch_latency_ms;           // runner (DPU-only) time per job
  LatencyStats end_to_end_latency_ms;      // per job: first image decoded → last output delivered
  std::vector<std::size_t> images_per_runner;
};

// top1 is NaN for a model that is not a classifier.
using ProgressFn = std::function<void(std::size_t done, std::size_t total, double top1)>;

// The manifest with the settings' input_conversion and resize_interpolation applied to its
// preprocessing: what evaluate() and run_bench() run. Throws Error (kInvalidArgument) naming the
// option for an unknown name.
Manifest with_overrides(const EvalSettings& settings, const Manifest& manifest);

// Runs the manifest's model file `settings.model_file` over `settings.data`, preprocessed as
// with_overrides(settings, manifest) says.
// Throws Error naming the model, data set or image at fault; never returns a partial report.
EvalReport evaluate(const EvalSettings& settings, const Manifest& manifest,
                    const ProgressFn& progress = {});

std::string to_json(const EvalReport& report);   // pretty JSON
std::string to_table(const EvalReport& report);  // for a terminal

// Two runs over the same images (a model and its reference, e.g. int8 against float).
struct Comparison {
  std::size_t images = 0;
  std::size_t identical_top1 = 0;
  double agreement = 0;  // identical_top1 / images; identical_outputs / images if not a classifier
  double max_output_difference = 0;  // largest |model − reference| over every output value
  std::size_t max_difference_image = 0;
  std::size_t identical_outputs = 0;  // images whose every output value is the same in both
};
// Throws Error(kInvalidArgument) when the two reports did not evaluate the same images.
Comparison compare(const EvalReport& model, const EvalReport& reference);
std::string to_json(const EvalReport& model, const EvalReport& reference, const Comparison& c);
std::string to_table(const EvalReport& model, const EvalReport& reference, const Comparison& c);

const char* version();

}  // namespace dpurun

// `dpurun bench`: a model's speed under a scenario (offline, single-stream, server), over a sweep
// of runner threads × batch sizes, with per-stage times and every setting in the report.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dpurun/eval.h"
#include "dpurun/loadgen.h"
#include "dpurun/machine.h"
#include "dpurun/pool.h"

namespace dpurun {

enum class InputCache {
  kNone,     // every query decodes and preprocesses its image
  kDecoded,  // images decoded once before the run: decoding is out of the measurement
  kTensors,  // inputs preprocessed and quantized once: only the runners and the harness remain
};
const char* to_string(InputCache c);
InputCache parse_input_cache(const std::string& s);  // "none", "decoded", "tensors"; throws Error

struct BenchSettings {
  EvalSettings run;  // model, data, backend, kernels, limit (images cycled through), timeout …
  std::vector<int> threads{0};  // runner threads per point (0: one per core)
  std::vector<int> batches{32};  // batch per point (the CPU's; a DPU has its compiled batch)
  ScenarioSettings scenario;
  InputCache cache = InputCache::kNone;
};

// Which stage bounds a point's throughput, from each stage's measured time and the threads that
// run it: capacities in images/s (0: the stage did not run, e.g. decoding with an input cache).
struct StageBound {
  std::string stage;  // "runner", "decode", "preprocess", "harness", or "scenario" (not offline)
  double measured = 0, runner = 0, host = 0, decode = 0, preprocess = 0;
  std::string summary;  // the report's line
};

struct BenchPoint {
  int threads = 0, batch = 0;  // runners and their batch, as run
  int host_threads = 0;        // the pool's threads that decode and preprocess
  ScenarioResult scenario;     // counts, throughput, per-query latencies
  LatencyStats latency_ms;     // per measured query: arrival → result
  // Per stage, over measured queries: per image (decode, preprocess + quantize, postprocess)
  // and per job (runner: the DPU-only time where the backend reports it; end to end).
  LatencyStats decode_ms, preprocess_ms, runner_ms, postprocess_ms, job_ms;
  double runner_utilisation = 0;  // runner busy time / (runners × measured time)
  std::vector<std::size_t> images_per_runner;
  std::size_t top1_correct = 0, scored = 0;            // accuracy over measured queries
  std::vector<std::vector<std::int64_t>> confusion;    // [true][predicted]
  std::vector<ImageFailure> failures;                  // image: the data set index
  bool complete = false;
  std::string stop_reason;
  StageBound bound;
};

// The bound of a point already measured (host_threads, stage times, throughput set).
StageBound stage_bound(const BenchPoint& p, Scenario scenario);

struct BenchReport {
  BenchSettings settings;
  std::string dpurun_version, started;  // ISO 8601 UTC
  MachineInfo machine;
  std::string model_name, model_sha256, model_format, dpu_target, runner, arithmetic;
  std::uint64_t model_bytes = 0;
  Preprocessing preprocessing;  // as run
  TensorInfo input, output;
  std::vector<std::string> classes;
  std::size_t data_images = 0;  // distinct images cycled through
  std::vector<BenchPoint> points;
  bool complete = false;  // every point ran to its stopping rule without a failure
};

using BenchProgressFn = std::function<void(const BenchPoint& done, std::size_t index, std::size_t total)>;

// Throws Error for a bad model, data set or setting; failures during a point are in its report.
BenchReport run_bench(const BenchSettings& settings, const Manifest& manifest,
                      const BenchProgressFn& progress = {});

std::string to_json(const BenchReport& report);
std::string to_csv(const BenchReport& report);    // one row per point
std::string to_table(const BenchReport& report);  // for a terminal
std::string to_html(const BenchReport& report);   // one self-contained page with charts

}  // namespace dpurun

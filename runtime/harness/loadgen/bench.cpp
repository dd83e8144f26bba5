// `dpurun bench`: each point of the sweep runs the load generator's queries through the runner
// pool with the steady clock; stage times are taken where the stages happen (the pool's loader,
// its runner threads, its sink) and kept for the measured queries only.
#include "dpurun/bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <numeric>
#include <random>

#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "dpurun/machine.h"
#include "dpurun/model_info.h"
#include "dpurun/pool.h"
#include "loadgen/loadgen_feed.h"
#include "session/session.h"

namespace dpurun {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Times per image, recorded by whichever thread did the work.
struct StageLog {
  std::mutex mutex;
  std::vector<std::pair<std::size_t, double>> decode, preprocess, postprocess;  // (query, ms)
  void add(std::vector<std::pair<std::size_t, double>>& v, std::size_t q, double ms) {
    std::lock_guard lock(mutex);
    v.emplace_back(q, ms);
  }
};


// The DPU a compiled model is for, as its description says: "DPUCZDX8G… (fingerprint 0x…)".
std::string dpu_target_of(const ModelInfo& info) {
  if (const SubgraphInfo* s = find_dpu_subgraph(info); s && !s->dpu_name.empty()) {
    std::string t = s->dpu_name;
    if (s->dpu_fingerprint) {
      char buf[40];
      std::snprintf(buf, sizeof buf, " (fingerprint 0x%llx)", static_cast<unsigned long long>(*s->dpu_fingerprint));
      t += buf;
    }
    return t;
  }
  for (const auto& [k, v] : info.properties)
    if (k == "dpu_target") return v;  // a DNNDK .elf
  return "";
}

class Bench {
 public:
  Bench(const BenchSettings& s, const Manifest& m) : s_(s), m_(m), data_(Dataset::open(s.run.data, m.classes)) {
    const std::size_t n = s.run.limit ? std::min(s.run.limit, data_.size()) : data_.size();
    // The images used, spread evenly over the set, then in an order fixed by the seed.
    for (std::size_t k = 0; k < n; ++k) samples_.push_back(k * data_.size() / n);
    std::shuffle(samples_.begin(), samples_.end(), std::mt19937_64(s.scenario.seed));
  }

  BenchReport run(const BenchProgressFn& progress) {
    validate(s_.scenario);
    if (s_.threads.empty() || s_.batches.empty())
      throw Error(ErrorCode::kInvalidArgument, "--threads and --batch need at least one value each");
    for (int t : s_.threads)
      if (t < 0) throw Error(ErrorCode::kInvalidArgument, "--threads: " + std::to_string(t) + " is below 0");
    for (int b : s_.batches)
      if (b < 1) throw Error(ErrorCode::kInvalidArgument, "--batch: " + std::to_string(b) + " is below 1");
    if (s_.run.backend.name == "dpu" && s_.batches.size() > 1)
      throw Error(ErrorCode::kInvalidArgument,
                  "--batch sweeps the CPU's batch; a DPU runs the batch it was compiled for: give one --batch");
    BenchReport r;
    r.settings = s_;
    r.dpurun_version = version();
    r.started = utc_now();
    r.machine = describe_machine();
    r.model_name = m_.name;
    r.model_sha256 = sha256_file(s_.run.model_file);
    ModelInfo info = describe_model(s_.run.model_file);
    r.model_format = info.format;
    r.model_bytes = info.file_bytes;
    r.dpu_target = dpu_target_of(info);
    r.data_images = samples_.size();
    std::vector<std::pair<int, int>> sweep;  // (threads, batch)
    for (int threads : s_.threads)
      for (int batch : s_.batches) sweep.emplace_back(threads, batch);
    for (auto [threads, batch] : sweep) {
      if (s_.run.jobs.cancel && s_.run.jobs.cancel->load()) break;
      r.points.push_back(run_point(threads, batch, r));
      if (progress) progress(r.points.back(), r.points.size() - 1, sweep.size());
      // Stopping at the first error (no --keep-going) ends the sweep there, not just the point.
      if (s_.run.jobs.stop_on_error && !r.points.back().failures.empty()) break;
    }
    r.complete = r.points.size() == sweep.size() &&
                 std::all_of(r.points.begin(), r.points.end(), [](const BenchPoint& p) { return p.complete; });
    return r;
  }

 private:
  BenchPoint run_point(int threads, int batch, BenchReport& r) {
    EvalSettings es = s_.run;
    es.backend.runners = threads;
    // Single-stream has one query in flight: a larger CPU batch would only compute padding.
    es.backend.batch = s_.scenario.scenario == Scenario::kSingleStream && es.backend.name == "cpu" ? 1 : batch;
    Session session = open_session(es, m_, data_);
    if (r.points.empty()) {
      r.runner = session.runners[0]->name();
      r.arithmetic = session.arithmetic;
      r.preprocessing = m_.preprocessing;
      r.input = session.input;
      r.output = session.output;
      r.classes = m_.classes.empty() ? data_.class_names() : m_.classes;
      r.classes.resize(session.classes);
    }
    BenchPoint p;
    p.threads = static_cast<int>(session.runners.size());
    p.batch = session.runners[0]->batch();
    fill_cache(session);

    const std::size_t classes = session.classes, out_elems = session.output_elems;
    const std::size_t image_bytes = session.input_elems * size_of(session.input.type);
    LoadGenFeed feed(s_.scenario, s_.run.jobs.cancel);
    StageLog log;
    auto sample = [&](std::size_t q) { return samples_[q % samples_.size()]; };
    ImageLoader load = [&](std::size_t q, const TensorInfo&, std::byte* dst) {
      const std::size_t i = sample(q), slot = q % samples_.size();
      auto t0 = Clock::now();
      if (s_.cache == InputCache::kTensors) {
        std::memcpy(dst, tensors_.data() + slot * image_bytes, image_bytes);
        log.add(log.preprocess, q, ms_since(t0));
        return;
      }
      if (random_) {  // no pixels: the tensor is made directly
        load_input(data_, i, m_, session, dst);
        log.add(log.preprocess, q, ms_since(t0));
        return;
      }
      thread_local Dataset::Pixels decoded;
      const Dataset::Pixels* px = nullptr;
      if (s_.cache == InputCache::kDecoded) {
        px = &pixels_[slot];
      } else {
        decoded = data_.decode(i, m_.preprocessing);
        px = &decoded;
        log.add(log.decode, q, ms_since(t0));
      }
      auto t1 = Clock::now();
      preprocess(session, i, *px, dst);
      log.add(log.preprocess, q, ms_since(t1));
    };
    p.confusion.assign(classes, std::vector<std::int64_t>(classes, 0));
    std::vector<std::pair<std::size_t, int>> predictions;  // (query, class)
    ResultSink sink = [&](std::size_t q, const float* y, std::size_t) {
      auto t0 = Clock::now();
      const auto pred = static_cast<std::size_t>(std::max_element(y, y + out_elems) - y);
      predictions.emplace_back(q, static_cast<int>(pred));
      log.add(log.postprocess, q, ms_since(t0));
      feed.complete(q, true);
    };
    PoolOptions po;
    po.preprocess_threads = default_cpu_threads();
    p.host_threads = po.preprocess_threads;
    po.jobs = s_.run.jobs;
    po.on_failure = [&](const ImageFailure& f) { feed.complete(f.image, false); };
    PoolStats ps = run_pool(session.runners, feed, load, sink, po);

    const LoadGen& lg = feed.loadgen();
    p.scenario = lg.result();
    p.latency_ms = summarize(p.scenario.latency_ms);
    auto measured = [&](const std::vector<std::pair<std::size_t, double>>& v) {
      std::vector<double> ms;
      for (auto& [q, t] : v)
        if (lg.measured(q)) ms.push_back(t);
      return summarize(std::move(ms));
    };
    p.decode_ms = measured(log.decode);
    p.preprocess_ms = measured(log.preprocess);
    p.postprocess_ms = measured(log.postprocess);
    std::vector<std::pair<std::size_t, double>> runner_ms, job_ms;
    for (std::size_t j = 0; j < ps.jobs; ++j) {
      runner_ms.emplace_back(ps.job_first_image[j], ps.device_ms[j]);
      job_ms.emplace_back(ps.job_first_image[j], ps.end_to_end_ms[j]);
    }
    p.runner_ms = measured(runner_ms);
    p.job_ms = measured(job_ms);
    if (p.scenario.measured_seconds > 0)
      p.runner_utilisation = p.runner_ms.mean * double(p.runner_ms.count) * 1e-3 /
                             (double(p.threads) * p.scenario.measured_seconds);
    p.images_per_runner = ps.images_per_runner;
    for (auto& [q, pred] : predictions) {
      if (!lg.measured(q) || !m_.classifier() || !data_.labelled()) continue;  // nothing to score
      const auto truth = static_cast<std::size_t>(data_.label(sample(q)));
      p.scored++;
      p.top1_correct += truth == static_cast<std::size_t>(pred);
      if (truth < classes && static_cast<std::size_t>(pred) < classes) p.confusion[truth][static_cast<std::size_t>(pred)]++;
    }
    for (auto f : ps.failures) {
      f.image = sample(f.image);
      p.failures.push_back(std::move(f));
    }
    const bool cancelled = s_.run.jobs.cancel && s_.run.jobs.cancel->load();
    p.stop_reason = ps.stopped ? ps.stop_reason : cancelled ? "cancelled" : "";
    p.complete = ps.complete() && !cancelled && lg.done();
    p.bound = stage_bound(p, s_.scenario.scenario);
    if (p.complete && p.scenario.measured == 0) {
      p.complete = false;
      p.stop_reason = "no query was measured: lengthen --min-duration or --min-count";
    }
    return p;
  }

  void preprocess(const Session& session, std::size_t i, const Dataset::Pixels& px, std::byte* dst) const {
    preprocess_input(data_, i, px, m_, session, dst);
  }

  // The input cache, built once before the first point (outside every measurement).
  void fill_cache(const Session& session) {
    if (s_.cache == InputCache::kNone) return;
    if (random_) {  // tensors made without pixels
      if (s_.cache != InputCache::kTensors) data_.decode(0, m_.preprocessing);  // throws, saying what to use
      const std::size_t bytes = session.input_elems * size_of(session.input.type);
      tensors_.assign(samples_.size() * bytes, std::byte{0});
      tensors_type_ = session.input.type;
      for (std::size_t k = 0; k < samples_.size(); ++k) load_input(data_, samples_[k], m_, session, tensors_.data() + k * bytes);
      return;
    }
    if (pixels_.empty())
      for (std::size_t i : samples_) pixels_.push_back(data_.decode(i, m_.preprocessing));
    if (s_.cache != InputCache::kTensors) return;
    const std::size_t bytes = session.input_elems * size_of(session.input.type);
    if (tensors_.size() == samples_.size() * bytes && tensors_type_ == session.input.type) return;
    tensors_.assign(samples_.size() * bytes, std::byte{0});
    tensors_type_ = session.input.type;
    for (std::size_t k = 0; k < samples_.size(); ++k) preprocess(session, samples_[k], pixels_[k], tensors_.data() + k * bytes);
  }

  const BenchSettings& s_;
  const Manifest& m_;
  Dataset data_;
  const bool random_ = data_.kind() == "random";
  std::vector<std::size_t> samples_;
  std::vector<Dataset::Pixels> pixels_;
  std::vector<std::byte> tensors_;
  DataType tensors_type_ = DataType::kFloat32;
};

}  // namespace

const char* to_string(InputCache c) {
  switch (c) {
    case InputCache::kNone: return "none";
    case InputCache::kDecoded: return "decoded";
    case InputCache::kTensors: return "tensors";
  }
  return "?";
}

InputCache parse_input_cache(const std::string& s) {
  for (auto c : {InputCache::kNone, InputCache::kDecoded, InputCache::kTensors})
    if (s == to_string(c)) return c;
  throw Error(ErrorCode::kInvalidArgument, "unknown input cache '" + s + "': use none, decoded or tensors");
}

BenchReport run_bench(const BenchSettings& settings, const Manifest& manifest, const BenchProgressFn& progress) {
  const Manifest m = with_overrides(settings.run, manifest);
  return Bench(settings, m).run(progress);
}

StageBound stage_bound(const BenchPoint& p, Scenario scenario) {
  StageBound b;
  b.measured = p.scenario.queries_per_second;
  auto capacity = [](double workers, double per_item_ms) { return per_item_ms > 0 ? workers * 1000.0 / per_item_ms : 0.0; };
  b.runner = capacity(double(p.threads) * p.batch, p.runner_ms.mean);
  b.decode = capacity(p.host_threads, p.decode_ms.mean);
  b.preprocess = capacity(p.host_threads, p.preprocess_ms.mean);
  b.host = capacity(p.host_threads, p.decode_ms.mean + p.preprocess_ms.mean);
  const auto n = [](double v) { return fmt::format("{:.0f}", v); };
  const std::string host_part =
      b.host > 0 ? fmt::format("host {} images/s ({} threads; decode {:.1f} µs + preprocess {:.1f} µs per image)", n(b.host),
                               p.host_threads, 1e3 * p.decode_ms.mean, 1e3 * p.preprocess_ms.mean)
                 : std::string("host: no per-image work measured");
  const std::string runner_part =
      b.runner > 0 ? fmt::format("runners {} images/s ({} × batch {}, {:.3f} ms per job)", n(b.runner), p.threads, p.batch, p.runner_ms.mean)
                   : std::string("runners: no job measured");
  if (scenario != Scenario::kOffline) {
    b.stage = "scenario";
    b.summary = fmt::format("set by the {} scenario: {} images/s measured; {}; {}", to_string(scenario), n(b.measured),
                            runner_part, host_part);
    return b;
  }
  const double runner = b.runner > 0 ? b.runner : INFINITY, host = b.host > 0 ? b.host : INFINITY;
  const double slowest = std::min(runner, host);
  if (!std::isfinite(slowest) || b.measured <= 0) {
    b.stage = "harness";
    b.summary = "no stage time measured";
    return b;
  }
  if (b.measured < 0.8 * slowest) {  // every stage could go faster than the run went
    b.stage = "harness";
    b.summary = fmt::format("harness-bound: {} images/s measured, {:.0f}% of the slowest stage; {}; {}", n(b.measured),
                            100 * b.measured / slowest, runner_part, host_part);
  } else if (runner <= host) {
    b.stage = "runner";
    b.summary = fmt::format("runner-bound: {}; {}, {:.1f}× more", runner_part, host_part, host / runner);
  } else {
    b.stage = p.decode_ms.mean >= p.preprocess_ms.mean ? "decode" : "preprocess";
    b.summary = fmt::format("host-bound ({}): {}; {}, {:.1f}× more", b.stage, host_part, runner_part,
                            std::isfinite(runner) ? runner / host : 0.0);
  }
  return b;
}

}  // namespace dpurun

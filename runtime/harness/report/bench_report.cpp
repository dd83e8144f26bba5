#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dpurun/bench.h"
#include "report/bench_charts.h"
#include "report/json_parts.h"

namespace dpurun {
namespace {

using nlohmann::json;

json point_json(const BenchPoint& p, const std::vector<std::string>& classes) {
  json per_class = json::object();
  for (std::size_t c = 0; c < classes.size() && c < p.confusion.size(); ++c) {
    std::int64_t total = 0;
    for (auto v : p.confusion[c]) total += v;
    per_class[classes[c]] = total ? double(p.confusion[c][c]) / double(total) : 0.0;
  }
  const auto h = report::latency_histogram(p.scenario.latency_ms);
  const auto& sc = p.scenario;
  json j{{"threads", p.threads},
         {"batch", p.batch},
         {"complete", p.complete},
         {"queries", {{"issued", sc.issued}, {"completed", sc.completed}, {"failed", sc.failed}, {"measured", sc.measured}}},
         {"measured_seconds", sc.measured_seconds},
         {"images_per_second", sc.queries_per_second},
         {"runner_utilisation", p.runner_utilisation},
         {"latency_ms", report::latency_json(p.latency_ms)},
         {"latency_histogram_ms", {{"low", h.low}, {"high", h.high}, {"counts", h.counts}}},
         {"stages_ms",
          {{"decode_per_image", report::latency_json(p.decode_ms)},
           {"preprocess_quantize_per_image", report::latency_json(p.preprocess_ms)},
           {"runner_per_job", report::latency_json(p.runner_ms)},
           {"postprocess_per_image", report::latency_json(p.postprocess_ms)},
           {"end_to_end_per_job", report::latency_json(p.job_ms)}}},
         {"images_per_runner", p.images_per_runner},
         {"bound",
          {{"stage", p.bound.stage},
           {"images_per_second",
            {{"measured", p.bound.measured},
             {"runner_capacity", p.bound.runner},
             {"host_capacity", p.bound.host},
             {"decode_capacity", p.bound.decode},
             {"preprocess_capacity", p.bound.preprocess}}},
           {"host_threads", p.host_threads},
           {"summary", p.bound.summary}}},
         {"accuracy",
          {{"scored", p.scored},
           {"top1_correct", p.top1_correct},
           {"top1", p.scored ? nlohmann::json(double(p.top1_correct) / double(p.scored)) : nlohmann::json(nullptr)},
           {"per_class_top1", per_class},
           {"confusion_matrix", p.confusion}}}};
  if (sc.offered_qps > 0 || sc.latency_at_percentile_ms > 0)
    j["server"] = {{"offered_qps", sc.offered_qps},
                   {"latency_at_percentile_ms", sc.latency_at_percentile_ms},
                   {"latency_bound_held", sc.latency_bound_held}};
  if (!p.complete) {
    json failures = json::array();
    for (const auto& f : p.failures) failures.push_back({{"image", f.image}, {"error", f.error}});
    j["incomplete"] = {{"stop_reason", p.stop_reason}, {"failures", failures}};
  }
  return j;
}

}  // namespace

std::string to_json(const BenchReport& r) {
  const auto& s = r.settings;
  const auto& sc = s.scenario;
  json points = json::array();
  for (const auto& p : r.points) points.push_back(point_json(p, r.classes));
  json j{{"dpurun_version", r.dpurun_version},
         {"started", r.started},
         {"complete", r.complete},
         {"settings",
          {{"run", report::settings_json(s.run)},
           {"threads", s.threads},
           {"batches", s.batches},
           {"input_cache", to_string(s.cache)},
           {"scenario",
            {{"name", to_string(sc.scenario)},
             {"warmup_s", sc.warmup_s},
             {"min_duration_s", sc.min_duration_s},
             {"min_count", sc.min_count},
             {"max_count", sc.max_count},
             {"target_qps", sc.target_qps},
             {"latency_bound_ms", sc.latency_bound_ms},
             {"latency_percentile", sc.latency_percentile},
             {"seed", sc.seed}}}}},
         {"model",
          {{"name", r.model_name},
           {"file", s.run.model_file},
           {"sha256", r.model_sha256},
           {"bytes", r.model_bytes},
           {"format", r.model_format},
           {"dpu_target", r.dpu_target},
           {"runner", r.runner},
           {"arithmetic", r.arithmetic},
           {"preprocessing", report::preprocessing_json(r.preprocessing, r.input)},
           {"input", report::tensor_json(r.input)},
           {"output", report::tensor_json(r.output)}}},
         {"data", {{"path", s.run.data}, {"images", r.data_images}, {"classes", r.classes}}},
         {"machine",
          {{"hostname", r.machine.hostname},
           {"os", r.machine.os},
           {"cpu", r.machine.cpu},
           {"cores", r.machine.cores},
           {"memory_bytes", r.machine.memory_bytes},
           {"memory_available_bytes", r.machine.memory_available_bytes},
           {"board", r.machine.board.empty() ? json(nullptr) : json(r.machine.board)},
           {"dpu", r.machine.dpu.empty() ? json(nullptr) : json(r.machine.dpu)}}},
         {"points", points}};
  return j.dump(2) + "\n";
}

std::string to_csv(const BenchReport& r) {
  std::string out =
      "scenario,threads,batch,complete,measured,seconds,images_per_second,latency_mean_ms,latency_p50_ms,"
      "latency_p90_ms,latency_p95_ms,latency_p99_ms,latency_max_ms,decode_mean_ms,preprocess_mean_ms,"
      "runner_mean_ms,postprocess_mean_ms,job_mean_ms,runner_utilisation,top1,latency_bound_held\n";
  for (const auto& p : r.points) {
    const auto& l = p.latency_ms;
    out += fmt::format("{},{},{},{},{},{:.6f},{:.3f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.4f},{:.6f},{}\n",
                       to_string(r.settings.scenario.scenario), p.threads, p.batch, p.complete ? 1 : 0,
                       p.scenario.measured, p.scenario.measured_seconds, p.scenario.queries_per_second, l.mean,
                       l.p50, l.p90, l.p95, l.p99, l.max, p.decode_ms.mean, p.preprocess_ms.mean, p.runner_ms.mean,
                       p.postprocess_ms.mean, p.job_ms.mean, p.runner_utilisation,
                       p.scored ? double(p.top1_correct) / double(p.scored) : 0.0,
                       r.settings.scenario.scenario == Scenario::kServer ? (p.scenario.latency_bound_held ? "1" : "0") : "");
  }
  return out;
}

std::string to_table(const BenchReport& r) {
  const auto& sc = r.settings.scenario;
  std::string out;
  out += fmt::format("model    {}  ({}, {}, sha256 {}…)\n", r.model_name, r.settings.run.model_file, r.arithmetic,
                     r.model_sha256.substr(0, 12));
  if (!r.dpu_target.empty()) out += fmt::format("target   {}\n", r.dpu_target);
  out += fmt::format("runner   {}\n", r.runner);
  out += report::preprocessing_line(r.preprocessing, r.input);
  out += fmt::format("machine  {}, {} cores, {:.1f} GiB; DPU: {}\n", r.machine.cpu, r.machine.cores,
                     double(r.machine.memory_bytes) / (1 << 30), r.machine.dpu.empty() ? "none found" : "see JSON");
  out += fmt::format("scenario {}, warm-up {} s, at least {} s and {} queries, input cache {}, seed {}",
                     to_string(sc.scenario), sc.warmup_s, sc.min_duration_s, sc.min_count, to_string(r.settings.cache),
                     sc.seed);
  if (sc.scenario == Scenario::kServer)
    out += fmt::format(", {} queries/s, p{} ≤ {} ms", sc.target_qps, sc.latency_percentile, sc.latency_bound_ms);
  out += "\n\n";
  out += fmt::format("{:>7} {:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}  {:>7} {:>7} {:>7} {:>7}  {:>5} {:>7}\n", "threads",
                     "batch", "images/s", "mean ms", "p50", "p90", "p99", "max", "decode", "prep", "runner", "post",
                     "util", "top-1");
  for (const auto& p : r.points) {
    const auto& l = p.latency_ms;
    // No top-1 where nothing was scored (a model that is not a classifier, images without labels).
    const std::string top1 = p.scored ? fmt::format("{:>6.2f}%", 100.0 * double(p.top1_correct) / double(p.scored)) : fmt::format("{:>7}", "-");
    out += fmt::format("{:>7} {:>5} {:>10.1f} {:>8.3f} {:>8.3f} {:>8.3f} {:>8.3f} {:>8.3f}  {:>7.3f} {:>7.3f} {:>7.3f} {:>7.4f}  {:>4.0f}% {}",
                       p.threads, p.batch, p.scenario.queries_per_second, l.mean, l.p50, l.p90, l.p99, l.max,
                       p.decode_ms.mean, p.preprocess_ms.mean, p.runner_ms.mean, p.postprocess_ms.mean,
                       100 * p.runner_utilisation, top1);
    if (sc.scenario == Scenario::kServer)
      out += fmt::format("  p{} {:.3f} ms: {}", sc.latency_percentile, p.scenario.latency_at_percentile_ms,
                         p.scenario.latency_bound_held ? "held" : "MISSED");
    if (!p.complete) out += "  INCOMPLETE: " + p.stop_reason;
    out += "\n";
  }
  for (const auto& p : r.points)
    if (!p.bound.summary.empty()) out += fmt::format("bound {}×{}: {}\n", p.threads, p.batch, p.bound.summary);
  out += "\nlatency: per query, arrival to result (ms); decode, prep(rocess + quantize), post(process): per image;\n"
         "runner: per job (the DPU's own time where the backend reports it); util: runner busy share of the run\n";
  if (!r.complete) out += "INCOMPLETE: not every point ran to its stopping rule without a failure\n";
  return out;
}

}  // namespace dpurun

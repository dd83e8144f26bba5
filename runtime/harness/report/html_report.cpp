// `dpurun bench --html`: one self-contained page, tables and inline SVG charts.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "dpurun/bench.h"
#include "report/bench_charts.h"

namespace dpurun {
namespace {

using report::html_escape;

std::string row(const std::string& k, const std::string& v) {
  return "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
}

}  // namespace

std::string to_html(const BenchReport& r) {
  const auto& s = r.settings;
  const auto& sc = s.scenario;
  std::string h = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dpurun bench: )" +
                  html_escape(r.model_name) + R"(</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; } table.kv th, table.kv td { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; } figure { margin: 0; }
figcaption { font-weight: bold; margin-bottom: 4px; }
.bad { background: #fde0e0; padding: 8px; border: 1px solid #d62728; }
</style></head><body>
)";
  h += "<h1>dpurun bench: " + html_escape(r.model_name) + "</h1>\n";
  if (!r.complete)
    h += R"(<p class="bad" id="incomplete">INCOMPLETE: not every point ran to its stopping rule without a failure; see the table.</p>)" "\n";
  h += "<table class=\"kv\">\n";
  h += row("model file", s.run.model_file) + row("sha256", r.model_sha256) + row("format", r.model_format) +
       row("DPU target", r.dpu_target.empty() ? "(not a compiled model)" : r.dpu_target) + row("runner", r.runner) +
       row("arithmetic", r.arithmetic) + row("data", fmt::format("{} ({} images)", s.run.data, r.data_images)) +
       row("scenario", fmt::format("{}; warm-up {} s; at least {} s and {} queries; seed {}", to_string(sc.scenario),
                                   sc.warmup_s, sc.min_duration_s, sc.min_count, sc.seed)) +
       (sc.scenario == Scenario::kServer
            ? row("server", fmt::format("{} queries/s, p{} bound {} ms", sc.target_qps, sc.latency_percentile, sc.latency_bound_ms))
            : "") +
       row("input cache", to_string(s.cache)) + row("machine", fmt::format("{}, {} cores, {:.1f} GiB, {}", r.machine.cpu,
                                                                         r.machine.cores, double(r.machine.memory_bytes) / (1 << 30), r.machine.os)) +
       (r.machine.board.empty() ? "" : row("board", r.machine.board)) +
       row("DPU on this machine", r.machine.dpu.empty() ? "none found (no xdputil)" : r.machine.dpu) +
       row("dpurun", r.dpurun_version + ", started " + r.started);
  h += "</table>\n";

  h += "<h2>Points</h2>\n<table id=\"points\"><tr><th>threads</th><th>batch</th><th>images/s</th><th>latency mean</th>"
       "<th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max (ms)</th><th>decode</th><th>preprocess + quantize</th>"
       "<th>runner / job</th><th>postprocess (ms)</th><th>runner busy</th><th>images per runner</th><th>top-1</th><th>status</th></tr>\n";
  for (const auto& p : r.points) {
    std::string per_runner;
    for (auto n : p.images_per_runner) per_runner += (per_runner.empty() ? "" : " / ") + std::to_string(n);
    std::string status = p.complete ? "complete" : "INCOMPLETE: " + p.stop_reason;
    if (sc.scenario == Scenario::kServer)
      status += fmt::format("; p{} {:.3f} ms {}", sc.latency_percentile, p.scenario.latency_at_percentile_ms,
                            p.scenario.latency_bound_held ? "held" : "MISSED");
    const auto& l = p.latency_ms;
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.1f}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td>"
                     "<td>{:.3f}</td><td>{:.3f}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.3f}</td><td>{:.4f}</td><td>{:.1f}%</td>"
                     "<td>{}</td><td>{:.2f}%</td><td>{}</td></tr>\n",
                     p.threads, p.batch, p.scenario.queries_per_second, l.mean, l.p50, l.p90, l.p95, l.p99, l.max,
                     p.decode_ms.mean, p.preprocess_ms.mean, p.runner_ms.mean, p.postprocess_ms.mean,
                     100 * p.runner_utilisation, per_runner,
                     p.scored ? 100.0 * double(p.top1_correct) / double(p.scored) : 0.0, html_escape(status));
  }
  h += "</table>\n<div class=\"charts\">\n";

  // Throughput against threads, one line per batch size.
  std::map<int, report::Series> by_batch;
  for (const auto& p : r.points) {
    auto& se = by_batch[p.batch];
    se.name = "batch " + std::to_string(p.batch);
    se.points.emplace_back(p.threads, p.scenario.queries_per_second);
  }
  std::vector<report::Series> series;
  for (auto& [b, se] : by_batch) series.push_back(se);
  h += "<figure><figcaption>Throughput against runner threads</figcaption>" +
       report::svg_line_chart("throughput", "runner threads", "images/s", series) + "</figure>\n";

  if (!r.points.empty()) {
    const auto best = std::max_element(r.points.begin(), r.points.end(), [](const BenchPoint& a, const BenchPoint& b) {
      return a.scenario.queries_per_second < b.scenario.queries_per_second;
    });
    h += fmt::format("<figure><figcaption>Latency per query, {} threads × batch {} (ms)</figcaption>", best->threads, best->batch) +
         report::svg_histogram("latency", report::latency_histogram(best->scenario.latency_ms), "latency (ms)") + "</figure>\n";
    const auto most = std::max_element(r.points.begin(), r.points.end(),
                                       [](const BenchPoint& a, const BenchPoint& b) { return a.scored < b.scored; });
    std::vector<double> acc;
    for (std::size_t c = 0; c < most->confusion.size(); ++c) {
      std::int64_t total = 0;
      for (auto v : most->confusion[c]) total += v;
      acc.push_back(total ? 100.0 * double(most->confusion[c][c]) / double(total) : 0.0);
    }
    h += fmt::format("<figure><figcaption>Top-1 per class ({} queries)</figcaption>", most->scored) +
         report::svg_bar_chart("accuracy", r.classes, acc, 100, "top-1 (%)") + "</figure>\n";
    h += "<figure><figcaption>Confusion matrix</figcaption>" + report::svg_heatmap("confusion", r.classes, most->confusion) +
         "</figure>\n";
  }
  h += "</div>\n";
  // For whoever checks the page in a browser: how many charts rendered with marks in them.
  h += R"(<script>
window.addEventListener("load", function () {
  var charts = document.querySelectorAll("svg.chart"), drawn = 0;
  charts.forEach(function (c) { if (c.querySelectorAll("rect, path, circle").length > 1 && c.getBBox().width > 0) drawn++; });
  console.log("dpurun-report: " + drawn + " of " + charts.length + " charts drawn");
});
</script>
</body></html>
)";
  return h;
}

}  // namespace dpurun

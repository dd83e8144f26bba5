#include <fmt/format.h>

#include <cstdio>

#include "cli.h"
#include "commands/commands.h"
#include "commands/run_options.h"
#include "dpurun/bench.h"
#include "dpurun/error.h"

namespace dpurun::app {
namespace {

struct BenchArgs {
  RunArgs run;
  std::string threads = "0", batches = "32", scenario = "offline", cache = "none", json, csv, html;
  ScenarioSettings sc;
  bool quiet = false;
};

// "1..8", "1,2,4", "1..4,8" → the listed numbers, in order.
std::vector<int> parse_list(const std::string& text, const char* option) {
  std::vector<int> out;
  auto bad = [&] {
    throw Error(ErrorCode::kInvalidArgument,
                std::string(option) + " '" + text + "': give numbers and ranges, e.g. 1..8 or 1,2,4");
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    try {
      std::size_t dots = item.find("..");
      std::size_t used = 0;
      if (dots == std::string::npos) {
        out.push_back(std::stoi(item, &used));
        if (used != item.size()) bad();
      } else {
        int lo = std::stoi(item.substr(0, dots), &used);
        if (used != dots) bad();
        std::string hi_text = item.substr(dots + 2);
        int hi = std::stoi(hi_text, &used);
        if (used != hi_text.size() || hi < lo || hi - lo > 1024) bad();
        for (int v = lo; v <= hi; ++v) out.push_back(v);
      }
    } catch (const std::logic_error&) {
      bad();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

Command add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  a->sc.min_duration_s = 5;
  a->sc.min_count = 1000;
  CLI::App* cmd = app.add_subcommand("bench", "Measure a model's throughput and latency under a scenario, over a sweep");
  add_run_options(cmd, a->run);
  cmd->add_option("-s,--scenario", a->scenario,
                  "offline (all queries there: throughput), single-stream (one at a time: latency), "
                  "server (Poisson arrivals at --target-qps; does p(--latency-percentile) stay under --latency-bound?)")
      ->capture_default_str()
      ->check(CLI::IsMember({"offline", "single-stream", "server"}));
  cmd->add_option("-t,--threads", a->threads, "Runner threads per point: a number, a range 1..8, or a list 1,2,4 (0: one per core)")
      ->capture_default_str();
  cmd->add_option("-b,--batch", a->batches, "Batch per point (CPU backend), as --threads")->capture_default_str();
  cmd->add_option("--warmup", a->sc.warmup_s, "Seconds run first and not measured")->capture_default_str();
  cmd->add_option("--min-duration", a->sc.min_duration_s, "Measure at least this many seconds …")->capture_default_str();
  cmd->add_option("--min-count", a->sc.min_count, "… and at least this many queries")->capture_default_str();
  cmd->add_option("--max-count", a->sc.max_count, "Issue at most this many queries (0: no cap)")->capture_default_str();
  cmd->add_option("--target-qps", a->sc.target_qps, "server: mean arrival rate, queries per second");
  cmd->add_option("--latency-bound", a->sc.latency_bound_ms, "server: the latency bound, ms");
  cmd->add_option("--latency-percentile", a->sc.latency_percentile, "server: the percentile that must hold the bound")
      ->capture_default_str();
  cmd->add_option("--seed", a->sc.seed, "Seeds the data order and server arrivals")->capture_default_str();
  cmd->add_option("--input-cache", a->cache,
                  "none: decode every image; decoded: decode once before the run; tensors: preprocess and "
                  "quantize once (only the runners and the harness are measured)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "decoded", "tensors"}));
  cmd->add_option("--json", a->json, "Write the report (every setting, model hash, machine) as JSON");
  cmd->add_option("--csv", a->csv, "Write one CSV row per point");
  cmd->add_option("--html", a->html, "Write a self-contained HTML page with tables and charts");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress lines");

  return {cmd, [a]() {
    ResolvedModel rm;
    BenchSettings s;
    s.run = run_settings(a->run, rm);
    if (write_manifest_if_asked(a->run, rm)) return kOk;
    s.threads = parse_list(a->threads, "--threads");
    s.batches = parse_list(a->batches, "--batch");
    s.scenario = a->sc;
    s.scenario.scenario = parse_scenario(a->scenario);
    s.cache = parse_input_cache(a->cache);
    validate(s.scenario);  // before any model is loaded
    BenchProgressFn progress;
    if (!a->quiet)
      progress = [](const BenchPoint& p, std::size_t i, std::size_t total) {
        fmt::print(stderr, "point {}/{}: {} threads × batch {}: {:.1f} images/s, p99 {:.3f} ms{}\n", i + 1, total,
                   p.threads, p.batch, p.scenario.queries_per_second, p.latency_ms.p99,
                   p.complete ? "" : "  INCOMPLETE: " + p.stop_reason);
      };
    BenchReport r = run_bench(s, rm.manifest, progress);
    fmt::print(cli_out(), "{}", to_table(r));
    using Writer = std::string (*)(const BenchReport&);
    const std::pair<std::string, Writer> outputs[] = {
        {a->json, &to_json}, {a->csv, &to_csv}, {a->html, &to_html}};
    for (const auto& [path, write] : outputs) {
      if (path.empty()) continue;
      write_file_atomically(path, write(r));
      fmt::print(cli_out(), "report  {}\n", path);
    }
    if (interrupted()) return kInterrupted;
    return r.complete ? kOk : kInputError;
  }};
}

}  // namespace dpurun::app

#include "dpurun/loadgen.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dpurun/error.h"

namespace dpurun {

const char* to_string(Scenario s) {
  switch (s) {
    case Scenario::kOffline: return "offline";
    case Scenario::kSingleStream: return "single-stream";
    case Scenario::kServer: return "server";
  }
  return "?";
}

Scenario parse_scenario(const std::string& s) {
  for (auto sc : {Scenario::kOffline, Scenario::kSingleStream, Scenario::kServer})
    if (s == to_string(sc)) return sc;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown scenario '" + s + "': use offline, single-stream or server");
}

void validate(const ScenarioSettings& s) {
  auto bad = [](const std::string& what) { throw Error(ErrorCode::kInvalidArgument, what); };
  if (!(s.warmup_s >= 0)) bad("--warmup must be 0 or more seconds");
  if (!(s.min_duration_s >= 0)) bad("--min-duration must be 0 or more seconds");
  if (s.min_count == 0 && s.min_duration_s == 0)
    bad("--min-count and --min-duration are both 0: the run would measure nothing");
  if (s.max_count && s.max_count < s.min_count) bad("--max-count is below --min-count");
  if (s.scenario == Scenario::kServer) {
    if (!(s.target_qps > 0)) bad("the server scenario needs --target-qps (queries per second), above 0");
    if (!(s.latency_bound_ms > 0)) bad("the server scenario needs --latency-bound (milliseconds), above 0");
    if (!(s.latency_percentile > 0 && s.latency_percentile <= 100))
      bad("--latency-percentile must be in (0, 100]");
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto k = static_cast<std::size_t>(std::ceil(p / 100 * double(sorted.size())));
  return sorted[std::clamp<std::size_t>(k, 1, sorted.size()) - 1];
}

LoadGen::LoadGen(const ScenarioSettings& settings, double start)
    : s_(settings), start_(start), measure_start_(start + settings.warmup_s), rng_(settings.seed) {
  validate(s_);
  if (s_.scenario == Scenario::kServer) next_server_arrival_ = start_ + next_poisson();
}

// Exponential inter-arrival times from the 53 high bits of mt19937_64, which the standard
// specifies exactly, so that a seed gives the same arrivals with every standard library.
double LoadGen::next_poisson() {
  const double u = double(rng_() >> 11) * 0x1.0p-53;  // [0, 1)
  return -std::log1p(-u) / s_.target_qps;
}

bool LoadGen::stop_rule(double t) const {
  if (s_.max_count && arrival_.size() >= s_.max_count) return true;
  return measured_issued_ >= s_.min_count && t >= measure_start_ + s_.min_duration_s;
}

std::size_t LoadGen::take(double now, std::size_t max, std::size_t& first) {
  first = arrival_.size();
  std::size_t n = 0;
  while (!ended_ && n < max) {
    double t = now;
    if (s_.scenario == Scenario::kServer) {
      t = next_server_arrival_;
      if (t > now && !stop_rule(t)) break;  // not arrived yet
    } else if (s_.scenario == Scenario::kSingleStream && outstanding_ > 0) {
      break;
    }
    if (stop_rule(t)) {
      ended_ = true;
      break;
    }
    arrival_.push_back(t);
    completion_.push_back(-1);
    ok_.push_back(0);
    ++outstanding_;
    measured_issued_ += t >= measure_start_;
    ++n;
    if (s_.scenario == Scenario::kServer) next_server_arrival_ = t + next_poisson();
  }
  return n;
}

std::optional<double> LoadGen::next_arrival() const {
  if (ended_) return std::nullopt;
  switch (s_.scenario) {
    case Scenario::kServer: return next_server_arrival_;
    case Scenario::kSingleStream: return outstanding_ ? std::nullopt : std::optional<double>(start_);
    case Scenario::kOffline: return start_;  // always there
  }
  return std::nullopt;
}

void LoadGen::complete(std::size_t query, double now, bool ok) {
  if (query >= arrival_.size() || completion_[query] >= 0)
    throw Error(ErrorCode::kInternal, "query " + std::to_string(query) + " completed twice or never issued");
  completion_[query] = now;
  ok_[query] = ok;
  --outstanding_;
}

ScenarioResult LoadGen::result() const {
  ScenarioResult r;
  r.issued = arrival_.size();
  double first_arrival = std::numeric_limits<double>::infinity(), last_arrival = -first_arrival;
  double last_completion = -std::numeric_limits<double>::infinity();
  std::size_t measured_arrivals = 0;
  for (std::size_t q = 0; q < arrival_.size(); ++q) {
    if (completion_[q] < 0) continue;
    ok_[q] ? ++r.completed : ++r.failed;
    if (!measured(q)) continue;
    ++measured_arrivals;
    first_arrival = std::min(first_arrival, arrival_[q]);
    last_arrival = std::max(last_arrival, arrival_[q]);
    if (!ok_[q]) continue;
    ++r.measured;
    last_completion = std::max(last_completion, completion_[q]);
    r.latency_ms.push_back((completion_[q] - arrival_[q]) * 1e3);
  }
  if (r.measured) {
    r.measured_seconds = last_completion - first_arrival;
    r.queries_per_second = r.measured_seconds > 0 ? double(r.measured) / r.measured_seconds : 0;
  }
  if (s_.scenario == Scenario::kServer) {
    if (measured_arrivals > 1 && last_arrival > first_arrival)
      r.offered_qps = double(measured_arrivals - 1) / (last_arrival - first_arrival);
    std::vector<double> sorted = r.latency_ms;
    std::sort(sorted.begin(), sorted.end());
    r.latency_at_percentile_ms = percentile(sorted, s_.latency_percentile);
    // A failed query has no latency: it cannot count as within the bound.
    r.latency_bound_held = r.measured > 0 && measured_arrivals == r.measured &&
                           r.latency_at_percentile_ms <= s_.latency_bound_ms;
  }
  return r;
}

SimulatedRun simulate(const ScenarioSettings& settings, const SimulatedDevice& d) {
  if (d.runners < 1 || d.batch < 1 || d.latency_ms < 0 || d.latency_ms_per_image < 0)
    throw Error(ErrorCode::kInvalidArgument, "simulate: a device needs runners and batch of at least 1");
  LoadGen lg(settings, 0.0);
  SimulatedRun run;
  run.jobs_per_runner.assign(static_cast<std::size_t>(d.runners), 0);
  struct Job {
    double done = 0;
    std::size_t first = 0, count = 0;
  };
  std::vector<std::optional<Job>> busy(static_cast<std::size_t>(d.runners));
  double now = 0;
  for (;;) {
    // Every idle runner takes what has arrived, as the pool's threads would.
    for (std::size_t r = 0; r < busy.size(); ++r) {
      if (busy[r]) continue;
      std::size_t first = 0;
      std::size_t n = lg.take(now, static_cast<std::size_t>(d.batch), first);
      if (!n) continue;
      busy[r] = Job{now + (d.latency_ms + double(n) * d.latency_ms_per_image) * 1e-3, first, n};
      run.jobs_per_runner[r]++;
      run.batch_sizes.push_back(n);
    }
    if (lg.done()) break;
    // The next event: a job finishing or a query arriving.
    double next = std::numeric_limits<double>::infinity();
    for (auto& j : busy)
      if (j) next = std::min(next, j->done);
    if (auto a = lg.next_arrival(); a && *a > now) next = std::min(next, *a);
    if (!std::isfinite(next)) break;  // nothing would move: cannot happen while queries are out
    now = next;
    for (auto& j : busy)
      if (j && j->done <= now) {
        for (std::size_t q = j->first; q < j->first + j->count; ++q) lg.complete(q, j->done, true);
        run.end_s = std::max(run.end_s, j->done);
        j.reset();
      }
  }
  run.result = lg.result();
  return run;
}

}  // namespace dpurun

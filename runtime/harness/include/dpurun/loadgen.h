// The load generator: when queries (one image each) arrive, when a run stops, and what each
// query's latency was, for the three scenarios MLPerf's LoadGen defines. It is pure logic over
// times in seconds, with no clock of its own: `dpurun bench` drives it with the steady clock
// through the runner pool, and simulate() drives it with a simulated device in simulated time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace dpurun {

enum class Scenario {
  kOffline,       // every query there from the start: maximum throughput
  kSingleStream,  // one query at a time, the next when the previous completes: latency
  kServer,        // Poisson arrivals at a target rate: does the latency bound hold?
};
const char* to_string(Scenario s);
Scenario parse_scenario(const std::string& s);  // "offline", "single-stream", "server"; throws Error

struct ScenarioSettings {
  Scenario scenario = Scenario::kOffline;
  double warmup_s = 1;          // queries arriving earlier run but are not measured
  double min_duration_s = 5;    // measured time at least this long …
  std::size_t min_count = 1000;  // … and at least this many measured queries
  std::size_t max_count = 0;    // a cap on queries issued (0: none)
  double target_qps = 0;        // server: mean arrival rate
  double latency_bound_ms = 0;  // server: the bound …
  double latency_percentile = 99;  // … that this percentile of the latencies must hold
  std::uint64_t seed = 1;       // server arrivals; data order
};
// Throws Error(kInvalidArgument) naming the setting that cannot be run.
void validate(const ScenarioSettings& s);

struct ScenarioResult {
  std::size_t issued = 0, completed = 0, failed = 0;
  std::size_t measured = 0;      // completed after the warm-up, the ones the numbers are about
  double measured_seconds = 0;   // end of warm-up → last measured completion
  double queries_per_second = 0;  // measured / measured_seconds
  double offered_qps = 0;        // server: measured arrivals per second of arrivals
  std::vector<double> latency_ms;  // per measured query: arrival → completion
  double latency_at_percentile_ms = 0;  // server: at latency_percentile
  bool latency_bound_held = false;      // server
};

// Nearest-rank percentile (p in 0–100) of `sorted` (ascending); 0 when empty.
double percentile(const std::vector<double>& sorted, double p);

// Not thread-safe: its user serializes calls (the bench feed holds a mutex).
class LoadGen {
 public:
  LoadGen(const ScenarioSettings& settings, double start);

  // Queries that have arrived by `now` and are not taken yet, up to `max`: [first, first +
  // count). Offline and single-stream queries arrive when taken; single-stream ones only while
  // none is outstanding. Once the stopping rule holds, no more are issued.
  std::size_t take(double now, std::size_t max, std::size_t& first);
  // When the next query arrives, when that is known: nullopt while single-stream waits for a
  // completion, and once issuing has ended.
  std::optional<double> next_arrival() const;
  bool issuing_ended() const { return ended_; }
  void complete(std::size_t query, double now, bool ok);
  bool done() const { return ended_ && outstanding_ == 0; }
  std::size_t outstanding() const { return outstanding_; }
  std::size_t issued() const { return arrival_.size(); }
  double arrival(std::size_t query) const { return arrival_.at(query); }
  bool measured(std::size_t query) const { return query < arrival_.size() && arrival_[query] >= measure_start_; }

  ScenarioResult result() const;

 private:
  bool stop_rule(double t) const;  // true: a query arriving at t is not issued
  double next_poisson();

  ScenarioSettings s_;
  double start_, measure_start_;
  std::mt19937_64 rng_;
  double next_server_arrival_ = 0;
  bool ended_ = false;
  std::size_t outstanding_ = 0, measured_issued_ = 0;
  std::vector<double> arrival_, completion_;  // per query; completion < 0: not yet
  std::vector<char> ok_;
};

// A device in simulated time: `runners` runners of `batch` images each; a job of n images takes
// latency_ms + n × latency_ms_per_image. Drives a LoadGen as `dpurun bench` would, without a clock.
struct SimulatedDevice {
  int runners = 1;
  int batch = 1;
  double latency_ms = 1;
  double latency_ms_per_image = 0;
};
struct SimulatedRun {
  ScenarioResult result;
  double end_s = 0;                        // simulated time when the last query completed
  std::vector<std::size_t> jobs_per_runner;  // to check that the load spread
  std::vector<std::size_t> batch_sizes;      // images per job, in job order
};
SimulatedRun simulate(const ScenarioSettings& settings, const SimulatedDevice& device);

}  // namespace dpurun

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dpurun/eval.h"
#include "dpurun/loadgen.h"

namespace dpurun {

LatencyStats summarize(std::vector<double> samples) {
  LatencyStats s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
  s.p50 = percentile(samples, 50);
  s.p90 = percentile(samples, 90);
  s.p95 = percentile(samples, 95);
  s.p99 = percentile(samples, 99);
  s.max = samples.back();
  return s;
}

}  // namespace dpurun

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dpurun/eval.h"

namespace dpurun {

LatencyStats summarize(std::vector<double> samples) {
  LatencyStats s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double q) {
    auto k = static_cast<std::size_t>(std::ceil(q * double(samples.size())));
    return samples[std::clamp<std::size_t>(k, 1, samples.size()) - 1];
  };
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p95 = rank(0.95);
  s.p99 = rank(0.99);
  s.max = samples.back();
  return s;
}

}  // namespace dpurun

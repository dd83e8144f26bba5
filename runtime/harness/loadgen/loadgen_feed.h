// The load generator behind the pool's Feed interface, on the steady clock: `dpurun bench`'s
// way of handing queries to the runner pool as they arrive.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "dpurun/loadgen.h"
#include "dpurun/pool.h"

namespace dpurun {

inline constexpr auto kFeedWait = std::chrono::milliseconds(20);

class LoadGenFeed : public Feed {
 public:
  using Clock = std::chrono::steady_clock;
  static double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

  LoadGenFeed(const ScenarioSettings& s, const std::atomic<bool>* cancel) : lg_(s, now_s()), cancel_(cancel) {}

  std::size_t take(std::size_t max, std::size_t& first) override {
    std::unique_lock lock(mutex_);
    const auto deadline = Clock::now() + kFeedWait;
    for (;;) {
      if (cancelled()) return 0;
      if (std::size_t n = lg_.take(now_s(), max, first)) return n;
      if (lg_.issuing_ended() || Clock::now() >= deadline) return 0;
      auto until = deadline;
      if (auto a = lg_.next_arrival())
        until = std::min(until, Clock::time_point(std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(*a))));
      cv_.wait_until(lock, until);  // a completion (single-stream) or the next arrival
    }
  }
  bool ended() const override {
    std::lock_guard lock(mutex_);
    return lg_.issuing_ended() || cancelled();
  }
  void complete(std::size_t query, bool ok) {
    {
      std::lock_guard lock(mutex_);
      lg_.complete(query, now_s(), ok);
    }
    cv_.notify_all();
  }
  // After the run: nothing else touches the load generator.
  const LoadGen& loadgen() const { return lg_; }

 private:
  bool cancelled() const { return cancel_ && cancel_->load(); }
  LoadGen lg_;
  const std::atomic<bool>* cancel_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace dpurun

// The runner pool. Preprocess threads take the next batch from the feed, fill a free buffer set
// of some runner and queue it to that runner; each runner's thread keeps its jobs in flight
// (Runner::jobs_in_flight) submitted, waits for each in turn, and delivers the outputs. Buffer sets are the
// bounded queues: a runner has queue_depth of them.
#include "dpurun/pool.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "dpurun/error.h"

namespace dpurun {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(20);
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Slot {
  std::size_t runner = 0;
  std::unique_ptr<JobBuffers> buffers;
  std::size_t first = 0, count = 0;  // images [first, first + count)
  std::vector<bool> image_ok;    // per image of the batch: loaded
  Clock::time_point started;     // first image began loading
};

class Pool {
 public:
  Pool(const std::vector<Runner*>& runners, Feed& feed, const ImageLoader& load,
       const ResultSink& sink, const PoolOptions& o)
      : runners_(runners), feed_(feed), load_(load), sink_(sink), o_(o) {
    check_runners();
    batch_ = static_cast<std::size_t>(runners_[0]->batch());
    const auto& in = runners_[0]->input_tensors()[0];
    image_bytes_ = static_cast<std::size_t>(element_count(Shape(in.shape.begin() + 1, in.shape.end()))) *
                   size_of(in.type);
    const auto& out = runners_[0]->output_tensors()[0];
    out_elems_ = static_cast<std::size_t>(element_count(Shape(out.shape.begin() + 1, out.shape.end())));
    ready_.resize(runners_.size());
    retired_.assign(runners_.size(), false);
    stats_.images_per_runner.assign(runners_.size(), 0);
    std::vector<int> depth;  // buffer sets per runner
    for (auto* r : runners_) {
      const int jobs = std::max(1, o_.jobs_per_runner > 0 ? o_.jobs_per_runner : r->jobs_in_flight());
      jobs_in_flight_.push_back(static_cast<std::size_t>(jobs));
      depth.push_back(std::max(o_.queue_depth, jobs + 2));
    }
    const int most = *std::max_element(depth.begin(), depth.end());
    for (int d = 0; d < most; ++d)  // interleaved, so that every runner gets work early
      for (std::size_t r = 0; r < runners_.size(); ++r) {
        if (d >= depth[r]) continue;
        auto slot = std::make_unique<Slot>();
        slot->runner = r;
        slot->buffers = runners_[r]->allocate_buffers();
        free_.push_back(slot.get());
        slots_.push_back(std::move(slot));
      }
  }

  PoolStats run() {
    auto start = Clock::now();
    int preppers = o_.preprocess_threads > 0 ? o_.preprocess_threads
                                             : std::max(1, int(std::thread::hardware_concurrency()));
    std::vector<std::thread> threads;
    for (int p = 0; p < preppers; ++p) threads.emplace_back([this] { prepare_loop(); });
    for (std::size_t r = 0; r < runners_.size(); ++r) threads.emplace_back([this, r] { run_loop(r); });
    for (auto& t : threads) t.join();
    stats_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(stats_.failures.begin(), stats_.failures.end(),
              [](const ImageFailure& a, const ImageFailure& b) { return a.image < b.image; });
    if (!stats_.stopped && stats_.completed + stats_.failures.size() < stats_.images) {
      stats_.stopped = true;  // cannot happen unless a batch was lost: say so rather than hide it
      stats_.stop_reason = "internal error: some images were neither run nor failed";
    }
    return std::move(stats_);
  }

 private:
  void check_runners() {
    if (runners_.empty()) throw Error(ErrorCode::kInvalidArgument, "the pool needs at least one runner");
    const auto& first = *runners_[0];
    if (first.input_tensors().size() != 1 || first.output_tensors().empty())
      throw Error(ErrorCode::kUnsupported,
                  first.name() + ": the pool runs models with one input tensor and at least one output; this one has " +
                      std::to_string(first.input_tensors().size()) + " inputs");
    for (auto* r : runners_) {
      const auto& a = r->input_tensors(), &b = first.input_tensors();
      if (a.size() != b.size() || a[0].shape != b[0].shape || a[0].type != b[0].type ||
          a[0].fix_point != b[0].fix_point || r->output_tensors()[0].shape != first.output_tensors()[0].shape)
        throw Error(ErrorCode::kInvalidArgument, "the pool's runners take different tensors: " + r->name() +
                                                     " " + to_string(a[0].shape) + " vs " + to_string(b[0].shape));
    }
    if (first.batch() < 1) throw Error(ErrorCode::kInvalidArgument, first.name() + ": batch " + std::to_string(first.batch()));
  }

  bool cancelled() const { return stop_ || (o_.jobs.cancel && o_.jobs.cancel->load()); }
  bool has_work() const { return !retry_.empty() || !feed_done_; }
  // Every batch taken has been finished and the feed has no more.
  bool all_done() const { return feed_done_ && in_flight_ == 0 && taking_ == 0; }

  void stop_locked(const std::string& reason) {
    if (!stop_) {
      stop_ = true;
      stats_.stopped = true;
      stats_.stop_reason = reason;
    }
    cv_.notify_all();
  }

  void fail_locked(std::size_t image, const std::string& error, ErrorCode code = ErrorCode::kDevice) {
    stats_.failures.push_back(ImageFailure{image, error, code});
    if (o_.on_failure) o_.on_failure(stats_.failures.back());
    if (o_.jobs.stop_on_error) stop_locked("stopped at the first error (image " + std::to_string(image) + "): " + error);
  }

  void prepare_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      // Polls, so that a cancel flag set from outside is seen without a notification.
      cv_.wait_for(lock, kPoll, [&] {
        return cancelled() || all_done() || (has_work() && !free_.empty());
      });
      if (!cancelled() && !all_done() && !(has_work() && !free_.empty())) continue;
      if (cancelled()) {
        if (o_.jobs.cancel && o_.jobs.cancel->load()) stop_locked("cancelled");
        return;
      }
      if (all_done()) return;
      Slot* slot = free_.front();
      free_.pop_front();
      if (retired_[slot->runner]) continue;  // its runner hung: drop the set
      if (!retry_.empty()) {
        std::tie(slot->first, slot->count) = retry_.front();
        retry_.pop_front();
      } else {
        ++taking_;
        lock.unlock();
        std::size_t first = 0, count = 0;
        try {
          count = feed_.take(batch_, first);
        } catch (const std::exception& e) {
          lock.lock();
          --taking_;
          free_.push_front(slot);
          feed_done_ = true;
          stop_locked(std::string("the feed failed: ") + e.what());
          continue;
        }
        const bool ended = count == 0 && feed_.ended();
        lock.lock();
        --taking_;
        if (count == 0) {
          free_.push_front(slot);
          feed_done_ = feed_done_ || ended;
          cv_.notify_all();
          continue;
        }
        slot->first = first;
        slot->count = std::min(count, batch_);
        stats_.images += slot->count;
        ++in_flight_;
      }
      lock.unlock();
      fill(*slot);
      lock.lock();
      if (retired_[slot->runner]) {
        retry_.emplace_back(slot->first, slot->count);
      } else {
        ready_[slot->runner].push_back(slot);
      }
      cv_.notify_all();
    }
  }

  void fill(Slot& s) {
    s.started = Clock::now();
    const std::size_t first = s.first, count = s.count;
    s.image_ok.assign(count, false);
    TensorBuffer& in = s.buffers->inputs[0];
    for (std::size_t i = 0; i < count; ++i) {
      std::byte* dst = in.data + i * image_bytes_;
      try {
        load_(first + i, in.info, dst);
        s.image_ok[i] = true;
      } catch (const Error& e) {
        std::memset(dst, 0, image_bytes_);
        std::lock_guard lock(mutex_);
        fail_locked(first + i, e.what(), e.code());
      } catch (const std::exception& e) {
        std::memset(dst, 0, image_bytes_);
        std::lock_guard lock(mutex_);
        fail_locked(first + i, e.what(), ErrorCode::kInternal);
      }
    }
    if (count < batch_) std::memset(in.data + count * image_bytes_, 0, (batch_ - count) * image_bytes_);
  }

  // A job submitted to a runner; once waited for, its outcome.
  struct Job {
    Slot* slot = nullptr;
    std::optional<std::uint32_t> id;  // none when it could not start
    JobStatus status;
    Clock::time_point submitted;
    double run_ms = 0;
  };

  Job submit(Runner& runner, Slot* s) {
    Job j{s, std::nullopt, {}, Clock::now(), 0};
    try {
      j.id = runner.execute_async(*s->buffers);
    } catch (const std::exception& e) {
      j.status = JobStatus{JobState::kFailed, e.what(), 0};
    }
    return j;
  }

  // Submits ready jobs until the runner has its jobs in flight (none once cancelled).
  void top_up(std::size_t r, std::deque<Job>& running, std::unique_lock<std::mutex>& lock) {
    while (!cancelled() && running.size() < jobs_in_flight_[r] && !ready_[r].empty()) {
      Slot* s = ready_[r].front();
      ready_[r].pop_front();
      lock.unlock();
      running.push_back(submit(*runners_[r], s));
      lock.lock();
    }
  }

  // Each runner's thread keeps its jobs in flight submitted, waits for the oldest, submits the
  // next and only then delivers the outputs, so that the device does not wait on the host.
  void run_loop(std::size_t r) {
    Runner& runner = *runners_[r];
    std::vector<float> out(out_elems_);
    std::deque<Job> running;
    Clock::time_point last_end{};  // when the previous job was seen to end
    std::unique_lock lock(mutex_);
    for (;;) {
      if (o_.jobs.cancel && o_.jobs.cancel->load()) stop_locked("cancelled");
      top_up(r, running, lock);
      if (running.empty()) {  // running jobs finish after a cancel; nothing new starts
        if (cancelled() || (ready_[r].empty() && all_done())) return;
        cv_.wait_for(lock, kPoll, [&] { return !ready_[r].empty() || all_done() || cancelled(); });
        continue;
      }
      lock.unlock();
      Job j = std::move(running.front());
      running.pop_front();
      if (j.id) {
        try {
          j.status = runner.wait(*j.id, o_.jobs.timeout_ms);
        } catch (const std::exception& e) {
          j.status = JobStatus{JobState::kFailed, e.what(), 0};
        }
      }
      // Runner time: from when the job could start (submitted, the previous one ended) to its end.
      const auto end = Clock::now();
      j.run_ms = j.status.device_ms > 0 ? j.status.device_ms : ms_between(std::max(j.submitted, last_end), end);
      last_end = end;
      const bool retire = j.status.state == JobState::kTimeout || j.status.state == JobState::kLost;
      if (!retire) {
        lock.lock();
        top_up(r, running, lock);
        lock.unlock();
      }
      if (!finish(r, j, out, running)) return;
      lock.lock();
    }
  }

  // Delivers a job's outputs and returns its buffers. False when the job retired its runner:
  // then the runner's other jobs (`running`) are handed to the other runners.
  bool finish(std::size_t r, const Job& j, std::vector<float>& out, const std::deque<Job>& running) {
    Slot* s = j.slot;
    const JobStatus& st = j.status;
    const std::size_t first = s->first;
    std::size_t delivered = 0;
    if (st.state == JobState::kDone) {
      const TensorBuffer& ob = s->buffers->outputs[0];
      const std::size_t out_bytes = out_elems_ * size_of(ob.info.type);
      std::lock_guard sink_lock(sink_mutex_);
      for (std::size_t i = 0; i < s->image_ok.size(); ++i) {
        if (!s->image_ok[i]) continue;
        dequantize_tensor(ob.info, ob.data + i * out_bytes, out_elems_, out.data());
        sink_(first + i, out.data(), out_elems_);
        ++delivered;
      }
    }
    std::lock_guard lock(mutex_);
    stats_.jobs++;
    stats_.device_ms.push_back(j.run_ms);
    stats_.end_to_end_ms.push_back(ms_between(s->started, Clock::now()));
    stats_.job_first_image.push_back(first);
    stats_.completed += delivered;
    stats_.images_per_runner[r] += delivered;
    if (st.state != JobState::kDone) {
      const std::string what = runners_[r]->name() + " (runner " + std::to_string(r) + ", images " +
                               std::to_string(first) + "–" + std::to_string(first + s->image_ok.size() - 1) +
                               "): " + st.error;
      for (std::size_t i = 0; i < s->image_ok.size(); ++i)
        if (s->image_ok[i]) fail_locked(first + i, what);
    }
    in_flight_--;
    if (st.state == JobState::kTimeout || st.state == JobState::kLost) {
      // The job may still own its buffers, or the runner is gone: retire it, hand its other
      // batches back (those submitted after this one never ran to an answer).
      retired_[r] = true;
      for (const Job& o : running) retry_.emplace_back(o.slot->first, o.slot->count);
      for (Slot* q : ready_[r]) retry_.emplace_back(q->first, q->count);
      ready_[r].clear();
      if (std::all_of(retired_.begin(), retired_.end(), [](bool b) { return b; }))
        stop_locked((st.state == JobState::kLost ? "every runner timed out or was lost" : "every runner timed out") +
                    (in_flight_ > 0 ? "; " + std::to_string(in_flight_) + " batches were not run" : std::string()));
      cv_.notify_all();
      return false;
    }
    free_.push_back(s);
    cv_.notify_all();
    return true;
  }

  std::vector<Runner*> runners_;
  Feed& feed_;
  const ImageLoader& load_;
  const ResultSink& sink_;
  PoolOptions o_;
  std::size_t batch_ = 1, image_bytes_ = 0, out_elems_ = 0;
  std::vector<std::size_t> jobs_in_flight_;  // per runner

  std::mutex mutex_, sink_mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<Slot*> free_;
  std::vector<std::deque<Slot*>> ready_;
  std::deque<std::pair<std::size_t, std::size_t>> retry_;  // (first, count) of batches to run again
  std::vector<bool> retired_;
  std::size_t in_flight_ = 0;  // batches taken and not finished
  int taking_ = 0;             // preprocess threads inside feed_.take()
  bool feed_done_ = false, stop_ = false;
  PoolStats stats_;
};

}  // namespace

// A fixed count of images, all there from the start.
class CountFeed : public Feed {
 public:
  explicit CountFeed(std::size_t n) : n_(n) {}
  std::size_t take(std::size_t max, std::size_t& first) override {
    std::lock_guard lock(mutex_);
    first = next_;
    const std::size_t count = std::min(max, n_ - next_);
    next_ += count;
    return count;
  }
  bool ended() const override {
    std::lock_guard lock(mutex_);
    return next_ == n_;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t n_, next_ = 0;
};

PoolStats run_pool(const std::vector<Runner*>& runners, std::size_t images, const ImageLoader& load,
                   const ResultSink& sink, const PoolOptions& options) {
  CountFeed feed(images);
  PoolStats s = Pool(runners, feed, load, sink, options).run();
  s.images = images;
  return s;
}

PoolStats run_pool(const std::vector<Runner*>& runners, Feed& feed, const ImageLoader& load,
                   const ResultSink& sink, const PoolOptions& options) {
  return Pool(runners, feed, load, sink, options).run();
}

}  // namespace dpurun

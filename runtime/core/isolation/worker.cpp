// The worker's side of an isolated runner: it maps the job memory its parent sends, starts each
// job as it arrives and answers each as it ends, recording its progress in the job's memory.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "dpurun/error.h"
#include "dpurun/isolation.h"
#include "isolation/channel.h"

namespace dpurun {
namespace {

using namespace isolation;

struct Slot {
  std::byte* base = nullptr;
  JobProgress* progress = nullptr;  // at base
  std::size_t bytes = 0;
  std::unique_ptr<JobBuffers> buffers;
  bool copy = false;  // the runner has memory of its own: copy in and out
  ~Slot() {
    if (base) munmap(base, bytes);
  }
};

void copy_blocks(const std::vector<TensorBuffer>& runner, std::byte* base, const Layout& l, std::size_t first,
                 bool to_runner) {
  for (std::size_t i = 0; i < runner.size(); ++i) {
    std::byte* shared = base + l.offsets[first + i];
    const std::size_t n = std::min(runner[i].bytes, l.sizes[first + i]);
    if (to_runner) std::memcpy(runner[i].data, shared, n);
    else std::memcpy(shared, runner[i].data, n);
  }
}

}  // namespace

int serve_worker(int channel, const std::function<std::unique_ptr<Runner>()>& make) {
  // Ctrl-C is the parent's to handle (its running jobs finish); a worker started in the terminal's
  // process group by another program ignores it too. A parent that is gone shows as the
  // channel's end.
  std::signal(SIGINT, SIG_IGN);
  std::unique_ptr<Runner> runner;
  try {
    runner = make();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    send_message(channel, Message{Header{Kind::kError, 0, 0, static_cast<std::int32_t>(e.code())}, e.what()});
    return 10 + static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    send_message(channel, Message{Header{Kind::kError, 0, 0, static_cast<std::int32_t>(ErrorCode::kInternal)}, e.what()});
    return 10 + static_cast<int>(ErrorCode::kInternal);
  }
  RunnerInfo info{runner->name(), runner->flops_per_image(), runner->input_tensors(), runner->output_tensors()};
  const Layout layout = layout_of(info);
  if (!send_message(channel, Message{Header{Kind::kReady}, encode(info)})) return 0;

  // This thread takes the parent's messages and starts each job as it comes; `waiter` waits for
  // the jobs in the order they started and answers. So the next job is queued on the device
  // before the current one ends, as in process.
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::uint32_t, Slot> slots;  // under mutex
  struct Started {
    std::uint32_t job, slot, id;
    std::optional<JobStatus> failed;  // it could not start
  };
  std::deque<Started> started;  // under mutex
  bool quit = false;            // under mutex
  std::atomic<std::size_t> queued{0};  // started.size(), read without the lock
  // Waits for a started job, records it in its memory and answers the parent.
  auto answer = [&](const Started& j, Slot* s) {
    JobStatus st;
    if (j.failed || !s) {
      st = j.failed ? *j.failed : JobStatus{JobState::kFailed, "worker: no job memory " + std::to_string(j.slot), 0};
    } else {
      try {
        st = runner->wait(j.id, -1);  // the parent bounds it: it kills this process
        if (s->copy && st.state == JobState::kDone) copy_blocks(s->buffers->outputs, s->base, layout, info.inputs.size(), false);
      } catch (const std::exception& e) {
        st = JobStatus{JobState::kFailed, e.what(), 0};
      }
    }
    {
      // Once the parent has the answer it may release the slot (kRelease, on the other thread):
      // the last use of it is under the lock, so that the release is ordered after it.
      std::lock_guard lock(mutex);
      if (s && st.state == JobState::kDone) {
        s->progress->device_ms = st.device_ms;
        s->progress->phase.store(JobProgress::kFinished, std::memory_order_release);
      }
    }
    Header reply{Kind::kDone, j.job, j.slot, static_cast<std::int32_t>(st.state)};
    reply.device_ms = st.device_ms;
    // After a kTimeout the job may still use the memory: the parent restarts this worker.
    send_message(channel, Message{reply, st.error});  // a parent that is gone shows to the receiver
  };
  // A runner that works in execute_async (jobs_in_flight 1) has nothing to overlap: its jobs are
  // answered here, one at a time, so a job is finished before the next one starts.
  const bool in_turn = runner->jobs_in_flight() <= 1;
  std::thread waiter;
  if (!in_turn) waiter = std::thread([&] {
    for (;;) {
      // The next job usually comes within microseconds: a sleeping thread wakes later than that.
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
      while (queued.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return quit || !started.empty(); });
      if (started.empty()) return;
      Started j = started.front();
      started.pop_front();
      queued.store(started.size(), std::memory_order_release);
      auto it = slots.find(j.slot);
      Slot* s = it == slots.end() ? nullptr : &it->second;
      lock.unlock();
      answer(j, s);
    }
  });
  auto end = [&](int code) {
    {
      std::lock_guard lock(mutex);
      quit = true;
    }
    cv.notify_all();
    if (waiter.joinable()) waiter.join();
    return code;
  };

  for (;;) {
    std::optional<Message> m = receive_message(channel, -1);
    if (!m || m->header.kind == Kind{} || m->header.kind == Kind::kQuit) return end(0);  // the parent went
    if (m->header.kind == Kind::kBuffers) {
      void* p = mmap(nullptr, m->header.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
      close(m->fd);
      if (p == MAP_FAILED) {
        std::fprintf(stderr, "dpurun worker: cannot map job memory: %s\n", std::strerror(errno));
        std::_Exit(10 + static_cast<int>(ErrorCode::kIo));
      }
      std::lock_guard lock(mutex);
      Slot& s = slots[m->header.slot];
      s.bytes = m->header.bytes;
      s.base = static_cast<std::byte*>(p);
      s.progress = reinterpret_cast<JobProgress*>(s.base);
      std::vector<std::byte*> in, out;
      for (std::size_t i = 0; i < info.inputs.size(); ++i) in.push_back(s.base + layout.offsets[i]);
      for (std::size_t i = 0; i < info.outputs.size(); ++i) out.push_back(s.base + layout.offsets[info.inputs.size() + i]);
      s.buffers = runner->buffers_over(in, out);
      if (!s.buffers) {
        s.buffers = runner->allocate_buffers();
        s.copy = true;
      }
      continue;
    }
    if (m->header.kind == Kind::kRelease) {
      std::lock_guard lock(mutex);
      slots.erase(m->header.slot);
      continue;
    }
    if (m->header.kind != Kind::kRun) continue;
    Started j{m->header.job, m->header.slot, 0, std::nullopt};
    std::unique_lock lock(mutex);
    auto it = slots.find(j.slot);
    if (it == slots.end()) {
      j.failed = JobStatus{JobState::kFailed, "worker: no job memory " + std::to_string(j.slot), 0};
    } else {
      Slot& s = it->second;
      lock.unlock();
      s.progress->job.store(j.job, std::memory_order_relaxed);
      s.progress->phase.store(JobProgress::kStarting, std::memory_order_release);
      try {
        if (s.copy) copy_blocks(s.buffers->inputs, s.base, layout, 0, true);
        j.id = runner->execute_async(*s.buffers);
      } catch (const std::exception& e) {
        j.failed = JobStatus{JobState::kFailed, e.what(), 0};
      }
      s.progress->phase.store(JobProgress::kStarted, std::memory_order_release);
      lock.lock();
    }
    if (in_turn) {
      auto found = slots.find(j.slot);
      Slot* s = found == slots.end() ? nullptr : &found->second;
      lock.unlock();
      answer(j, s);
      continue;
    }
    started.push_back(j);
    queued.store(started.size(), std::memory_order_release);
    lock.unlock();
    cv.notify_one();
  }
}

}  // namespace dpurun

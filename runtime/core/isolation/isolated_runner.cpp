// The parent's side of an isolated runner: a worker process per runner, job memory in memfds both
// map, and a restart when the worker dies or hangs.
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "dpurun/error.h"
#include "dpurun/isolation.h"
#include "isolation/channel.h"
#include "isolation/process.h"

namespace dpurun {
namespace {

using namespace isolation;
using Clock = std::chrono::steady_clock;

struct SharedMemory {
  int fd = -1;
  std::byte* base = nullptr;
  std::size_t bytes = 0;
};

class IsolatedRunner;

// A job's memory; given back to its runner (and unmapped in both processes) when destroyed.
class IsolatedBuffers : public JobBuffers {
 public:
  IsolatedBuffers(IsolatedRunner* runner, std::uint32_t slot) : runner(runner), slot(slot) {}
  ~IsolatedBuffers() override;
  IsolatedRunner* runner;
  std::uint32_t slot;
};

class IsolatedRunner : public Runner {
 public:
  IsolatedRunner(WorkerCommand command, IsolationOptions options)
      : command_(std::move(command)), o_(options) {
    start();  // the first worker's failure is the caller's error
    first_ = info_;
    layout_ = layout_of(info_);
  }

  ~IsolatedRunner() override {
    stop_worker(2000);
    for (auto& [slot, m] : memory_) unmap(m);
  }

  void release(std::uint32_t slot) {
    std::lock_guard lock(mutex_);
    auto it = memory_.find(slot);
    if (it == memory_.end()) return;
    unmap(it->second);
    memory_.erase(it);
    if (alive()) send_message(socket_, Message{Header{Kind::kRelease, 0, slot}, ""});
  }

  std::string name() const override { return info_.name + ", isolated"; }
  const std::vector<TensorInfo>& input_tensors() const override { return first_.inputs; }
  const std::vector<TensorInfo>& output_tensors() const override { return first_.outputs; }
  double flops_per_image() const override { return first_.flops_per_image; }
  // One more than in process: a job's answer takes a round trip through the worker before the
  // pool can submit the next.
  int jobs_in_flight() const override { return 3; }

  std::unique_ptr<JobBuffers> allocate_buffers() override {
    std::lock_guard lock(mutex_);
    SharedMemory m;
    m.bytes = layout_.total;
    m.fd = memfd_create("dpurun-job", MFD_CLOEXEC);
    if (m.fd < 0 || ftruncate(m.fd, static_cast<off_t>(m.bytes)) != 0)
      throw Error(ErrorCode::kIo, std::string("cannot create job memory for an isolated runner: ") + std::strerror(errno));
    void* p = mmap(nullptr, m.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
    if (p == MAP_FAILED) {
      close(m.fd);
      throw Error(ErrorCode::kIo, std::string("cannot map job memory for an isolated runner: ") + std::strerror(errno));
    }
    m.base = static_cast<std::byte*>(p);
    auto jb = std::make_unique<IsolatedBuffers>(this, next_slot_++);
    const std::size_t ins = first_.inputs.size();
    for (std::size_t i = 0; i < ins; ++i)
      jb->inputs.push_back(TensorBuffer{first_.inputs[i], m.base + layout_.offsets[i], layout_.sizes[i]});
    for (std::size_t i = 0; i < first_.outputs.size(); ++i)
      jb->outputs.push_back(TensorBuffer{first_.outputs[i], m.base + layout_.offsets[ins + i], layout_.sizes[ins + i]});
    memory_[jb->slot] = m;
    if (alive()) send_buffers(jb->slot);  // a dead worker gets them all when it restarts
    return jb;
  }

  // Its jobs run on memory both processes map: the caller's own memory cannot be used.
  std::unique_ptr<JobBuffers> buffers_over(const std::vector<std::byte*>&, const std::vector<std::byte*>&) override {
    return nullptr;
  }

  std::uint32_t execute_async(JobBuffers& buffers) override {
    auto* isolated = dynamic_cast<IsolatedBuffers*>(&buffers);
    if (!isolated)
      throw Error(ErrorCode::kInvalidArgument, name() + ": job buffers must come from its allocate_buffers()");
    auto& b = *isolated;
    std::lock_guard lock(mutex_);
    const std::uint32_t id = next_job_++;
    if (!alive()) restart_locked();
    if (lost_) {
      done_[id] = JobStatus{JobState::kLost, lost_reason_, 0};
      return id;
    }
    in_flight_[id] = b.slot;
    if (!send_run(id, b.slot)) died_locked();
    return id;
  }

  // The worker starts jobs as they come and finishes them in that order, noting each step in
  // the job's memory (JobProgress): when it dies or is killed, the job it died in fails, the
  // ones that finished keep their outputs, and the rest go to the next worker.
  JobStatus wait(std::uint32_t job, int timeout_ms) override {
    std::lock_guard lock(mutex_);
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
      if (auto it = done_.find(job); it != done_.end()) {
        JobStatus s = std::move(it->second);
        done_.erase(it);
        return s;
      }
      if (!in_flight_.count(job)) return JobStatus{JobState::kFailed, name() + ": no job " + std::to_string(job), 0};
      int left = -1;
      if (timeout_ms >= 0)
        left = static_cast<int>(std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
      std::optional<Message> m = receive_message_soon(socket_, left);
      if (!m) {  // a job outlived the timeout: the worker goes, and with it that job
        stop_worker(0);
        if (auto culprit = settle_locked(job)) {
          cause_ = "job " + std::to_string(*culprit) + " did not finish within " + std::to_string(timeout_ms) +
                   " ms; its worker process was killed";
          fail_locked(*culprit, cause_);
        }
        restart_locked();
        continue;
      }
      if (m->header.kind == Kind{}) {
        died_locked();
        continue;
      }
      if (m->header.kind != Kind::kDone) continue;
      answered_locked(*m);
      if (static_cast<JobState>(m->header.value) == JobState::kTimeout) {  // it may still use the memory: a fresh worker
        done_[m->header.job].state = JobState::kFailed;
        done_[m->header.job].error += "; its worker process was restarted";
        cause_ = done_[m->header.job].error;
        stop_worker(0);
        settle_locked();
        restart_locked();
      }
    }
  }

 private:
  bool alive() const { return pid_ > 0; }

  // Starts a worker and waits for its runner. Throws Error with the worker's message.
  void start() {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
      throw Error(ErrorCode::kIo, std::string("cannot create a worker channel: ") + std::strerror(errno));
    Child c;
    try {
      c = spawn(command_, sv[1]);
    } catch (...) {
      close(sv[0]);
      close(sv[1]);
      throw;
    }
    close(sv[1]);
    socket_ = sv[0];
    pid_ = c.pid;
    output_ = c.output;
    std::optional<Message> m = receive_message(socket_, o_.start_timeout_ms);
    if (m && m->header.kind == Kind::kReady) {
      info_ = decode_runner_info(m->text);
      return;
    }
    const bool timed_out = !m;
    const int status = close_worker(timed_out ? 0 : 5000);
    const std::string said = trim(read_output_and_close());
    if (m && m->header.kind == Kind::kError)
      throw Error(static_cast<ErrorCode>(m->header.value), m->text);
    throw Error(ErrorCode::kDevice,
                command_.program + ": the worker process " +
                    (timed_out ? "had no runner ready within " + std::to_string(o_.start_timeout_ms) + " ms and was killed"
                               : "ended (" + describe_exit(status) + ") before its runner was ready") +
                    (said.empty() ? "" : "; it wrote:\n" + said));
  }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // Ends the worker: asks it to quit, then kills it after `grace_ms`. Returns its wait status.
  int close_worker(int grace_ms) {
    if (pid_ <= 0) return 0;
    if (grace_ms > 0) send_message(socket_, Message{Header{Kind::kQuit}, ""});
    else kill(pid_, SIGKILL);
    const int status = reap(pid_, grace_ms);
    close(socket_);
    socket_ = -1;
    pid_ = -1;
    return status;
  }
  void stop_worker(int grace_ms) {
    close_worker(grace_ms);
    read_output_and_close();
  }
  std::string read_output_and_close() {
    if (output_ < 0) return "";
    std::string s = read_output(output_);
    close(output_);
    output_ = -1;
    return s;
  }

  // The worker ended on its own: the job it died in fails with the cause.
  void died_locked() {
    // Answers it sent before it ended are still in the channel.
    while (auto m = receive_message(socket_, 0)) {
      if (m->header.kind == Kind{}) break;
      if (m->header.kind == Kind::kDone) answered_locked(*m);
    }
    const int status = close_worker(1000);
    const std::string said = trim(read_output_and_close());
    if (auto culprit = settle_locked()) {
      cause_ = "its worker process ended (" + describe_exit(status) + ") while running job " + std::to_string(*culprit) +
               (said.empty() ? "" : "; it wrote: " + said.substr(said.size() > 1500 ? said.size() - 1500 : 0));
      fail_locked(*culprit, cause_);
    }
    restart_locked();
  }

  // After the worker is gone: jobs it finished are done, and of the others, the one it died in
  // is returned: `waited` (the job that outlived a timeout), else the one it was starting, else
  // the oldest it had started, else the oldest.
  std::optional<std::uint32_t> settle_locked(std::optional<std::uint32_t> waited = std::nullopt) {
    std::optional<std::uint32_t> starting, started;
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      const auto* p = reinterpret_cast<const JobProgress*>(memory_.at(it->second).base);
      const auto phase = p->phase.load(std::memory_order_acquire);
      if (p->job.load(std::memory_order_relaxed) != it->first) {
        ++it;
        continue;
      }
      if (phase == JobProgress::kFinished) {
        done_[it->first] = JobStatus{JobState::kDone, "", p->device_ms};
        it = in_flight_.erase(it);
        continue;
      }
      if (phase == JobProgress::kStarting) starting = it->first;
      if (phase == JobProgress::kStarted && !started) started = it->first;
      ++it;
    }
    if (waited && in_flight_.count(*waited)) return waited;
    if (starting) return starting;
    if (started) return started;
    if (!in_flight_.empty()) return in_flight_.begin()->first;
    return std::nullopt;
  }

  // The worker's kDone for a job.
  void answered_locked(const Message& m) {
    in_flight_.erase(m.header.job);
    done_[m.header.job] = JobStatus{static_cast<JobState>(m.header.value), m.text, m.header.device_ms};
  }

  void fail_locked(std::uint32_t job, const std::string& why) {
    done_[job] = JobStatus{JobState::kFailed, why, 0};
    in_flight_.erase(job);
  }

  bool send_run(std::uint32_t job, std::uint32_t slot) {
    // The worker waits for the job without a limit: the bound is wait()'s, which kills it.
    return send_message(socket_, Message{Header{Kind::kRun, job, slot, -1}, ""});
  }

  void send_buffers(std::uint32_t slot) {
    Header h{Kind::kBuffers, 0, slot};
    h.bytes = memory_.at(slot).bytes;
    send_message(socket_, Message{h, "", memory_.at(slot).fd});  // a dead worker shows at the next job
  }

  static void unmap(SharedMemory& m) {
    munmap(m.base, m.bytes);
    close(m.fd);
  }

  // Starts the next worker, gives it every job's memory and the jobs that had not started; when
  // there can be no next worker, those jobs are lost.
  void restart_locked() {
    if (alive()) return;
    if (!lost_) start_next_locked();
    if (lost_) {
      for (const auto& [id, slot] : in_flight_) done_[id] = JobStatus{JobState::kLost, lost_reason_, 0};
      in_flight_.clear();
      return;
    }
    for (const auto& [slot, m] : memory_) send_buffers(slot);
    for (const auto& [id, slot] : in_flight_)
      if (!send_run(id, slot)) break;  // a dead worker shows in wait()
  }

  void start_next_locked() {
    if (restarts_ >= o_.max_restarts) {
      lost_ = true;
      lost_reason_ = name() + ": its worker process was restarted " + std::to_string(restarts_) +
                     " times, the most allowed; last: " + cause_;
      return;
    }
    ++restarts_;
    try {
      start();
    } catch (const Error& e) {
      lost_ = true;
      lost_reason_ = name() + ": its worker process could not be restarted: " + e.what();
      return;
    }
    if (info_.inputs.size() != first_.inputs.size() || info_.outputs.size() != first_.outputs.size()) {
      stop_worker(0);
      lost_ = true;
      lost_reason_ = name() + ": its restarted worker has other tensors than the first";
    }
  }

  WorkerCommand command_;
  IsolationOptions o_;
  RunnerInfo info_, first_;
  Layout layout_;
  std::mutex mutex_;
  std::map<std::uint32_t, SharedMemory> memory_;  // by slot
  std::uint32_t next_slot_ = 0;
  int socket_ = -1, output_ = -1;
  pid_t pid_ = -1;
  std::uint32_t next_job_ = 0;
  std::map<std::uint32_t, std::uint32_t> in_flight_;  // job → slot, sent and not answered
  std::map<std::uint32_t, JobStatus> done_;
  int restarts_ = 0;
  bool lost_ = false;
  std::string lost_reason_, cause_;
};

IsolatedBuffers::~IsolatedBuffers() { runner->release(slot); }

}  // namespace

std::unique_ptr<Runner> make_isolated_runner(const WorkerCommand& command, const IsolationOptions& options) {
  return std::make_unique<IsolatedRunner>(command, options);
}

}  // namespace dpurun

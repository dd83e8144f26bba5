// The worker's side of an isolated runner: one thread that maps the job memory its parent sends
// and runs each job to its end.
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "dpurun/error.h"
#include "dpurun/isolation.h"
#include "isolation/channel.h"

namespace dpurun {
namespace {

using namespace isolation;

struct Slot {
  std::byte* base = nullptr;
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

  std::map<std::uint32_t, Slot> slots;
  for (;;) {
    std::optional<Message> m = receive_message_soon(channel, -1);
    if (!m || m->header.kind == Kind{} || m->header.kind == Kind::kQuit) return 0;  // the parent went
    if (m->header.kind == Kind::kBuffers) {
      Slot& s = slots[m->header.slot];
      s.bytes = m->header.bytes;
      void* p = mmap(nullptr, s.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
      close(m->fd);
      if (p == MAP_FAILED) {
        std::fprintf(stderr, "dpurun worker: cannot map job memory: %s\n", std::strerror(errno));
        return 10 + static_cast<int>(ErrorCode::kIo);
      }
      s.base = static_cast<std::byte*>(p);
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
      slots.erase(m->header.slot);
      continue;
    }
    if (m->header.kind != Kind::kRun) continue;
    Header reply{Kind::kDone, m->header.job, m->header.slot};
    JobStatus st;
    auto it = slots.find(m->header.slot);
    if (it == slots.end()) {
      st = JobStatus{JobState::kFailed, "worker: no job memory " + std::to_string(m->header.slot), 0};
    } else {
      Slot& s = it->second;
      try {
        if (s.copy) copy_blocks(s.buffers->inputs, s.base, layout, 0, true);
        const std::uint32_t id = runner->execute_async(*s.buffers);
        st = runner->wait(id, m->header.value);
        if (s.copy && st.state == JobState::kDone) copy_blocks(s.buffers->outputs, s.base, layout, info.inputs.size(), false);
      } catch (const std::exception& e) {
        st = JobStatus{JobState::kFailed, e.what(), 0};
      }
    }
    reply.value = static_cast<std::int32_t>(st.state);
    reply.device_ms = st.device_ms;
    // After a kTimeout the job may still use the memory: the parent restarts this worker.
    if (!send_message(channel, Message{reply, st.error})) return 0;
  }
}

}  // namespace dpurun

// The messages between an isolated runner and its worker: one SOCK_SEQPACKET datagram each,
// a fixed header then text, and a file descriptor with kBuffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/runner.h"

namespace dpurun::isolation {

enum class Kind : std::uint32_t {
  kReady = 1,   // worker → parent: the runner is made; text: its description
  kError,       // worker → parent: it could not be made; value: the ErrorCode, text: the message
  kBuffers,     // parent → worker: a job's shared memory (fd), `slot`, `bytes`
  kRun,         // parent → worker: run the job on `slot`; `value`: the worker's wait timeout in ms
  kDone,        // worker → parent: job `job` ended; `value`: JobState, text: its error
  kQuit,        // parent → worker
  kRelease,     // parent → worker: unmap `slot`
};

struct Header {
  Kind kind{};
  std::uint32_t job = 0, slot = 0;
  std::int32_t value = 0;
  std::uint64_t bytes = 0;
  double device_ms = 0;
};

struct Message {
  Header header;
  std::string text;
  int fd = -1;  // received with the message (the receiver owns it), or to send
};

// False when the peer is gone. Never raises SIGPIPE.
bool send_message(int socket, const Message& m);
// Waits up to timeout_ms (negative: without limit). Empty on timeout; kind 0 when the peer is
// gone (end of stream or an error).
std::optional<Message> receive_message(int socket, int timeout_ms);
// The same, polling for the first 200 µs (yielding the core) before it sleeps: the answer to a
// short job comes sooner than a sleeping thread wakes.
std::optional<Message> receive_message_soon(int socket, int timeout_ms);

// A runner's description: name, FLOPs per image, and its tensors.
struct RunnerInfo {
  std::string name;
  double flops_per_image = 0;
  std::vector<TensorInfo> inputs, outputs;
};
std::string encode(const RunnerInfo& info);
RunnerInfo decode_runner_info(const std::string& text);  // throws Error for a malformed one

// The start of a job's shared memory: how far the worker got with the job last run on it, so
// that the parent knows, when the worker dies, which job it died in and which had finished.
struct JobProgress {
  enum Phase : std::uint32_t { kQueued = 0, kStarting = 1, kStarted = 2, kFinished = 3 };
  std::atomic<std::uint32_t> job{0};
  std::atomic<std::uint32_t> phase{kQueued};  // of `job`; kFinished: done, outputs written
  double device_ms = 0;                       // set before kFinished
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// A job's shared memory: its JobProgress, then each tensor's block (64-aligned).
struct Layout {
  std::vector<std::size_t> offsets, sizes;  // inputs, then outputs
  std::size_t total = 0;
};
Layout layout_of(const RunnerInfo& info);

}  // namespace dpurun::isolation

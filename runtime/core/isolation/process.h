// Starting a worker program: posix_spawn, with its channel on fd 3 and its stdout and stderr in
// an in-memory file the parent reads when it needs the worker's last words.
#pragma once

#include <sys/types.h>

#include <string>

#include "dpurun/isolation.h"

namespace dpurun::isolation {

struct Child {
  pid_t pid = -1;
  int output = -1;  // memfd holding the child's stdout and stderr
};

// Throws Error(kNotFound) naming the program when it cannot be started. `channel`: the fd the
// child gets as kWorkerChannelFd (-1: none).
Child spawn(const WorkerCommand& command, int channel);
// The last `max` bytes the child wrote.
std::string read_output(int output, std::size_t max = 4096);
// Waits for the child's end, killing it (SIGKILL) if it has not ended after `grace_ms`.
int reap(pid_t pid, int grace_ms);

}  // namespace dpurun::isolation

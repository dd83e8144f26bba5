#include "isolation/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "dpurun/error.h"

extern char** environ;

namespace dpurun {

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "ended (status " + std::to_string(status) + ")";
}

namespace isolation {

namespace {

Error cannot_start(const std::string& program, int error) {
  return Error(ErrorCode::kNotFound, program + ": cannot start this worker program (" + std::strerror(error) +
                                         "); it is installed beside dpurun (set DPURUN_WORKER to its path)");
}

}  // namespace

Child spawn(const WorkerCommand& command, int channel) {
  // Checked first: where posix_spawn is emulated (qemu-user), a failed exec shows only as a
  // child that exits 127.
  if (access(command.program.c_str(), X_OK) != 0) throw cannot_start(command.program, errno);
  Child c;
  c.output = memfd_create("dpurun-worker-output", MFD_CLOEXEC);
  if (c.output < 0) throw Error(ErrorCode::kIo, std::string("cannot create a worker's output file: ") + std::strerror(errno));
  std::vector<std::string> args{command.program};
  args.insert(args.end(), command.args.begin(), command.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, c.output, 1);
  posix_spawn_file_actions_adddup2(&fa, c.output, 2);
  if (channel >= 0) posix_spawn_file_actions_adddup2(&fa, channel, kWorkerChannelFd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The worker starts with default signal handling, whatever this process set (e.g. SIGINT).
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // A group of its own: a terminal's Ctrl-C goes to dpurun alone, which lets running jobs finish
  // (a worker whose parent is gone sees its channel end and exits).
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  const int rc = posix_spawn(&c.pid, command.program.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    close(c.output);
    throw cannot_start(command.program, rc);
  }
  return c;
}

std::string read_output(int output, std::size_t max) {
  const off_t end = lseek(output, 0, SEEK_END);
  if (end <= 0) return "";
  const off_t from = end > static_cast<off_t>(max) ? end - static_cast<off_t>(max) : 0;
  std::string s(static_cast<std::size_t>(end - from), '\0');
  const ssize_t n = pread(output, s.data(), s.size(), from);
  s.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return s;
}

int reap(pid_t pid, int grace_ms) {
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace isolation

}  // namespace dpurun

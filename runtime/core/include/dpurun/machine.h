// The machine a run happens on, for reports (and `dpurun doctor`): CPU, memory, DPU.
#pragma once

#include <cstdint>
#include <string>

namespace dpurun {

struct MachineInfo {
  std::string hostname, os, cpu;  // os: uname; cpu: the model name /proc/cpuinfo gives
  int cores = 0;                  // online
  std::uint64_t memory_bytes = 0, memory_available_bytes = 0;
  std::string board;  // the device tree's model (e.g. "ZynqMP ZCU102 RevB"); empty on a PC
  std::string dpu;    // what `xdputil query` says; empty where the tool is not installed
};
MachineInfo describe_machine();

// `xdputil query`'s output (at most 10 s, 4 KB), or "" where xdputil is not on PATH.
std::string xdputil_query();

// Now, as ISO 8601 UTC ("2026-11-26T00:13:54Z"), for reports.
std::string utc_now();

// Hex SHA-256 of a file's bytes; throws Error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace dpurun

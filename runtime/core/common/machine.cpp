#include "dpurun/machine.h"

#include <openssl/evp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "dpurun/error.h"

namespace dpurun {
namespace {

// The value of the first line of `file` that starts with `key`, after its ':'.
std::string field(const char* file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

std::uint64_t kib(const std::string& v) {
  try {
    return std::stoull(v) * 1024;
  } catch (...) {
    return 0;
  }
}

}  // namespace

MachineInfo describe_machine() {
  MachineInfo m;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  utsname u{};
  if (uname(&u) == 0) m.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
  m.cpu = field("/proc/cpuinfo", "model name");
  if (m.cpu.empty()) m.cpu = field("/proc/cpuinfo", "Hardware");  // some aarch64 kernels
  m.cores = static_cast<int>(std::thread::hardware_concurrency());
  m.memory_bytes = kib(field("/proc/meminfo", "MemTotal"));
  m.memory_available_bytes = kib(field("/proc/meminfo", "MemAvailable"));
  if (std::ifstream model("/proc/device-tree/model"); model) {
    std::getline(model, m.board, '\0');
  }
  m.dpu = xdputil_query();
  return m;
}

std::string xdputil_query() {
  FILE* p = popen("command -v xdputil >/dev/null 2>&1 && timeout 10 xdputil query 2>&1", "r");
  if (!p) return "";
  std::string out;
  char buf[512];
  while (out.size() < 4000 && fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, path + ": cannot be opened to hash");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ErrorCode::kInternal, "OpenSSL cannot start a SHA-256");
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(ErrorCode::kIo, path + ": read failed while hashing");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

}  // namespace dpurun

#include <regex>

#include "dpurun/backends.h"

namespace dpurun {

std::vector<DpuCore> parse_xdputil(const std::string& output) {
  std::vector<DpuCore> cores;
  // Each kernel object names its arch and fingerprint; pair them in order of appearance.
  static const std::regex arch(R"re("DPU Arch"\s*:\s*"([^"]*)")re"),
      fp(R"re("fingerprint"\s*:\s*"(0x[0-9a-fA-F]{1,16})")re");
  std::vector<std::string> archs;
  for (std::sregex_iterator it(output.begin(), output.end(), arch), end; it != end; ++it)
    archs.push_back((*it)[1]);
  std::size_t k = 0;
  for (std::sregex_iterator it(output.begin(), output.end(), fp), end; it != end; ++it, ++k)
    cores.push_back({k < archs.size() ? archs[k] : "", std::stoull((*it)[1].str(), nullptr, 16)});
  return cores;
}

}  // namespace dpurun

#include "dpu/dpu_check.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "dpurun/backends.h"
#include "dpurun/error.h"
#include "dpurun/machine.h"

namespace dpurun::backends::dpu {

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string dpu_description(const xir::Subgraph* s) {
  std::string d = "subgraph '" + s->get_name() + "'";
  if (s->has_attr("dpu_name")) d += ", DPU " + s->get_attr<std::string>("dpu_name");
  if (s->has_attr("dpu_fingerprint"))
    d += ", fingerprint " + hex(s->get_attr<std::uint64_t>("dpu_fingerprint"));
  return d;
}

std::string what_to_do(const std::string& board) {
  return (board.empty() ? "\nNo `xdputil` here to say which DPU this machine has (none, if this is "
                          "not a board)."
                        : "\nThis machine's DPU (xdputil query):\n" + board) +
         "\nRun it on a board whose DPU matches the model's name and fingerprint, or recompile the "
         "quantized model for this board (vai_c_xir --arch <the board's arch.json>). Without a "
         "DPU, "
         "--backend cpu with the quantized model gives the same int8 results.";
}

void check_dpu_available(const Plan& plan, const Step& step, const std::string& dpu_lib) {
  const xir::Subgraph* s = step.subgraph;
  std::string lib = dpu_lib;
  if (lib.empty() && s->has_attr("runner")) {
    auto libs = s->get_attr<std::map<std::string, std::string>>("runner");
    if (libs.count("run")) lib = libs.at("run");
  }
  if (lib.empty()) lib = "libvart-dpu-runner.so";
  std::string why;
  const std::string board = xdputil_query();
  const std::vector<DpuCore> cores = parse_xdputil(board);
  if (dpu_lib.empty() && s->has_attr("dpu_fingerprint") && !cores.empty()) {
    const auto want = s->get_attr<std::uint64_t>("dpu_fingerprint");
    if (std::none_of(cores.begin(), cores.end(),
                     [&](const DpuCore& c) { return c.fingerprint == want; }))
      why = "this machine's DPU does not match it (no fingerprint " + hex(want) +
            " in what xdputil reports)";
  }
  if (why.empty()) {
    void* h = dlopen(lib.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      why = "its runner library " + lib + " cannot be loaded (" + (e ? e : "unknown error") +
            "); there is no DPU runtime here";
    } else {
      dlclose(h);
    }
  }
  if (why.empty()) return;
  throw Error(ErrorCode::kDevice, plan.path + ": no DPU runner for " + dpu_description(s) + ": " +
                                      why + what_to_do(board));
}

}  // namespace dpurun::backends::dpu

#include "dpu/probe.h"

#include <algorithm>
#include <cctype>

#include "dpu/dpu_check.h"
#include "dpu/partition.h"
#include "dpurun/custom_op.h"
#include "dpurun/error.h"
#include "dpurun/machine.h"
#include "worker/worker_args.h"

namespace dpurun::backends::dpu {
namespace {

constexpr int kProbeJobTimeoutMs = 60000;

bool contains(const std::string& text, const std::string& what) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  return lower(text).find(lower(what)) != std::string::npos;
}

// What VART's last words say is missing.
std::string diagnosis(const std::string& said, const Plan& plan, const std::string& board) {
  if (contains(said, "get_factory_methods().empty()") || contains(said, "dpu_controller"))
    return "there is no DPU device or driver here: VART's DPU runner library is installed, but no DPU "
           "controller answered. On a Zynq board, load the DPU first (e.g. `sudo xmutil loadapp <app>` on a "
           "KV260) and check that its driver is loaded (`lsmod | grep zocl`); on an Alveo card, install XRT "
           "and the card's shell and check `xbutil examine`";
  if (contains(said, "fingerprint")) {
    std::string model;
    for (const auto& s : plan.steps)
      if (s.kind == Step::kDpu && s.subgraph->has_attr("dpu_fingerprint"))
        model = hex(s.subgraph->get_attr<std::uint64_t>("dpu_fingerprint"));
    std::string here;
    for (const auto& c : parse_xdputil(board)) here += (here.empty() ? "" : ", ") + hex(c.fingerprint);
    return "VART says this machine's DPU does not match the model's (the model's fingerprint " + model +
           "; this machine's " + (here.empty() ? "unknown: xdputil lists none" : here) + ")";
  }
  if (contains(said, "xrt"))
    return "XRT, which VART's DPU runner reaches the device through, is missing or cannot open it: "
           "install XRT (the board image has it) and check `xbutil examine`";
  return "VART ended the process while opening the DPU";
}

std::string first_dpu(const Plan& plan) {
  for (const auto& s : plan.steps)
    if (s.kind == Step::kDpu) return dpu_description(s.subgraph);
  return "its DPU subgraph";
}

}  // namespace

std::unique_ptr<Runner> probe(const std::string& model_file, const BackendOptions& options) {
  // XIR's reading of the file and dpurun's of its CPU subgraphs touch no device.
  auto plan = plan_model(model_file);
  BackendOptions one = options;
  one.runners = 1;
  one.isolation = Isolation::kOff;
  WorkerCommand command = worker_command(model_file, one);
  for (const auto& type : registered_custom_ops()) command.args.push_back("stub_custom_op=" + type);
  IsolationOptions io = options.isolation_options;
  std::unique_ptr<Runner> runner;
  try {
    runner = make_isolated_runner(command, io);
  } catch (const Error& e) {
    const std::string m = e.what();
    const bool died = m.find("before its runner was ready") != std::string::npos ||
                      m.find("had no runner ready within") != std::string::npos;
    if (!died) throw;  // dpurun's own message from the worker: a library missing, a DPU mismatch …
    const std::string board = xdputil_query();
    // "…: the worker process ended (killed by signal 6 (Aborted)) before its runner was ready; it wrote: …"
    std::string how = m.substr(m.find("the worker process") + std::string("the worker process ").size());
    if (auto at = how.find(" before its runner was ready"); at != std::string::npos)
      how.erase(at, std::string(" before its runner was ready").size());
    throw Error(ErrorCode::kDevice, model_file + ": no DPU runner for " + first_dpu(*plan) + ": " +
                                        diagnosis(m, *plan, board) + ".\nThe worker process that tried it " +
                                        how + what_to_do(board));
  }
  auto buffers = runner->allocate_buffers();  // zeros
  const std::uint32_t job = runner->execute_async(*buffers);
  const JobStatus st = runner->wait(job, kProbeJobTimeoutMs);
  if (st.state != JobState::kDone) {
    const std::string board = xdputil_query();
    throw Error(ErrorCode::kDevice, model_file + ": the DPU did not run a first job for " + first_dpu(*plan) +
                                        ": " + diagnosis(st.error, *plan, board) + " (" + st.error + ")" +
                                        what_to_do(board));
  }
  buffers.reset();
  return runner;
}

}  // namespace dpurun::backends::dpu

#include "dpurun/backends.h"

#include <algorithm>

#include "dpurun/custom_op.h"
#include "dpurun/error.h"
#include "worker/worker_args.h"

#ifdef DPURUN_HAVE_VART
#include "dpu/probe.h"
#include "dpu/vart_runner.h"
#endif

namespace dpurun {
namespace {

using Runners = std::vector<std::unique_ptr<Runner>>;

int runner_count(const BackendOptions& o) { return o.runners > 0 ? o.runners : default_cpu_threads(); }

Runners make_cpu(const std::string& model_file, const BackendOptions& o) {
  Model model = Model::load(model_file, o.model);  // loaded once; the runners share its weights
  const int count = runner_count(o);
  CpuOptions cpu = o.cpu;
  if (cpu.threads <= 0) cpu.threads = std::max(1, default_cpu_threads() / count);
  Runners runners;
  for (int i = 0; i < count; ++i) runners.push_back(make_cpu_runner(model, CpuRunnerOptions{o.batch, cpu}));
  return runners;
}

Runners make_dpu([[maybe_unused]] const std::string& model_file,
                 [[maybe_unused]] const BackendOptions& o) {
#ifdef DPURUN_HAVE_VART
  return backends::dpu::make_vart_runners(model_file, runner_count(o), o.vart_dpu_lib);
#else
  throw Error(
      ErrorCode::kUnsupported,
      "--backend dpu: this dpurun was built without VART, so it cannot reach a DPU. On the "
      "board, build it where VART and XIR are installed (the Vitis AI board image or docker; "
      "see board/README.md). Here, the int8 emulation gives the DPU's results bit for bit: "
      "run the model's quantized variant with --backend cpu (e.g. --variant quantized, or "
      "a compiled .xmodel with --weights-from its quantized .xmodel).");
#endif
}

struct Backend {
  const char* name;
  Runners (*make)(const std::string& model_file, const BackendOptions& options);
};

// Adding a backend: its folder beside dpu/, and one row here.
const Backend kBackends[] = {
    {"cpu", make_cpu},  // the float or int8 reference, as the model file is
    {"dpu", make_dpu},  // VART
};

}  // namespace

bool have_vart() {
#ifdef DPURUN_HAVE_VART
  return true;
#else
  return false;
#endif
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const auto& b : kBackends) names.push_back(b.name);
  return names;
}

namespace {

const Backend& find_backend(const std::string& name) {
  for (const auto& b : kBackends)
    if (name == b.name) return b;
  std::string known;
  for (const auto& b : kBackends) known += std::string(known.empty() ? "" : " or ") + b.name;
  throw Error(ErrorCode::kInvalidArgument, "unknown backend '" + name + "': use " + known);
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The probe: one isolated DPU runner that has run a job (VART builds; else the backend's error).
std::unique_ptr<Runner> probed_dpu_runner([[maybe_unused]] const std::string& model_file,
                                          [[maybe_unused]] const BackendOptions& o) {
#ifdef DPURUN_HAVE_VART
  return backends::dpu::probe(model_file, o);
#else
  make_dpu(model_file, o);  // throws: no VART here
  return nullptr;
#endif
}

}  // namespace

std::vector<std::unique_ptr<Runner>> make_runners(const std::string& model_file,
                                                  const BackendOptions& o) {
  if (o.runners < 0) throw Error(ErrorCode::kInvalidArgument, "a negative number of runners (use 0 for one per core)");
  const Backend& backend = find_backend(o.name);
  const auto custom = registered_custom_ops();
  if (o.isolation == Isolation::kOn && !custom.empty())
    throw Error(ErrorCode::kInvalidArgument,
                "custom ops registered in this process (" + joined(custom) +
                    ") cannot reach worker processes: run the runners in this process (--in-process)");
  const bool dpu = o.name == "dpu";
  const bool isolate = o.isolation == Isolation::kOn || (o.isolation == Isolation::kAuto && dpu && custom.empty());
  // VART may end the process that opens a DPU it cannot use: a worker tries first.
  std::unique_ptr<Runner> probed = dpu ? probed_dpu_runner(model_file, o) : nullptr;
  if (!isolate) {
    probed.reset();
    return backend.make(model_file, o);
  }
  const int count = runner_count(o);
  BackendOptions one = o;
  one.runners = 1;
  one.isolation = Isolation::kOff;
  if (one.cpu.threads <= 0) one.cpu.threads = std::max(1, default_cpu_threads() / count);
  const WorkerCommand command = backends::worker_command(model_file, one);
  Runners runners;
  if (probed) runners.push_back(std::move(probed));
  while (static_cast<int>(runners.size()) < count) runners.push_back(make_isolated_runner(command, o.isolation_options));
  return runners;
}

void probe_dpu(const std::string& model_file, const std::string& vart_dpu_lib) {
  BackendOptions o;
  o.name = "dpu";
  o.vart_dpu_lib = vart_dpu_lib;
  probed_dpu_runner(model_file, o);
}

int serve_backend_worker(const std::vector<std::string>& args,
                         const std::function<std::unique_ptr<Runner>(std::unique_ptr<Runner>)>& wrap) {
  return serve_worker(kWorkerChannelFd, [&] {
    std::vector<std::string> rest;
    for (const auto& a : args) {
      const std::string stub = "stub_custom_op=";
      if (a.rfind(stub, 0) != 0) {
        rest.push_back(a);
        continue;
      }
      // A probe's stand-in for a custom op its parent registered: zeros, enough to run a job.
      register_custom_op(a.substr(stub.size()), [](const CustomOpCall& c) {
        std::fill(c.output, c.output + element_count(c.output_shape), 0.f);
      });
    }
    std::string model;
    BackendOptions o;
    backends::parse_worker_args(rest, model, o);
    auto runner = std::move(find_backend(o.name).make(model, o).at(0));
    return wrap ? wrap(std::move(runner)) : std::move(runner);
  });
}

}  // namespace dpurun

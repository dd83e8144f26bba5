#include "worker/worker_args.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "dpurun/error.h"

namespace dpurun::backends {

std::string worker_program() {
  namespace fs = std::filesystem;
  std::vector<std::string> tried;
  if (const char* env = std::getenv("DPURUN_WORKER"); env && *env) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path() / "dpurun-worker";
    if (fs::exists(beside, ec)) return beside.string();
    tried.push_back(beside.string());
  }
  // Where `cmake --install` or the package put it, seen from the installed libdpurun.so that
  // holds this code (an application elsewhere links it), wherever that prefix is.
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&worker_program), &info) && info.dli_fname) {
    const fs::path lib = fs::weakly_canonical(info.dli_fname, ec);
    if (!ec && lib != self) {
      const fs::path installed = (lib.parent_path() / DPURUN_LIB_TO_BIN / "dpurun-worker").lexically_normal();
      if (fs::exists(installed, ec)) return installed.string();
      tried.push_back(installed.string());
    }
  }
  // Where the build made it (tests, benchmarks).
  if (fs::exists(DPURUN_WORKER_BUILD_PATH, ec)) return DPURUN_WORKER_BUILD_PATH;
  tried.push_back(DPURUN_WORKER_BUILD_PATH);
  std::string where;
  for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t;
  throw Error(ErrorCode::kNotFound, "no dpurun-worker program (looked in " + where +
                                        "): install it beside dpurun, set DPURUN_WORKER to its path, or run "
                                        "the runners in this process (--in-process)");
}

namespace {

std::string shape_arg(const Shape& s) {
  std::string out;
  for (auto d : s) {
    if (!out.empty()) out += ',';
    out += std::to_string(d);
  }
  return out;
}

}  // namespace

WorkerCommand worker_command(const std::string& model_file, const BackendOptions& o) {
  WorkerCommand c{worker_program(), {}};
  auto& a = c.args;
  a = {"model=" + model_file,
       "backend=" + o.name,
       "batch=" + std::to_string(o.batch),
       "threads=" + std::to_string(o.cpu.threads),
       std::string("kernels=") + (o.cpu.kernels == KernelChoice::kReference ? "reference" : "fast"),
       "shape=" + shape_arg(o.model.input_shape),
       "weights_from=" + o.model.weights_from,
       "subgraph=" + o.model.subgraph,
       "vart_dpu_lib=" + o.vart_dpu_lib,
       std::string("fix_in_float=") + (o.model.fix_in_float ? "1" : "0"),
       std::string("onnx_rounding=") + (o.model.onnx_rounding ? "1" : "0")};
  for (const auto& n : o.model.inputs) a.push_back("input=" + n);
  for (const auto& n : o.model.outputs) a.push_back("output=" + n);
  return c;
}

void parse_worker_args(const std::vector<std::string>& args, std::string& model_file, BackendOptions& o) {
  o = BackendOptions{};
  o.runners = 1;
  o.isolation = Isolation::kOff;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos) throw Error(ErrorCode::kInvalidArgument, "dpurun-worker: bad argument '" + arg + "'");
    const std::string k = arg.substr(0, eq), v = arg.substr(eq + 1);
    try {
      if (k == "model") model_file = v;
      else if (k == "backend") o.name = v;
      else if (k == "batch") o.batch = std::stoi(v);
      else if (k == "threads") o.cpu.threads = std::stoi(v);
      else if (k == "kernels") o.cpu.kernels = v == "reference" ? KernelChoice::kReference : KernelChoice::kFast;
      else if (k == "shape") {
        std::istringstream in(v);
        for (std::string d; std::getline(in, d, ',');) o.model.input_shape.push_back(std::stoll(d));
      } else if (k == "weights_from") o.model.weights_from = v;
      else if (k == "subgraph") o.model.subgraph = v;
      else if (k == "vart_dpu_lib") o.vart_dpu_lib = v;
      else if (k == "fix_in_float") o.model.fix_in_float = v == "1";
      else if (k == "onnx_rounding") o.model.onnx_rounding = v == "1";
      else if (k == "input") o.model.inputs.push_back(v);
      else if (k == "output") o.model.outputs.push_back(v);
      else throw Error(ErrorCode::kInvalidArgument, "dpurun-worker: unknown argument '" + arg + "'");
    } catch (const std::logic_error&) {
      throw Error(ErrorCode::kInvalidArgument, "dpurun-worker: bad argument '" + arg + "'");
    }
  }
  if (model_file.empty()) throw Error(ErrorCode::kInvalidArgument, "dpurun-worker: no model= argument");
}

}  // namespace dpurun::backends

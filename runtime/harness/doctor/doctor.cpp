#include "dpurun/doctor.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "data/decode.h"
#include "dpurun/error.h"
#include "dpurun/model_info.h"

namespace dpurun {
namespace {

using Status = DoctorCheck::Status;

std::string hex(std::uint64_t v) { return fmt::format("0x{:x}", v); }

// The VART and XIR libraries the DPU backend loads, as the dynamic loader finds them.
DoctorCheck runtime_libraries() {
  std::string found, missing;
  for (const char* name : {"libxir.so", "libvart-runner.so", "libvart-dpu-runner.so"}) {
    if (void* h = dlopen(name, RTLD_LAZY | RTLD_LOCAL)) {
      dlclose(h);
      found += std::string(found.empty() ? "" : ", ") + name;
    } else {
      missing += std::string(missing.empty() ? "" : ", ") + name;
    }
  }
  if (missing.empty()) return {"VART runtime libraries", Status::kOk, "found: " + found, ""};
  return {"VART runtime libraries", Status::kMissing,
          "not found: " + missing + (found.empty() ? "" : "; found: " + found),
          "install the Vitis AI runtime (VART and XIR; the Vitis AI board image and docker have it), or add the "
          "folder holding it to LD_LIBRARY_PATH"};
}

}  // namespace

DoctorReport run_doctor(const std::string& model_file) {
  DoctorReport r;
  r.machine = describe_machine();
  auto& checks = r.checks;
  checks.push_back(have_vart()
                       ? DoctorCheck{"dpurun build", Status::kOk, "built with VART and XIR: --backend dpu is available", ""}
                       : DoctorCheck{"dpurun build", Status::kMissing, "built without VART: --backend dpu is off",
                                     "build where VART and XIR are installed (the board image or its SDK sysroot, the "
                                     "Vitis AI docker) with -DDPURUN_WITH_VART=ON"});
  checks.push_back(runtime_libraries());

  r.dpus = parse_xdputil(r.machine.dpu);
  if (r.machine.dpu.empty()) {
    checks.push_back({"DPU", Status::kMissing, "no DPU found: `xdputil` is not on PATH",
                      "on a board with the Vitis AI runtime, xdputil comes with it (check PATH); a PC has no DPU"});
  } else if (r.dpus.empty()) {
    checks.push_back({"DPU", Status::kMissing, "`xdputil query` lists no DPU:\n" + r.machine.dpu,
                      "load the DPU's bitstream and driver (the board image's overlay for its DPU, e.g. "
                      "`xmutil loadapp` on a KV260), then run `xdputil query` again"});
  } else {
    std::string list;
    for (const auto& d : r.dpus) list += fmt::format("{}{} (fingerprint {})", list.empty() ? "" : "; ", d.arch, hex(d.fingerprint));
    checks.push_back({"DPU", Status::kOk, list, ""});
  }

  bool model_ok = true;
  if (!model_file.empty()) {
    ModelInfo info = describe_model(model_file);
    const SubgraphInfo* s = find_dpu_subgraph(info);
    if (!s || !s->dpu_fingerprint) {
      model_ok = false;
      checks.push_back({"model", Status::kWarning,
                        model_file + " is not a compiled model (" + info.format + ", " + info.kind +
                            "): it runs on the CPU reference, not the DPU",
                        "compile its quantized model for this board with vai_c (the board's arch.json) to run it on the DPU"});
    } else {
      const std::string want = fmt::format("{} (fingerprint {})", s->dpu_name, hex(*s->dpu_fingerprint));
      bool match = false;
      for (const auto& d : r.dpus) match = match || d.fingerprint == *s->dpu_fingerprint;
      if (r.dpus.empty()) {
        model_ok = false;
        checks.push_back({"model", Status::kMissing, model_file + " is for " + want + "; there is no DPU here to run it",
                          "run it on a board with that DPU, or its quantized model with --backend cpu"});
      } else if (!match) {
        model_ok = false;
        checks.push_back({"model", Status::kMissing,
                          model_file + " is for " + want + ", which does not match this board's DPU",
                          "recompile the quantized model for this board (vai_c_xir --arch <this board's arch.json>), or "
                          "run it on a board with that DPU"});
      } else {
        checks.push_back({"model", Status::kOk, model_file + " is for " + want + ": this board's DPU matches", ""});
        if (have_vart()) {
          // VART itself, tried in a worker process: it may end the process that opens a DPU.
          try {
            probe_dpu(model_file);
            checks.push_back({"DPU runner", Status::kOk,
                              "VART made a runner for each DPU subgraph and ran a job (in a worker process)", ""});
          } catch (const Error& e) {
            checks.push_back({"DPU runner", Status::kMissing, e.what(), "see above"});
          }
        }
      }
    }
  }

  checks.push_back({"CPU", Status::kOk, fmt::format("{}, {} cores", r.machine.cpu.empty() ? "unknown" : r.machine.cpu, r.machine.cores), ""});
  const double avail_gib = double(r.machine.memory_available_bytes) / double(1 << 30);
  DoctorCheck mem{"memory", Status::kOk,
                  fmt::format("{:.1f} GiB available of {:.1f} GiB", avail_gib, double(r.machine.memory_bytes) / double(1 << 30)), ""};
  if (r.machine.memory_available_bytes && avail_gib < 0.5) {
    mem.status = Status::kWarning;
    mem.fix = "under 0.5 GiB free: use fewer runner threads (--threads) and a smaller batch, or free memory";
  }
  checks.push_back(mem);
  {
    const bool jpeg = data::have_turbojpeg(), png = data::have_spng();
    DoctorCheck dec{"image decoders", Status::kOk,
                    fmt::format("JPEG: {}, PNG: {}, others: OpenCV", jpeg ? "TurboJPEG" : "OpenCV",
                                png ? "libspng" : "OpenCV"),
                    ""};
    if (!jpeg || !png) {
      dec.status = Status::kWarning;
      dec.fix = "decoding through OpenCV alone is slower (same pixels): build with libturbojpeg0-dev and libspng-dev";
    }
    checks.push_back(dec);
  }
  if (!r.machine.board.empty()) checks.push_back({"board", Status::kOk, r.machine.board, ""});

  r.dpu_ready = model_ok;
  for (const auto& c : checks)
    if (c.status == Status::kMissing) r.dpu_ready = false;
  if (!r.dpu_ready)
    r.without_dpu =
        "Without a DPU, dpurun still runs every model it reads on this CPU: float graphs, and quantized models "
        "(quantize_eval_model.pb, *_int.xmodel, QDQ ONNX; a compiled .xmodel with --weights-from its quantized one) "
        "bit-exactly as the DPU's int8 arithmetic: `dpurun eval --variant quantized --reference float`, and "
        "`dpurun bench` and `dpurun check` on them.";
  return r;
}

std::string to_text(const DoctorReport& r) {
  std::string out;
  for (const auto& c : r.checks) {
    const char* mark = c.status == Status::kOk ? "ok" : c.status == Status::kWarning ? "warn" : "MISSING";
    out += fmt::format("{:<8} {:<23} {}\n", mark, c.name, c.detail);
    if (!c.fix.empty()) out += fmt::format("{:<8} {:<23} fix: {}\n", "", "", c.fix);
  }
  out += r.dpu_ready ? "\nThe DPU backend is ready: dpurun eval --backend dpu …\n" : "\nNo DPU backend here. " + r.without_dpu + "\n";
  return out;
}

std::string to_json(const DoctorReport& r) {
  nlohmann::json checks = nlohmann::json::array(), dpus = nlohmann::json::array();
  for (const auto& c : r.checks)
    checks.push_back({{"check", c.name},
                      {"status", c.status == Status::kOk ? "ok" : c.status == Status::kWarning ? "warning" : "missing"},
                      {"detail", c.detail},
                      {"fix", c.fix}});
  for (const auto& d : r.dpus) dpus.push_back({{"arch", d.arch}, {"fingerprint", hex(d.fingerprint)}});
  return nlohmann::json{{"dpu_ready", r.dpu_ready}, {"dpus", dpus}, {"checks", checks}, {"without_dpu", r.without_dpu}}.dump(2) + "\n";
}

}  // namespace dpurun

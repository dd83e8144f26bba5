// `dpurun doctor`: what this machine has for running models on a DPU, what is missing and how to
// fix it, and what works without it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dpurun/backends.h"
#include "dpurun/machine.h"

namespace dpurun {

struct DoctorCheck {
  enum class Status { kOk, kWarning, kMissing };
  std::string name;
  Status status = Status::kOk;
  std::string detail;  // what was found
  std::string fix;     // what to do, when not ok
};

struct DoctorReport {
  MachineInfo machine;
  std::vector<DpuCore> dpus;
  std::vector<DoctorCheck> checks;
  bool dpu_ready = false;  // `--backend dpu` can run (the model too, when one was given)
  std::string without_dpu;  // what works without a DPU, when dpu_ready is false
};

// `model_file`: a compiled .xmodel to check against the DPU here; may be empty.
DoctorReport run_doctor(const std::string& model_file = "");
std::string to_text(const DoctorReport& r);
std::string to_json(const DoctorReport& r);

}  // namespace dpurun

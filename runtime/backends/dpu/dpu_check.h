// Before VART is asked for a DPU runner: whether the runner library loads and the board's DPU
// (xdputil query) matches the subgraph's, since VART ends the process on either.
#pragma once

#include <cstdint>
#include <string>

#include "dpu/partition.h"

namespace dpurun::backends::dpu {

std::string hex(std::uint64_t v);
// What the board says about its DPU, and what to do when it is not the model's.
std::string what_to_do(const std::string& board);
// Throws Error(kDevice) saying why `step` cannot run here. `dpu_lib`: the runner library given in
// place of the subgraph's (e.g. VART's dummy runner); empty: the subgraph's own.
void check_dpu_available(const Plan& plan, const Step& step, const std::string& dpu_lib);

}  // namespace dpurun::backends::dpu

// Helpers the per-format describers share.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dpurun/model_info.h"

namespace dpurun::loaders {

// Adds one op of `type` to `counts` (in order of first appearance).
void count_op(std::vector<std::pair<std::string, int>>& counts, const std::string& type);

}  // namespace dpurun::loaders

// JSON pieces that the eval, bench and check reports share.
#pragma once

#include <nlohmann/json.hpp>

#include "dpurun/eval.h"

namespace dpurun::report {

nlohmann::json latency_json(const LatencyStats& l);
nlohmann::json tensor_json(const TensorInfo& t);
nlohmann::json settings_json(const EvalSettings& s);

}  // namespace dpurun::report

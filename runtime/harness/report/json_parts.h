// JSON pieces that the eval, bench and check reports share.
#pragma once

#include <nlohmann/json.hpp>

#include "dpurun/eval.h"

namespace dpurun::report {

nlohmann::json latency_json(const LatencyStats& l);
nlohmann::json tensor_json(const TensorInfo& t);
nlohmann::json settings_json(const EvalSettings& s);
// The preprocessing as run; `input` says whether the int8 conversion applied.
nlohmann::json preprocessing_json(const Preprocessing& p, const TensorInfo& input);
// One line for a terminal: "input   int8 at fix point 6, converted by truncate-wrap; resize …"
std::string preprocessing_line(const Preprocessing& p, const TensorInfo& input);

}  // namespace dpurun::report

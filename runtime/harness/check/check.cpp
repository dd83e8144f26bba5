#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "dpurun/check.h"
#include "common/json_number.h"
#include "dpurun/error.h"
#include "dpurun/machine.h"

namespace dpurun {
namespace {

using nlohmann::json;
constexpr int kFormat = 1;


std::string percent(double f) { return fmt::format("{:.2f}%", 100 * f); }

}  // namespace

Baseline make_baseline(const EvalReport& r, const std::string& manifest_name, const EvalReport* reference,
                       const std::string& reference_variant, const Comparison* c, const BaselineOptions& o) {
  if (!r.complete)
    throw Error(ErrorCode::kInvalidArgument, "the run is incomplete: a baseline needs every image evaluated");
  Baseline b;
  b.dpurun_version = r.dpurun_version;
  b.created = utc_now();
  b.model = manifest_name;
  b.variant = r.settings.variant;
  b.backend = r.settings.backend.name;
  b.kernels = r.settings.backend.cpu.kernels == KernelChoice::kFast ? "fast" : "reference";
  b.limit = r.settings.limit;
  b.batch = r.settings.backend.batch;
  b.input_conversion = r.settings.input_conversion;
  b.resize_interpolation = r.settings.resize_interpolation;
  b.images = r.images;
  b.top1 = r.top1;
  b.top1_tolerance = o.top1_tolerance;
  if (reference && c) {
    b.reference = reference_variant;
    b.agreement = c->agreement;
    b.min_agreement = std::max(0.0, c->agreement - o.agreement_margin);
  }
  // Golden images spread evenly over the ones evaluated.
  const std::size_t n = std::min(o.golden_images, r.images);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = k * r.images / n;
    b.golden_images.push_back(r.image_indices[i]);
    b.golden_outputs.emplace_back(r.outputs.begin() + long(i * r.output_count),
                                  r.outputs.begin() + long((i + 1) * r.output_count));
  }
  // The int8 emulation's outputs are its integers times 2^-fix_point: exact, machine to machine.
  b.golden_exact = r.arithmetic.rfind("int8", 0) == 0;
  b.golden_tolerance = b.golden_exact ? 0.0 : o.float_tolerance;
  return b;
}

std::string to_json(const Baseline& b) {
  json golden = json::array();
  for (std::size_t k = 0; k < b.golden_images.size(); ++k)
    golden.push_back({{"image", b.golden_images[k]}, {"output", b.golden_outputs[k]}});
  json j{{"dpurun_baseline", kFormat},
         {"dpurun_version", b.dpurun_version},
         {"created", b.created},
         {"run",
          {{"model", b.model},
           {"variant", b.variant},
           {"model_sha256", b.model_sha256},
           {"data", b.data},
           {"backend", b.backend},
           {"kernels", b.kernels},
           {"limit", b.limit},
           {"batch", b.batch}}},
         {"images", b.images},
         {"top1", b.top1},
         {"top1_tolerance", b.top1_tolerance},
         {"golden", {{"exact", b.golden_exact}, {"tolerance", b.golden_tolerance}, {"outputs", golden}}}};
  if (!b.input_conversion.empty()) j["run"]["input_conversion"] = b.input_conversion;
  if (!b.resize_interpolation.empty()) j["run"]["resize_interpolation"] = b.resize_interpolation;
  if (!b.reference.empty())
    j["reference"] = {{"variant", b.reference}, {"agreement", *b.agreement}, {"min_agreement", *b.min_agreement}};
  return j.dump(1) + "\n";
}

Baseline parse_baseline(const std::string& text, const std::string& path) {
  auto bad = [&](const std::string& what) -> Error {
    return Error(ErrorCode::kInvalidArgument,
                 path + ": " + what + "; write a baseline with `dpurun eval --save-baseline FILE`");
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw bad(std::string("not JSON (") + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("dpurun_baseline")) throw bad("not a dpurun baseline (no \"dpurun_baseline\")");
  Baseline b;
  std::string field;
  try {
    field = "dpurun_baseline";
    if (json_number::get_checked<int>(j.at(field)) != kFormat)
      throw bad("baseline format " + j.at(field).dump() + "; this dpurun reads format " + std::to_string(kFormat));
    field = "run";
    const json& run = j.at("run");
    for (auto [name, dst] : {std::pair{"model", &b.model}, std::pair{"variant", &b.variant},
                             std::pair{"model_sha256", &b.model_sha256}, std::pair{"data", &b.data},
                             std::pair{"backend", &b.backend}, std::pair{"kernels", &b.kernels}}) {
      field = std::string("run.") + name;
      *dst = run.at(name).get<std::string>();
    }
    for (auto [name, dst] : {std::pair{"input_conversion", &b.input_conversion},
                             std::pair{"resize_interpolation", &b.resize_interpolation}}) {
      field = std::string("run.") + name;
      if (run.contains(name)) *dst = run.at(name).get<std::string>();
    }
    field = "run.limit";
    b.limit = json_number::get_checked<std::size_t>(run.at("limit"));
    field = "run.batch";
    b.batch = json_number::get_checked<int>(run.at("batch"));
    field = "images";
    b.images = json_number::get_checked<std::size_t>(j.at(field));
    field = "top1";
    b.top1 = j.at(field).get<double>();
    field = "top1_tolerance";
    b.top1_tolerance = j.at(field).get<double>();
    field = "golden";
    const json& g = j.at(field);
    b.golden_exact = g.at("exact").get<bool>();
    b.golden_tolerance = g.at("tolerance").get<double>();
    for (const auto& e : g.at("outputs")) {
      field = "golden.outputs";
      b.golden_images.push_back(json_number::get_checked<std::size_t>(e.at("image")));
      b.golden_outputs.push_back(e.at("output").get<std::vector<float>>());
    }
    if (j.contains("reference")) {
      field = "reference";
      const json& ref = j.at(field);
      b.reference = ref.at("variant").get<std::string>();
      b.agreement = ref.at("agreement").get<double>();
      b.min_agreement = ref.at("min_agreement").get<double>();
    }
  } catch (const Error&) {
    throw;
  } catch (const json::exception& e) {
    throw bad("field \"" + field + "\" is missing or of the wrong type (" + e.what() + ")");
  }
  auto fraction = [&](double v, const char* name) {
    if (!(v >= 0 && v <= 1)) throw bad(std::string(name) + " must be a fraction in [0, 1]");
  };
  fraction(b.top1, "top1");
  fraction(b.top1_tolerance, "top1_tolerance");
  if (b.agreement) fraction(*b.agreement, "reference.agreement"), fraction(*b.min_agreement, "reference.min_agreement");
  if (!(b.golden_tolerance >= 0)) throw bad("golden.tolerance must be 0 or more");
  if (b.batch < 1 || b.batch > 4096) throw bad("run.batch must be 1 to 4096");
  if (b.model.empty()) throw bad("run.model is empty");
  try {
    if (!b.input_conversion.empty()) parse_input_conversion(b.input_conversion);
    if (!b.resize_interpolation.empty()) parse_interpolation(b.resize_interpolation);
  } catch (const Error& e) {
    throw bad(std::string("run: ") + e.what());
  }
  return b;
}

bool CheckResult::passed() const {
  return !items.empty() && std::all_of(items.begin(), items.end(), [](const CheckItem& i) { return i.passed; });
}

CheckResult check(const Baseline& b, const EvalReport& r, const Comparison* c, const std::string& sha256) {
  CheckResult out;
  if (!b.model_sha256.empty() && sha256 != b.model_sha256)
    out.notes.push_back("the model file differs from the baseline's (sha256 " + sha256.substr(0, 12) + "… vs " +
                        b.model_sha256.substr(0, 12) + "…)");
  out.items.push_back({"images", r.complete && r.images == b.images,
                       fmt::format("{} of {} evaluated{}", r.images, b.images, r.complete ? "" : " (the run was incomplete)")});
  const double drop = b.top1 - r.top1;
  out.items.push_back({"top-1", drop <= b.top1_tolerance + 1e-12,
                       fmt::format("{} against the baseline's {} ({:+.2f} points; a drop of more than {:.2f} fails)",
                                   percent(r.top1), percent(b.top1), 100 * (r.top1 - b.top1), 100 * b.top1_tolerance)});
  if (b.min_agreement) {
    if (!c) {
      out.items.push_back({"agreement", false, "the baseline has a reference (" + b.reference + ") but none ran"});
    } else {
      out.items.push_back({"agreement", c->agreement + 1e-12 >= *b.min_agreement,
                           fmt::format("identical top-1 with the {} reference on {} of images (baseline {}, at least {})",
                                       b.reference, percent(c->agreement), percent(*b.agreement), percent(*b.min_agreement))});
    }
  }
  // Golden outputs, by data set index.
  std::vector<std::string> differ;
  double worst = 0;
  std::size_t missing = 0;
  for (std::size_t k = 0; k < b.golden_images.size(); ++k) {
    auto it = std::find(r.image_indices.begin(), r.image_indices.end(), b.golden_images[k]);
    if (it == r.image_indices.end()) {
      ++missing;
      continue;
    }
    const auto i = static_cast<std::size_t>(it - r.image_indices.begin());
    const auto& g = b.golden_outputs[k];
    bool same = g.size() == r.output_count;
    double image_worst = 0;
    for (std::size_t o = 0; same && o < g.size(); ++o) {
      const double got = r.outputs[i * r.output_count + o], want = g[o];
      const double d = std::abs(got - want);
      image_worst = std::max(image_worst, d);
      if (b.golden_exact ? got != want : d > b.golden_tolerance * (1 + std::abs(want))) same = false;
    }
    worst = std::max(worst, image_worst);
    if (!same) differ.push_back(std::to_string(b.golden_images[k]));
  }
  std::string detail = fmt::format("{} of {} images {}", b.golden_images.size() - differ.size() - missing,
                                   b.golden_images.size(), b.golden_exact ? "bit-exact" : "within tolerance");
  if (!differ.empty()) {
    detail += "; differ: image";
    for (std::size_t k = 0; k < differ.size() && k < 12; ++k) detail += (k ? ", " : " ") + differ[k];
    if (differ.size() > 12) detail += fmt::format(" and {} more", differ.size() - 12);
  }
  if (missing) detail += fmt::format("; {} golden images were not evaluated", missing);
  detail += fmt::format(" (largest difference {:.6g}{})", worst,
                        b.golden_exact ? "" : fmt::format(", tolerance {:g} × (1 + |golden|)", b.golden_tolerance));
  out.items.push_back({"golden outputs", differ.empty() && missing == 0 && !b.golden_images.empty(), detail});
  return out;
}

std::string to_text(const CheckResult& r) {
  std::string s;
  for (const auto& i : r.items) s += fmt::format("{:<5} {:<15} {}\n", i.passed ? "ok" : "FAIL", i.name, i.detail);
  for (const auto& n : r.notes) s += "note  " + n + "\n";
  s += r.passed() ? "check passed\n" : "check FAILED\n";
  return s;
}

std::string to_json(const CheckResult& r) {
  json items = json::array();
  for (const auto& i : r.items) items.push_back({{"check", i.name}, {"passed", i.passed}, {"detail", i.detail}});
  return json{{"passed", r.passed()}, {"checks", items}, {"notes", r.notes}}.dump(2) + "\n";
}

}  // namespace dpurun

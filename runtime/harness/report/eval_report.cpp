#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "dpurun/eval.h"
#include "report/json_parts.h"

namespace dpurun {

const char* version() { return DPURUN_VERSION; }

namespace report {

nlohmann::json latency_json(const LatencyStats& l) {
  return {{"count", l.count}, {"mean", l.mean}, {"p50", l.p50}, {"p90", l.p90},
          {"p95", l.p95},     {"p99", l.p99},   {"max", l.max}};
}

nlohmann::json tensor_json(const TensorInfo& t) {
  nlohmann::json j{{"name", t.name}, {"shape", t.shape}, {"type", to_string(t.type)}};
  if (t.fix_point) j["fix_point"] = *t.fix_point;
  return j;
}

nlohmann::json settings_json(const EvalSettings& s) {
  return {{"model_file", s.model_file},
          {"manifest", s.manifest},
          {"variant", s.variant},
          {"data", s.data},
          {"backend", s.backend.name},
          {"timeout_ms", s.jobs.timeout_ms},
          {"stop_on_error", s.jobs.stop_on_error},
          {"kernels", s.backend.cpu.kernels == KernelChoice::kFast ? "fast" : "reference"},
          {"weights_from", s.backend.model.weights_from},
          {"threads", s.backend.runners},
          {"batch", s.backend.batch},
          {"limit", s.limit},
          {"input_conversion", s.input_conversion},
          {"resize_interpolation", s.resize_interpolation}};
}

nlohmann::json preprocessing_json(const Preprocessing& p, const TensorInfo& input) {
  using Order = Preprocessing::ChannelOrder;
  nlohmann::json j{{"channel_order", p.channel_order == Order::kRGB   ? "RGB"
                                     : p.channel_order == Order::kBGR ? "BGR"
                                                                      : "GRAY"},
                   {"scale", p.scale},
                   {"mean", p.mean},
                   {"std", p.std},
                   {"per_image_standardization", p.per_image_standardization}};
  if (p.resize_height > 0) {
    j["resize"] = {p.resize_height, p.resize_width};
    j["resize_interpolation"] = to_string(p.resize_interpolation);
    j["resize_before_color"] = p.resize_before_color;
  }
  // Only an int8 input is converted; for a float input the setting has no effect.
  j["input_conversion"] = input.type == DataType::kInt8 ? nlohmann::json(to_string(p.input_conversion)) : nullptr;
  return j;
}

std::string preprocessing_line(const Preprocessing& p, const TensorInfo& input) {
  std::string out = input.type == DataType::kInt8
                        ? fmt::format("input   int8 at fix point {}, converted by {}", input.fix_point.value_or(0),
                                      to_string(p.input_conversion))
                        : fmt::format("input   {}", to_string(input.type));
  if (p.resize_height > 0)
    out += fmt::format("; resized to {}x{} ({}{})", p.resize_width, p.resize_height, to_string(p.resize_interpolation),
                       p.resize_before_color ? ", before the colour conversion" : "");
  return out + "\n";
}

}  // namespace report

namespace {

nlohmann::json report_json(const EvalReport& r) {
  using nlohmann::json;
  const auto& s = r.settings;
  json per_class = json::object();
  for (std::size_t c = 0; c < r.classes.size(); ++c) per_class[r.classes[c]] = r.per_class_top1[c];
  json j{
      {"dpurun_version", r.dpurun_version},
      {"settings", report::settings_json(s)},
      {"model",
       {{"name", r.model_name},
        {"arithmetic", r.arithmetic},
        {"preprocessing", report::preprocessing_json(r.preprocessing, r.input)},
        {"input", report::tensor_json(r.input)},
        {"output", report::tensor_json(r.output)},
        {"flops_per_image", r.flops_per_image}}},
      {"data", {{"kind", r.dataset_kind}, {"classes", r.classes}}},
      {"runner", {{"name", r.runner}, {"count", r.runners}, {"batch", r.runner_batch},
                  {"images_per_runner", r.images_per_runner}}},
      {"complete", r.complete},
      {"images", r.images},
      {"requested", r.requested},
      {"accuracy",
       {{"top1", r.top1},
        {"top5", r.top5},
        {"top1_correct", r.top1_correct},
        {"top5_correct", r.top5_correct},
        {"per_class_top1", per_class},
        {"confusion_matrix", r.confusion}}},
      {"throughput",
       {{"images_per_second", r.images_per_second},
        {"inference_images_per_second", r.inference_images_per_second},
        {"seconds_total", r.seconds_total},
        {"seconds_preprocess", r.seconds_preprocess},
        {"seconds_inference", r.seconds_inference}}},
      {"latency_ms", {{"per_batch", report::latency_json(r.batch_latency_ms)},
                      {"end_to_end_per_batch", report::latency_json(r.end_to_end_latency_ms)}}},
      {"predictions", {{"image_indices", r.image_indices}, {"top1", r.predictions}}},
  };
  if (!r.classifier) {  // no classes: no accuracy, no top-1 per image
    j["accuracy"] = nullptr;
    j["predictions"] = {{"image_indices", r.image_indices}};
  }
  j["model"]["classifier"] = r.classifier;
  if (!r.complete) {
    json failures = json::array();
    for (const auto& f : r.failures) failures.push_back({{"image", f.image}, {"file", f.name}, {"error", f.error}});
    j["incomplete"] = {{"failed_images", failures}, {"not_run", r.requested - r.images - r.failures.size()},
                       {"stop_reason", r.stop_reason}};
  }
  if (r.published_top1)
    j["published"] = {{"top1", *r.published_top1}, {"note", r.published_note}};
  return j;
}

}  // namespace

std::string to_json(const EvalReport& r) { return report_json(r).dump(2) + "\n"; }

std::string to_json(const EvalReport& model, const EvalReport& reference, const Comparison& c) {
  nlohmann::json j{{"model", report_json(model)},
                   {"reference", report_json(reference)},
                   {"agreement",
                    {{"images", c.images},
                     {"identical_top1", model.classifier ? nlohmann::json(c.identical_top1) : nlohmann::json(nullptr)},
                     {"identical_outputs", c.identical_outputs},
                     {"top1_agreement", c.agreement},
                     {"max_output_difference", c.max_output_difference},
                     {"max_difference_image", c.max_difference_image}}}};
  return j.dump(2) + "\n";
}

std::string to_table(const EvalReport& m, const EvalReport& ref, const Comparison& c) {
  std::string out = to_table(m);
  out += "\n";
  out += fmt::format("{:<10} {:<22} {:>8} {:>8} {:>10} {:>10} {:>16} {:>16}\n", "", "arithmetic", "top-1",
                     "top-5", "images/s", "runner/s", "runner p50/p99", "e2e p50/p99 ms");
  auto percent = [](const EvalReport& r, double v) { return r.classifier ? fmt::format("{:>7.2f}%", 100 * v) : fmt::format("{:>8}", "-"); };
  for (const auto* r : {&m, &ref})
    out += fmt::format("{:<10} {:<22} {} {} {:>10.0f} {:>10.0f} {:>7.2f}/{:<8.2f} {:>7.2f}/{:<8.2f}\n",
                       r == &m ? "model" : "reference", r->arithmetic, percent(*r, r->top1), percent(*r, r->top5),
                       r->images_per_second, r->inference_images_per_second, r->batch_latency_ms.p50,
                       r->batch_latency_ms.p99, r->end_to_end_latency_ms.p50, r->end_to_end_latency_ms.p99);
  if (m.classifier)
    out += fmt::format("agreement  identical top-1 on {:.2f}% of images ({} / {})\n",
                       100 * c.agreement, c.identical_top1, c.images);
  else
    out += fmt::format("agreement  identical outputs on {:.2f}% of images ({} / {}, {} values each)\n",
                       100 * c.agreement, c.identical_outputs, c.images, m.output_count);
  out += fmt::format("           largest output difference {:.4g} (image {})\n", c.max_output_difference,
                     c.max_difference_image);
  return out;
}

std::string to_table(const EvalReport& r) {
  std::string out;
  out += fmt::format("model   {}  ({}, {})\n", r.model_name, r.settings.model_file, r.arithmetic);
  out += fmt::format("data    {}  ({}, {} images)\n", r.settings.data, r.dataset_kind, r.images);
  out += fmt::format("run     {}{}, {} runner thread(s), batch {}\n", r.runner,
                     r.settings.backend.name == "cpu"
                         ? (r.settings.backend.cpu.kernels == KernelChoice::kFast ? " (fast kernels)" : " (reference kernels)")
                         : "",
                     r.runners, r.runner_batch);
  out += report::preprocessing_line(r.preprocessing, r.input);
  out += "\n";
  if (r.classifier) {
    out += fmt::format("{:<12} {:>8}\n", "class", "top-1");
    for (std::size_t c = 0; c < r.classes.size(); ++c)
      out += fmt::format("{:<12} {:>7.2f}%\n", r.classes[c], 100 * r.per_class_top1[c]);
    out += "\n";
    out += fmt::format("top-1   {:.2f}%  ({} / {})", 100 * r.top1, r.top1_correct, r.images);
    if (r.published_top1)
      out += fmt::format("   published {:.2f}% {}", 100 * *r.published_top1, r.published_note);
    out += fmt::format("\ntop-5   {:.2f}%\n", 100 * r.top5);
  } else {
    const Shape per_image(r.output.shape.begin() + (r.output.shape.empty() ? 0 : 1), r.output.shape.end());
    out += fmt::format("output  {} per image ({} values): not a classifier, so no accuracy (--reference compares the outputs)\n",
                       to_string(per_image), r.output_count);
  }
  out += fmt::format("speed   {:.0f} images/s end to end, {:.0f} images/s runner-bound", r.images_per_second,
                     r.inference_images_per_second);
  if (r.flops_per_image > 0)
    out += fmt::format(" ({:.1f} GFLOP/s)", r.inference_images_per_second * r.flops_per_image * 1e-9);
  out += "\n";
  for (const auto& [label, l] : {std::pair{"runner", &r.batch_latency_ms}, std::pair{"end to end", &r.end_to_end_latency_ms}})
    out += fmt::format("latency per job, {:<10} (ms): mean {:.2f}  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}\n",
                       label, l->mean, l->p50, l->p90, l->p99, l->max);
  if (!r.complete) {
    out += fmt::format("INCOMPLETE: {} of {} images ran; {} failed", r.images, r.requested, r.failures.size());
    if (!r.stop_reason.empty()) out += "; " + r.stop_reason;
    out += "\n";
    for (std::size_t i = 0; i < r.failures.size() && i < 10; ++i)
      out += fmt::format("  {}: {}\n", r.failures[i].name, r.failures[i].error);
    if (r.failures.size() > 10) out += fmt::format("  … and {} more (all in the JSON report)\n", r.failures.size() - 10);
  }
  return out;
}

}  // namespace dpurun

// `dpurun check`, the accuracy regression gate: a baseline (written by `dpurun eval
// --save-baseline`) holds a run's top-1, its agreement with a reference, and golden outputs for
// a fixed subset of images; check() compares a new run against it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/eval.h"

namespace dpurun {

struct Baseline {
  std::string dpurun_version, created;
  // How to run again: the manifest's name, its variant, the data ("default": dpurun's default
  // data set), the images (limit) and batch. Threads do not change results.
  std::string model, variant, model_sha256, data = "default", backend = "cpu", kernels = "fast";
  std::size_t limit = 0;
  int batch = 32;
  std::string input_conversion, resize_interpolation;  // the run's overrides; "": the manifest's
  std::size_t images = 0;
  double top1 = 0;
  double top1_tolerance = 0.005;  // a drop of more than this (a fraction) fails
  // With a reference (e.g. the int8 emulation against the float graph).
  std::string reference;  // the reference's variant of the same manifest; empty: none
  std::optional<double> agreement;      // measured
  std::optional<double> min_agreement;  // the gate
  // Golden outputs, exact where the model's output is int8 (it is then a multiple of its scale).
  std::vector<std::size_t> golden_images;  // data set indices
  std::vector<std::vector<float>> golden_outputs;
  bool golden_exact = false;
  double golden_tolerance = 0;  // float outputs: |new − golden| ≤ tol × (1 + |golden|)
};

struct BaselineOptions {
  std::size_t golden_images = 16;
  double top1_tolerance = 0.005;
  double agreement_margin = 0.005;  // min_agreement = measured − margin
  double float_tolerance = 1e-4;
};
// `model` as run; `reference` and `comparison` when it ran beside one (else null).
Baseline make_baseline(const EvalReport& model, const std::string& manifest_name, const EvalReport* reference,
                       const std::string& reference_variant, const Comparison* comparison,
                       const BaselineOptions& options = {});
std::string to_json(const Baseline& b);
// Throws Error(kInvalidArgument) naming `path` and the field when it is not a dpurun baseline.
Baseline parse_baseline(const std::string& text, const std::string& path);

struct CheckItem {
  std::string name;  // "top-1", "agreement", "golden outputs", "images"
  bool passed = false;
  std::string detail;  // by how much, on which images
};
struct CheckResult {
  std::vector<CheckItem> items;
  std::vector<std::string> notes;  // facts that do not fail (a changed model hash)
  bool passed() const;
};
CheckResult check(const Baseline& baseline, const EvalReport& model, const Comparison* comparison,
                  const std::string& model_sha256);
std::string to_text(const CheckResult& r);
std::string to_json(const CheckResult& r);

}  // namespace dpurun

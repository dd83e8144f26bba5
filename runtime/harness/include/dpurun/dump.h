// Per-layer dumps in the layout of Vitis AI's DPU debugging flow (the quantizer's
// deploy_check_data_int/): one raw little-endian file per tensor, `<op>.bin` (float32, or int8
// for a fix op) and, for a compiled model's DPU op, `<op>_fix.bin` (int8), plus dump.json
// listing them in graph order. And the comparison of two such folders, layer by layer.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dpurun/backends.h"
#include "dpurun/tensor.h"

namespace dpurun {

struct DumpedTensor {
  std::string name, op, file;  // file: relative to the folder
  DataType type = DataType::kFloat32;
  Shape shape;
  std::optional<int> fix_point;
};

struct DumpReport {
  std::string model_file, dir;
  std::vector<DumpedTensor> tensors;
};

// Writes one image into the model's input tensor (`input.shape[0]` is 1): `bytes` of its type.
using DumpInput = std::function<void(const TensorInfo& input, std::byte* dst, std::size_t bytes)>;

// Runs the XIR model `model_file` on the CPU reference (`options`: weights_from, kernels …) on
// the input `fill` writes and writes every layer's output into `dir` (created). Throws Error
// naming the file when the model is not an .xmodel or a tensor cannot be computed.
DumpReport dump_layers(const std::string& model_file, const BackendOptions& options,
                       const DumpInput& fill, const std::string& dir);

struct TensorComparison {
  std::string name;
  DataType type = DataType::kFloat32;
  std::size_t elements = 0, differ = 0, first = 0;  // first: the first differing element
  double a = 0, b = 0;                              // the values there
  double max_difference = 0;
  std::string problem;  // sizes that disagree, an unreadable file
};

struct DumpComparison {
  std::string dir_a, dir_b;
  std::vector<TensorComparison> tensors;  // in graph order (a dump.json's) or by name
  bool graph_order = false;
  std::vector<std::string> only_a, only_b;
  // The first tensor that differs, or -1.
  int first_difference() const;
};

// Aligns the two folders' .bin files by name and compares them element for element (int8 for
// `*_fix.bin` or as dump.json says, else float32). Throws Error when a folder cannot be read or
// the two share no tensor.
DumpComparison compare_dumps(const std::string& dir_a, const std::string& dir_b);
std::string to_table(const DumpComparison& c);

}  // namespace dpurun

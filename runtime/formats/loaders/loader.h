// Entry point of the loaders: reads a model file of any supported format into a Graph.
#pragma once

#include <string>
#include <vector>

#include "common/file.h"
#include "dpurun/model.h"
#include "graph/graph.h"

namespace dpurun::loaders {

// How to load: the public ModelOptions (dpurun/model.h), used as is.
using LoadOptions = ModelOptions;

enum class ModelFormat { kUnknown, kTensorFlowGraphDef, kXirModel, kOnnx, kDnndkElf, kKeras };

// Guesses the format from the file's name (.h5, .hdf5 and an architecture .json are Keras), or
// for other names from its first bytes (HDF5's signature).
ModelFormat detect_format(const std::string& path);

// Loads, lowers and optimizes the model (ops fused and folded for inference).
// Throws Error naming the file, and the node where one is at fault.
graph::Graph load_model(const std::string& path, const LoadOptions& options = {});
// The same from bytes already read; `source` names them in messages. Not for Keras models,
// which HDF5 reads from their files.
graph::Graph load_model_bytes(const std::string& bytes, ModelFormat format,
                              const std::string& source, const LoadOptions& options = {});

// The file read (and an XIR model parsed) once, then loaded once per options: e.g. each CPU
// subgraph of a compiled .xmodel.
std::vector<graph::Graph> load_models(const std::string& path, const std::vector<LoadOptions>& each);
// The same from a file's bytes already read (`path` names them); not for Keras models.
std::vector<graph::Graph> load_models_bytes(const std::string& bytes, const std::string& path,
                                            const std::vector<LoadOptions>& each);

// Convolution and pooling windows from a file: throws Error(kInvalidModel) with `where` unless
// the kernel, strides and dilations are ≥ 1, the pads ≥ 0, all of reasonable size, and the
// window fits the padded input (in_h, in_w) at least once.
void check_window(const std::string& where, std::int64_t in_h, std::int64_t in_w,
                  std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t stride_h,
                  std::int64_t stride_w, std::int64_t dilation_h, std::int64_t dilation_w,
                  std::int64_t pad_top, std::int64_t pad_bottom, std::int64_t pad_left,
                  std::int64_t pad_right);

}  // namespace dpurun::loaders

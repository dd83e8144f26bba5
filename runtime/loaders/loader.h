// Entry point of the loaders: reads a model file of any supported format into a Graph.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace dpurun::loaders {

struct LoadOptions {
  // Tensor names as the source format spells them; empty: the model's placeholders and sinks.
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  // Shape of the input where the file leaves it open (NHWC, batch as -1); empty: from the file.
  Shape input_shape;
  // Quantized models: run fix ops as the quantizer's float simulation instead of lowering them
  // to DPU integer arithmetic (for comparison; the integer path is the emulation).
  bool fix_in_float = false;
  // A compiled .xmodel runs with the weights of this quantized .xmodel, once they are checked
  // to match; a Keras architecture .json with the weights of this .h5.
  std::string weights_from;
  // ONNX QDQ models: round half to even as ONNX specifies, instead of as the DPU does.
  bool onnx_rounding = false;
  // XIR: only the ops of this subgraph (a CPU subgraph of a compiled model). Tensors it reads
  // from other subgraphs become float inputs holding their dequantized values, in the order of
  // `inputs` where given.
  std::string subgraph;
};

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

// Convolution and pooling windows from a file: throws Error(kInvalidModel) with `where` unless
// the kernel, strides and dilations are ≥ 1, the pads ≥ 0, all of reasonable size, and the
// window fits the padded input (in_h, in_w) at least once.
void check_window(const std::string& where, std::int64_t in_h, std::int64_t in_w,
                  std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t stride_h,
                  std::int64_t stride_w, std::int64_t dilation_h, std::int64_t dilation_w,
                  std::int64_t pad_top, std::int64_t pad_bottom, std::int64_t pad_left,
                  std::int64_t pad_right);

// Reads a whole file; throws Error(kNotFound / kIo) naming it.
std::string read_file(const std::string& path);

}  // namespace dpurun::loaders

#include "loaders/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dpurun/error.h"
#include "graph/lower_fix.h"
#include "graph/passes.h"
#include "loaders/dnndk/elf_reader.h"
#include "loaders/keras/freeze.h"
#include "loaders/keras/hdf5_file.h"
#include "loaders/onnx/onnx_loader.h"
#include "loaders/tensorflow/graph_def_loader.h"
#include "loaders/xir/pairing.h"
#include "loaders/xir/xmodel_loader.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders {

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(ErrorCode::kNotFound, path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorCode::kInvalidArgument, path + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot be opened for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kIo, path + ": read failed");
  return std::move(ss).str();
}

void check_window(const std::string& where, std::int64_t in_h, std::int64_t in_w,
                  std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t stride_h,
                  std::int64_t stride_w, std::int64_t dilation_h, std::int64_t dilation_w,
                  std::int64_t pad_top, std::int64_t pad_bottom, std::int64_t pad_left,
                  std::int64_t pad_right) {
  constexpr std::int64_t kMax = 1 << 16;
  auto in_range = [&](std::int64_t v, std::int64_t lo) { return v >= lo && v <= kMax; };
  if (!in_range(kernel_h, 1) || !in_range(kernel_w, 1) || !in_range(stride_h, 1) ||
      !in_range(stride_w, 1) || !in_range(dilation_h, 1) || !in_range(dilation_w, 1) ||
      !in_range(pad_top, 0) || !in_range(pad_bottom, 0) || !in_range(pad_left, 0) ||
      !in_range(pad_right, 0))
    throw Error(ErrorCode::kInvalidModel,
                where + ": window parameters out of range (kernel, strides and dilations must be "
                        "1.." + std::to_string(kMax) + ", pads 0.." + std::to_string(kMax) + ")");
  if (in_h + pad_top + pad_bottom < dilation_h * (kernel_h - 1) + 1 ||
      in_w + pad_left + pad_right < dilation_w * (kernel_w - 1) + 1)
    throw Error(ErrorCode::kInvalidModel, where + ": the window is larger than its padded input");
}

namespace {

// Fuses ops for inference and lowers fix ops to the DPU's integer arithmetic.
graph::Graph finish(graph::Graph g, const LoadOptions& options) {
  graph::fuse_for_inference(g);
  if (graph::has_fix_ops(g) && !options.fix_in_float) graph::lower_fix_to_integer(g);
  return g;
}

// A Keras model runs as the graph `dpurun freeze` writes for it.
graph::Graph load_keras(const std::string& path, const LoadOptions& options) {
  keras::FrozenGraph frozen = keras::freeze(keras::read_model(path, options.weights_from));
  return finish(tf::lower_graph_def(frozen.graph, path, options), options);
}

}  // namespace

ModelFormat detect_format(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".h5" || ext == ".hdf5" || ext == ".json") return ModelFormat::kKeras;
  if (ext == ".pb" || ext == ".graphdef") return ModelFormat::kTensorFlowGraphDef;
  if (ext == ".xmodel") return ModelFormat::kXirModel;
  if (ext == ".onnx") return ModelFormat::kOnnx;
  if (ext == ".elf") return ModelFormat::kDnndkElf;
  if (keras::looks_like_hdf5(path)) return ModelFormat::kKeras;
  return ModelFormat::kUnknown;
}

namespace {

graph::Graph lower(const std::string& bytes, ModelFormat format, const std::string& source,
                   const LoadOptions& options) {
  graph::Graph g;
  switch (format) {
    case ModelFormat::kTensorFlowGraphDef:
      g = tf::load_graph_def(bytes, source, options);
      break;
    case ModelFormat::kXirModel:
      if (!options.weights_from.empty()) {
        xir::Graph compiled, quantized;
        std::string q_bytes = read_file(options.weights_from);
        if (!xir::parse_xmodel(bytes, compiled))
          throw Error(ErrorCode::kInvalidModel, source + ": not an XIR .xmodel");
        if (!xir::parse_xmodel(q_bytes, quantized))
          throw Error(ErrorCode::kInvalidModel, options.weights_from + ": not an XIR .xmodel");
        xir::check_pairing(compiled, source, quantized, options.weights_from);
        g = xir::load_xmodel(q_bytes, options.weights_from, options);
      } else {
        g = xir::load_xmodel(bytes, source, options);
      }
      break;
    case ModelFormat::kOnnx:
      g = onnx::load_onnx(bytes, source, options);
      break;
    case ModelFormat::kDnndkElf:
      dnndk::read_dnndk_elf(bytes, source);  // a malformed file says so first
      throw Error(ErrorCode::kUnsupported,
                  source + ": a DNNDK .elf holds DPU machine code, not a graph the CPU reference can "
                           "run; `dpurun inspect` lists its kernels and tensors. Run the quantized "
                           "graph it was compiled from (vai_q's deploy_model.pb or "
                           "quantize_eval_model.pb) for the int8 reference");
    case ModelFormat::kKeras:
      throw Error(ErrorCode::kInternal, source + ": Keras models load from their files");
    case ModelFormat::kUnknown:
      throw Error(ErrorCode::kUnsupported,
                  source + ": unknown model format; dpurun reads TensorFlow frozen graphs (.pb), "
                           "XIR models (.xmodel), QDQ ONNX models (.onnx) and Keras models (.h5, "
                           "or an architecture .json with --weights)");
  }
  return g;
}

}  // namespace

graph::Graph load_model_bytes(const std::string& bytes, ModelFormat format,
                              const std::string& source, const LoadOptions& options) {
  graph::Graph g;
  try {
    g = lower(bytes, format, source, options);
  } catch (const Error& e) {
    // Errors from shared code (shape arithmetic, the graph) do not know the file: name it.
    const std::string m = e.what();
    if (m.rfind(source, 0) == 0 ||
        (!options.weights_from.empty() && m.rfind(options.weights_from, 0) == 0))
      throw;
    throw Error(e.code(), source + ": " + m);
  }
  return finish(std::move(g), options);
}

graph::Graph load_model(const std::string& path, const LoadOptions& options) {
  ModelFormat format = detect_format(path);
  if (format == ModelFormat::kKeras) return load_keras(path, options);
  if (format == ModelFormat::kUnknown && !std::filesystem::exists(path))
    throw Error(ErrorCode::kNotFound, path + ": no such file");
  return load_model_bytes(format == ModelFormat::kUnknown ? std::string() : read_file(path), format,
                          path, options);
}

}  // namespace dpurun::loaders

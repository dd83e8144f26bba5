#include "loaders/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dpurun/error.h"
#include "graph/lower_fix.h"
#include "graph/passes.h"
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

ModelFormat detect_format(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".pb" || ext == ".graphdef") return ModelFormat::kTensorFlowGraphDef;
  if (ext == ".xmodel") return ModelFormat::kXirModel;
  if (ext == ".onnx") return ModelFormat::kOnnx;
  return ModelFormat::kUnknown;
}

graph::Graph load_model(const std::string& path, const LoadOptions& options) {
  graph::Graph g;
  switch (detect_format(path)) {
    case ModelFormat::kTensorFlowGraphDef:
      g = tf::load_graph_def(read_file(path), path, options);
      break;
    case ModelFormat::kXirModel:
      if (!options.weights_from.empty()) {
        xir::Graph compiled, quantized;
        std::string q_bytes = read_file(options.weights_from);
        if (!xir::parse_xmodel(read_file(path), compiled))
          throw Error(ErrorCode::kInvalidModel, path + ": not an XIR .xmodel");
        if (!xir::parse_xmodel(q_bytes, quantized))
          throw Error(ErrorCode::kInvalidModel, options.weights_from + ": not an XIR .xmodel");
        xir::check_pairing(compiled, path, quantized, options.weights_from);
        g = xir::load_xmodel(q_bytes, options.weights_from, options);
      } else {
        g = xir::load_xmodel(read_file(path), path, options);
      }
      break;
    case ModelFormat::kOnnx:
      g = onnx::load_onnx(read_file(path), path, options);
      break;
    case ModelFormat::kUnknown:
      if (!std::filesystem::exists(path)) throw Error(ErrorCode::kNotFound, path + ": no such file");
      throw Error(ErrorCode::kUnsupported,
                  path + ": unknown model format; dpurun reads TensorFlow frozen graphs (.pb), XIR models (.xmodel) and QDQ ONNX models (.onnx)");
  }
  graph::fuse_for_inference(g);
  if (graph::has_fix_ops(g) && !options.fix_in_float) graph::lower_fix_to_integer(g);
  return g;
}

}  // namespace dpurun::loaders

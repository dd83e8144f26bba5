#include "loaders/loader.h"

#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <filesystem>

#include "dpurun/error.h"
#include "dpurun/freeze.h"
#include "graph/lower_fix.h"
#include "graph/passes.h"
#include "graph/verify.h"
#include "graph_def.pb.h"
#include "loaders/describe.h"
#include "loaders/dnndk/elf_reader.h"
#include "loaders/keras/freeze.h"
#include "loaders/keras/hdf5_file.h"
#include "loaders/onnx/onnx_loader.h"
#include "loaders/tensorflow/graph_def_loader.h"
#include "loaders/xir/pairing.h"
#include "loaders/xir/xmodel_loader.h"
#include "onnx.pb.h"
#include "xir_graph.pb.h"

namespace dpurun::loaders {

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
                where +
                    ": window parameters out of range (kernel, strides and dilations must be "
                    "1.." +
                    std::to_string(kMax) + ", pads 0.." + std::to_string(kMax) + ")");
  if (in_h + pad_top + pad_bottom < dilation_h * (kernel_h - 1) + 1 ||
      in_w + pad_left + pad_right < dilation_w * (kernel_w - 1) + 1)
    throw Error(ErrorCode::kInvalidModel, where + ": the window is larger than its padded input");
}

namespace {

// Fuses ops for inference and lowers fix ops to the DPU's integer arithmetic.
graph::Graph finish(graph::Graph g, const LoadOptions& options) {
  graph::fuse_for_inference(g);
  if (graph::has_fix_ops(g) && !options.fix_in_float) {
    graph::lower_fix_to_integer(g);
    graph::fuse_int8_residuals(g);
  }
  graph::verify(g);  // every loader's shapes against one rule per op, before kernels trust them
  return g;
}

// --- one entry per format -----------------------------------------------------------------

// A Keras model runs as the graph `dpurun freeze` writes for it.
graph::Graph load_keras(const std::string& path, const LoadOptions& options) {
  keras::FrozenGraph frozen = keras::freeze(keras::read_model(path, options.weights_from));
  return finish(tf::lower_graph_def(frozen.graph, path, options), options);
}

void describe_keras(const std::string& path, const std::string& weights, ModelInfo& info) {
  FreezeResult frozen = freeze_keras(path, weights);
  tf::describe_graph_def(frozen.graph_def, info);
  info.format = "keras-h5";
  // A GraphDef holds no shapes but the inputs'; freezing knows the outputs'.
  for (auto& t : info.outputs)
    for (const auto& o : frozen.outputs)
      if (t.name == o.name) t.shape = o.shape;
  info.properties.emplace_back("keras_version", frozen.keras_version);
}

graph::Graph lower_xmodel(const std::string& bytes, const std::string& source,
                          const LoadOptions& options) {
  if (options.weights_from.empty()) return xir::load_xmodel(bytes, source, options);
  xir::Graph compiled, quantized;
  std::string q_bytes = read_file(options.weights_from);
  if (!xir::parse_xmodel(bytes, compiled))
    throw Error(ErrorCode::kInvalidModel, source + ": not an XIR .xmodel");
  if (!xir::parse_xmodel(q_bytes, quantized))
    throw Error(ErrorCode::kInvalidModel, options.weights_from + ": not an XIR .xmodel");
  xir::check_pairing(compiled, source, quantized, options.weights_from);
  return xir::load_xmodel(q_bytes, options.weights_from, options);
}

[[noreturn]] graph::Graph refuse_elf(const std::string& bytes, const std::string& source,
                                     const LoadOptions&) {
  dnndk::read_dnndk_elf(bytes, source);  // a malformed file says so first
  throw Error(ErrorCode::kUnsupported,
              source +
                  ": a DNNDK .elf holds DPU machine code, not a graph the CPU reference can "
                  "run; `dpurun inspect` lists its kernels and tensors. Run the quantized "
                  "graph it was compiled from (vai_q's deploy_model.pb or "
                  "quantize_eval_model.pb) for the int8 reference");
}

// Content checks. Protobuf formats have no signature: a file is taken for one when it parses as
// it and has what every file of the format has. Trial parses of other formats' bytes are quiet
// (protobuf would log each string field that is not UTF-8).
bool is_hdf5(const std::string& b) { return b.rfind("\x89HDF\r\n\x1a\n", 0) == 0; }
bool is_keras_json(const std::string& b) {
  auto first = b.find_first_not_of(" \t\r\n");
  return first != std::string::npos && b[first] == '{' &&
         b.find("\"class_name\"") != std::string::npos;
}
bool is_xmodel(const std::string& b) {
  google::protobuf::LogSilencer quiet;
  xir::Graph g;
  if (!xir::parse_xmodel(b, g) || g.op_node_size() == 0) return false;
  for (const auto& n : g.op_node())
    if (n.op_name().empty() || n.op_type().empty()) return false;
  return true;
}
bool is_onnx(const std::string& b) {
  google::protobuf::LogSilencer quiet;
  onnx::ModelProto m;
  return m.ParseFromString(b) && m.ir_version() > 0 && m.graph().node_size() > 0;
}
bool is_graph_def(const std::string& b) {
  google::protobuf::LogSilencer quiet;
  tf::GraphDef g;
  if (!g.ParseFromString(b) || g.node_size() == 0) return false;
  for (const auto& n : g.node())
    if (n.name().empty() || n.op().empty()) return false;
  return true;
}

struct Format {
  ModelFormat id;
  std::vector<std::string> extensions;
  // Whether the bytes are of this format: a signature (cheap, decides before any name), or for
  // protobuf formats, which have none, a trial parse (used only when the name does not say).
  bool (*is)(const std::string& bytes);
  bool signature;
  // From bytes; null where the format reads its own file (Keras: HDF5 opens the path).
  graph::Graph (*load)(const std::string& bytes, const std::string& source,
                       const LoadOptions& options);
  void (*describe)(const std::string& bytes, ModelInfo& info);
  bool named(const std::string& ext) const {
    return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
  }
};

// Trial parses run in this order: the strictest check first.
const std::vector<Format>& formats() {
  static const std::vector<Format> table = {
      {ModelFormat::kKeras,
       {".h5", ".hdf5", ".json"},
       [](const std::string& b) { return is_hdf5(b) || is_keras_json(b); },
       true,
       nullptr,
       nullptr},
      {ModelFormat::kDnndkElf,
       {".elf"},
       dnndk::looks_like_elf,
       true,
       refuse_elf,
       dnndk::describe_elf},
      {ModelFormat::kOnnx, {".onnx"}, is_onnx, false, onnx::load_onnx, onnx::describe_onnx},
      {ModelFormat::kXirModel, {".xmodel"}, is_xmodel, false, lower_xmodel, xir::describe_xmodel},
      {ModelFormat::kTensorFlowGraphDef,
       {".pb", ".graphdef"},
       is_graph_def,
       false,
       tf::load_graph_def,
       tf::describe_graph_def},
  };
  return table;
}

const Format& format_of(ModelFormat id) {
  for (const auto& f : formats())
    if (f.id == id) return f;
  throw Error(ErrorCode::kInternal, "no entry for a model format");
}

std::string unknown_format(const std::string& source) {
  return source +
         ": unknown model format (by name and by content); dpurun reads TensorFlow frozen graphs "
         "(.pb), XIR models (.xmodel), QDQ ONNX models (.onnx), DNNDK kernels (.elf, inspect only) "
         "and Keras models (.h5, or an architecture .json with --weights)";
}

std::string read_model_file(const std::string& path) {
  // HDF5 files can be large and are read by HDF5 itself: look at the signature only.
  if (keras::looks_like_hdf5(path)) return "\x89HDF\r\n\x1a\n";
  return read_file(path);
}

// The format of a file's bytes: a signature's; else its name's; else the first trial parse that
// succeeds; else, for a damaged file named as one, its name's (its reader then says what is wrong).
ModelFormat detect(const std::string& path, const std::string& bytes) {
  const auto ext = std::filesystem::path(path).extension().string();
  for (const auto& f : formats())
    if (f.signature && f.is(bytes)) return f.id;
  for (const auto& f : formats())
    if (!f.signature && f.named(ext)) return f.id;
  for (const auto& f : formats())
    if (!f.signature && f.is(bytes)) return f.id;
  for (const auto& f : formats())
    if (f.named(ext)) return f.id;
  return ModelFormat::kUnknown;
}

graph::Graph lower(const std::string& bytes, ModelFormat format, const std::string& source,
                   const LoadOptions& options) {
  if (format == ModelFormat::kUnknown) throw Error(ErrorCode::kUnsupported, unknown_format(source));
  const Format& f = format_of(format);
  if (!f.load) throw Error(ErrorCode::kInternal, source + ": Keras models load from their files");
  return f.load(bytes, source, options);
}

}  // namespace

ModelFormat detect_format(const std::string& path) {
  if (!std::filesystem::exists(path)) return ModelFormat::kUnknown;
  return detect(path, read_model_file(path));
}

namespace {

// Lowers with `lower`, naming the file in errors from shared code (shape arithmetic, the graph),
// which do not know it; then fuses, lowers fix ops and verifies.
template <typename Lower>
graph::Graph lowered(const std::string& source, const LoadOptions& options, Lower&& lower) {
  graph::Graph g;
  try {
    g = lower();
  } catch (const Error& e) {
    const std::string m = e.what();
    if (m.rfind(source, 0) == 0 ||
        (!options.weights_from.empty() && m.rfind(options.weights_from, 0) == 0))
      throw;
    throw Error(e.code(), source + ": " + m);
  }
  return finish(std::move(g), options);
}

}  // namespace

graph::Graph load_model_bytes(const std::string& bytes, ModelFormat format,
                              const std::string& source, const LoadOptions& options) {
  return lowered(source, options, [&] { return lower(bytes, format, source, options); });
}

std::vector<graph::Graph> load_models(const std::string& path, const std::vector<LoadOptions>& each) {
  std::vector<graph::Graph> graphs;
  // Keras files go to HDF5 by name, unread (an architecture .json whose weights are missing is
  // Keras's to report), or by HDF5's signature.
  const auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".json" || ext == ".h5" || ext == ".hdf5" || keras::looks_like_hdf5(path)) {
    for (const auto& o : each) graphs.push_back(load_keras(path, o));
    return graphs;
  }
  return load_models_bytes(read_file(path), path, each);
}

std::vector<graph::Graph> load_models_bytes(const std::string& bytes, const std::string& path,
                                            const std::vector<LoadOptions>& each) {
  std::vector<graph::Graph> graphs;
  const ModelFormat format = detect(path, bytes);
  if (format == ModelFormat::kKeras)
    throw Error(ErrorCode::kInvalidArgument, path + ": a Keras model is read from its file, not from bytes");
  xir::Graph def;  // an XIR model is parsed once for all
  const bool parse_once = each.size() > 1 && format == ModelFormat::kXirModel && xir::parse_xmodel(bytes, def);
  for (const auto& o : each) {
    if (parse_once && o.weights_from.empty())
      graphs.push_back(lowered(path, o, [&] { return xir::load_xmodel(def, path, o); }));
    else graphs.push_back(load_model_bytes(bytes, format, path, o));
  }
  return graphs;
}

graph::Graph load_model(const std::string& path, const LoadOptions& options) {
  return std::move(load_models(path, {options}).front());
}

void count_op(std::vector<std::pair<std::string, int>>& counts, const std::string& type) {
  for (auto& [k, v] : counts)
    if (k == type) {
      ++v;
      return;
    }
  counts.emplace_back(type, 1);
}

}  // namespace dpurun::loaders

namespace dpurun {

ModelInfo describe_model(const std::string& path, const std::string& weights_from) {
  using namespace loaders;
  ModelInfo info;
  info.path = path;
  std::string bytes = read_file(path);
  info.file_bytes = bytes.size();
  const ModelFormat format = detect(path, bytes);
  if (format == ModelFormat::kUnknown) throw Error(ErrorCode::kUnsupported, unknown_format(path));
  if (format == ModelFormat::kKeras)
    describe_keras(path, weights_from, info);
  else
    format_of(format).describe(bytes, info);
  return info;
}

namespace {
const SubgraphInfo* first_dpu(const std::vector<SubgraphInfo>& subs) {
  for (const auto& s : subs) {
    if (s.device == "DPU") return &s;
    if (const auto* c = first_dpu(s.children)) return c;
  }
  return nullptr;
}
}  // namespace

const SubgraphInfo* find_dpu_subgraph(const ModelInfo& info) { return first_dpu(info.subgraphs); }

}  // namespace dpurun

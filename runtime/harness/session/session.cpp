#include "session/session.h"

#include <algorithm>

#include "dpurun/backends.h"
#include "dpurun/error.h"

namespace dpurun {

Session open_session(const EvalSettings& s, const Manifest& manifest, const Dataset& data) {
  BackendOptions bo = s.backend;  // with the tensors and shape the manifest names
  if (!manifest.input_name.empty()) bo.model.inputs = {manifest.input_name};
  if (!manifest.output_name.empty()) bo.model.outputs = {manifest.output_name};
  bo.model.input_shape = manifest.input_shape;
  Session session;
  session.owned = make_runners(s.model_file, bo);
  for (auto& r : session.owned) session.runners.push_back(r.get());
  const TensorInfo& in = session.input = session.owned[0]->input_tensors()[0];
  const TensorInfo& out = session.output = session.owned[0]->output_tensors()[0];
  session.output_elems =
      static_cast<std::size_t>(element_count(Shape(out.shape.begin() + 1, out.shape.end())));
  session.classes = manifest.classifier() ? std::max(manifest.classes.size(), data.class_names().size()) : 0;
  if (session.output_elems < session.classes)
    throw Error(ErrorCode::kInvalidArgument, s.model_file + ": the model outputs " +
                                                 std::to_string(session.output_elems) +
                                                 " values per image but the data set " + s.data +
                                                 " has " + std::to_string(session.classes) +
                                                 " classes; is this the right model for the data?");
  if (in.shape.size() != 4)
    throw Error(ErrorCode::kUnsupported, s.model_file + ": input '" + in.name + "' has shape " +
                                             to_string(in.shape) + "; dpurun feeds NHWC images");
  session.hwc = Shape(in.shape.begin() + 1, in.shape.end());
  session.input_elems = static_cast<std::size_t>(element_count(session.hwc));
  session.arithmetic = in.type == DataType::kFloat32 ? "float32"
                       : s.backend.name == "dpu"     ? "int8 (DPU)"
                                                     : "int8 (DPU emulation)";
  return session;
}

void load_input(const Dataset& data, std::size_t index, const Manifest& manifest, const Session& session,
                std::byte* dst) {
  if (session.input.type == DataType::kFloat32)
    return data.load(index, manifest.preprocessing, session.hwc, reinterpret_cast<float*>(dst));
  data.load(index, manifest.preprocessing, session.hwc, session.input.fix_point.value_or(0),
            reinterpret_cast<std::int8_t*>(dst));
}

void preprocess_input(const Dataset& data, std::size_t index, const Dataset::Pixels& pixels,
                      const Manifest& manifest, const Session& session, std::byte* dst) {
  if (session.input.type == DataType::kFloat32)
    return data.preprocess(index, pixels, manifest.preprocessing, session.hwc, reinterpret_cast<float*>(dst));
  data.preprocess(index, pixels, manifest.preprocessing, session.hwc, session.input.fix_point.value_or(0),
                  reinterpret_cast<std::int8_t*>(dst));
}

}  // namespace dpurun

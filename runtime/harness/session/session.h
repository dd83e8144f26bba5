// What `dpurun eval` and `dpurun bench` share: the runners a model and its settings call for,
// and one image written into a runner's input (preprocessed, quantized where the input is int8).
#pragma once

#include <memory>
#include <vector>

#include "dpurun/dataset.h"
#include "dpurun/eval.h"
#include "dpurun/runner.h"

namespace dpurun {

struct Session {
  std::vector<std::unique_ptr<Runner>> owned;
  std::vector<Runner*> runners;
  TensorInfo input, output;  // of the first runner; the batch is dimension 0
  Shape hwc;                 // one image of the input
  std::size_t input_elems = 0, output_elems = 0;  // per image
  std::size_t classes = 0;   // of the manifest or the data set, whichever has more
  std::string arithmetic;    // "float32", "int8 (DPU)", "int8 (DPU emulation)"
};

// The runners `s.backend` asks for, for `s.model_file`. Throws Error when
// the model does not take NHWC images or has fewer outputs than `data` has classes.
Session open_session(const EvalSettings& s, const Manifest& manifest, const Dataset& data);

// Writes data set image `index` into `dst` as the session's input takes it: H × W × C floats, or
// int8 at the input's fix point by the manifest's conversion. Throws Error naming the image.
void load_input(const Dataset& data, std::size_t index, const Manifest& manifest, const Session& session,
                std::byte* dst);
// The same from the image's cached pixels (Dataset::decode).
void preprocess_input(const Dataset& data, std::size_t index, const Dataset::Pixels& pixels,
                      const Manifest& manifest, const Session& session, std::byte* dst);

}  // namespace dpurun

// What `dpurun eval` and `dpurun bench` share: the runners a model and its settings call for,
// and one image written into a runner's input (preprocessed, quantized where the input is int8).
#pragma once

#include <functional>
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
  InputConversion conversion;  // float → int8, where the input is int8 (the manifest's)
};

// The runners `s.backend` asks for, for `s.model_file`. Throws Error when
// the model does not take NHWC images or has fewer outputs than `data` has classes.
Session open_session(const EvalSettings& s, const Manifest& manifest, const Dataset& data);

// Writes one image into `dst` as the session's input takes it: `preprocess` fills the image's
// floats (H × W × C), straight into `dst` for a float input, else into a scratch buffer that is
// then quantized to the input's fix point by the session's conversion.
void write_input(const Session& session, std::byte* dst, const std::function<void(float*)>& preprocess);

// write_input() of data set image `index`. Throws Error naming the image.
void load_input(const Dataset& data, std::size_t index, const Manifest& manifest, const Session& session,
                std::byte* dst);

}  // namespace dpurun

// The C++ API's outputs for the Python tests to compare with, bit for bit: the first COUNT
// images of DATA through the CPU reference of a manifest's variant, preprocessed as it says,
// written as raw float32 (COUNT × outputs per image) to OUT.
//   reference_outputs MANIFEST MODEL_ROOT VARIANT DATA COUNT BATCH OUT
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "dpurun/manifest.h"
#include "dpurun/runner.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s MANIFEST MODEL_ROOT VARIANT DATA COUNT BATCH OUT\n", argv[0]);
    return 2;
  }
  try {
    using namespace dpurun;
    const Manifest mf = Manifest::load(argv[1], argv[2]);
    const Dataset data = Dataset::open(argv[4], mf.classes);
    const std::size_t count = std::strtoul(argv[5], nullptr, 10);
    const int batch = std::atoi(argv[6]);
    ModelOptions mo;
    if (!mf.input_name.empty()) mo.inputs = {mf.input_name};
    if (!mf.output_name.empty()) mo.outputs = {mf.output_name};
    mo.input_shape = mf.input_shape;
    const Model model = Model::load(mf.model_file(argv[3]), mo);
    CpuRunnerOptions ro;
    ro.batch = batch;
    auto runner = make_cpu_runner(model, ro);
    const TensorInfo& in = runner->input_tensors()[0];
    const Shape hwc(in.shape.begin() + 1, in.shape.end());
    const auto per_in = static_cast<std::size_t>(element_count(hwc));
    const auto per_out =
        static_cast<std::size_t>(element_count(runner->output_tensors()[0].shape) / batch);
    auto buffers = runner->allocate_buffers();
    std::vector<float> x(per_in), out;
    for (std::size_t first = 0; first < count; first += static_cast<std::size_t>(batch)) {
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(batch), count - first);
      for (std::size_t k = 0; k < static_cast<std::size_t>(batch); ++k) {
        data.load(first + std::min(k, n - 1), mf.preprocessing, hwc,
                  x.data());  // pad with the last
        std::byte* dst = buffers->inputs[0].data + k * per_in * size_of(in.type);
        if (in.type == DataType::kInt8)
          quantize_input(x.data(), per_in, *in.fix_point, reinterpret_cast<std::int8_t*>(dst),
                         mf.preprocessing.input_conversion);
        else
          std::copy(x.begin(), x.end(), reinterpret_cast<float*>(dst));
      }
      const JobStatus s = runner->wait(runner->execute_async(*buffers), -1);
      if (s.state != JobState::kDone) throw Error(ErrorCode::kDevice, s.error);
      const auto* y = reinterpret_cast<const float*>(buffers->outputs[0].data);
      out.insert(out.end(), y, y + n * per_out);
    }
    std::ofstream f(argv[7], std::ios::binary);
    f.write(reinterpret_cast<const char*>(out.data()),
            static_cast<std::streamsize>(out.size() * sizeof(float)));
    return f ? 0 : 1;
  } catch (const dpurun::Error& e) {
    std::fprintf(stderr, "reference_outputs: %s\n", e.what());
    return 3;
  }
}

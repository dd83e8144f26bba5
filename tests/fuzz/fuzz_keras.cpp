// libFuzzer target for the Keras reader's own logic: bytes as an architecture JSON
// (model.to_json()), paired with a small weights-only .h5 written once at start-up (layers
// conv2d_1 and dense_1; for a config that names vai_q_tensorflow2's "Vitis>" layers, those of a
// quantized model: quant_input, quant_flatten, quant_dense with the quantizer's positions),
// then frozen and lowered. Parsing HDF5 itself is the HDF5 library's;
// the config, the layer semantics and the pairing of weights are ours. Any outcome but a
// dpurun::Error is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "dpurun/error.h"
#include "dpurun/freeze.h"
#include "loaders/loader.h"
#include "support/keras_writer.h"

namespace {

const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("dpurun-fuzz-keras-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    auto w = [](std::string name, std::vector<std::int64_t> shape) {
      std::size_t n = 1;
      for (auto s : shape) n *= static_cast<std::size_t>(s);
      std::vector<float> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
      return dpurun::test::KerasWeight{std::move(name), std::move(shape), std::move(v)};
    };
    dpurun::test::write_keras_h5((d / "w.h5").string(),
                                 {{"conv2d_1", {w("kernel", {3, 3, 3, 4}), w("bias", {4})}},
                                  {"dense_1", {w("kernel", {64, 10}), w("bias", {10})}}},
                                 {"", "2.2.4", true});
    auto pos = [](std::string name, float p) { return dpurun::test::KerasWeight{std::move(name), {}, {p}}; };
    dpurun::test::write_keras_h5((d / "w_vitis.h5").string(),
                                 {{"quant_input", {pos("quant_input_pos", 6), pos("optimizer_step", 1)}},
                                  {"quant_flatten", {pos("optimizer_step", 1)}},
                                  {"quant_dense",
                                   {w("kernel", {64, 10}), w("bias", {10}), pos("kernel_pos", 7), pos("bias_pos", 8),
                                    pos("post_activation_pos", 4), pos("optimizer_step", 1)}}},
                                 {"", "2.8.0", false});
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto arch = scratch() / "arch.json";
  std::ofstream(arch, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  const bool vitis = std::string_view(reinterpret_cast<const char*>(data), size).find("Vitis>") != std::string_view::npos;
  const std::string weights = (scratch() / (vitis ? "w_vitis.h5" : "w.h5")).string();
  try {
    dpurun::freeze_keras(arch.string(), weights);
    dpurun::loaders::LoadOptions o;
    o.weights_from = weights;
    auto g = dpurun::loaders::load_model(arch.string(), o);
    (void)g;
  } catch (const dpurun::Error&) {
  }
  return 0;
}

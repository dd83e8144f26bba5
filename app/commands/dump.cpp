// `dpurun dump`: every layer's output for one image, as Vitis AI's DPU debugging flow lays it
// out; `dpurun compare`: two such folders, layer by layer (docs/debugging.md).
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "commands/commands.h"
#include "dpurun/dataset.h"
#include "dpurun/dump.h"
#include "dpurun/error.h"
#include "dpurun/runner.h"
#include "paths.h"

namespace dpurun::app {
namespace {

std::string read_input(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, path + ": no such input file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Command add_dump(CLI::App& app) {
  struct Args {
    std::string model = kDefaultModel, manifest, variant, data, input, out, weights, conversion,
                kernels = "fast";
    std::size_t image = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("dump",
                                     "Write every layer's output for one image (XIR models), as "
                                     "the quantizer's deploy_check_data_int/ "
                                     "lays it out, to compare with `dpurun compare`");
  cmd->add_option("-m,--model", a->model, "Manifest name, manifest file, or .xmodel file")
      ->capture_default_str();
  cmd->add_option("--manifest", a->manifest, "Manifest to take preprocessing from");
  cmd->add_option("--variant", a->variant,
                  "Which of the manifest's files (quantized, compiled, …)");
  cmd->add_option(
      "-d,--data", a->data,
      "Data set the image comes from; default $DPURUN_DATA or ../shared/data/cifar10-test-jpg");
  cmd->add_option("-i,--image", a->image, "Index of the image in the data set")
      ->capture_default_str();
  cmd->add_option("--input", a->input,
                  "Raw input instead of an image: the input tensor's values, float32 (quantized to "
                  "an int8 input "
                  "as --input-conversion says) or int8, little-endian, NHWC (e.g. the quantizer's "
                  "<input>.bin)");
  cmd->add_option("-w,--weights-from", a->weights,
                  "For a compiled .xmodel: run its quantized .xmodel's weights instead");
  cmd->add_option(
      "--input-conversion", a->conversion,
      "Float → int8 of the input (default: the manifest's; see docs/input-conversion.md)");
  cmd->add_option("--kernels", a->kernels, "fast or reference")
      ->capture_default_str()
      ->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_option("-o,--out", a->out, "Folder to write (created; files in it are replaced)")
      ->required();
  return {
      cmd, [a]() {
        ResolvedModel rm = resolve_model(a->model, a->manifest, a->variant, true);
        const Manifest& mf = rm.manifest;
        BackendOptions bo;
        bo.model.weights_from = a->weights;
        if (!mf.input_name.empty()) bo.model.inputs = {mf.input_name};
        bo.model.input_shape = mf.input_shape;
        bo.cpu.kernels = a->kernels == "reference" ? KernelChoice::kReference : KernelChoice::kFast;
        const InputConversion conversion = a->conversion.empty()
                                               ? mf.preprocessing.input_conversion
                                               : parse_input_conversion(a->conversion);
        std::string source;
        DumpInput fill = [&](const TensorInfo& in, std::byte* dst, std::size_t bytes) {
          const bool int8 = in.type == DataType::kInt8;
          const std::size_t n = static_cast<std::size_t>(element_count(in.shape));
          std::vector<float> x(n);
          if (!a->input.empty()) {
            source = a->input;
            const std::string raw = read_input(a->input);
            if (int8 && raw.size() == n) {
              std::memcpy(dst, raw.data(), n);
              return;
            }
            if (raw.size() != n * 4)
              throw Error(ErrorCode::kInvalidArgument,
                          a->input + ": " + std::to_string(raw.size()) + " bytes, but input '" +
                              in.name + "' " + to_string(in.shape) + " takes " + std::to_string(n) +
                              " float32 values (" + std::to_string(n * 4) + " bytes)" +
                              (int8 ? " or as many int8" : ""));
            std::memcpy(x.data(), raw.data(), raw.size());
          } else {
            if (rm.variant == "model" && mf.path.empty())
              throw Error(ErrorCode::kInvalidArgument,
                          rm.file +
                              ": no manifest lists this model, so how to prepare an image for it "
                              "is unknown: "
                              "give --input FILE (its input tensor's raw values) or --manifest");
            const std::string data = a->data.empty() ? default_data() : a->data;
            Dataset d = Dataset::open(data, mf.classes);
            if (a->image >= d.size())
              throw Error(ErrorCode::kInvalidArgument, "--image " + std::to_string(a->image) +
                                                           ": " + data + " has " +
                                                           std::to_string(d.size()) + " images");
            d.load(a->image, mf.preprocessing, Shape(in.shape.begin() + 1, in.shape.end()),
                   x.data());
            source = data + " image " + std::to_string(a->image) + " (" + d.name(a->image) + ")";
          }
          if (int8)
            quantize_input(x.data(), n, in.fix_point.value_or(0),
                           reinterpret_cast<std::int8_t*>(dst), conversion);
          else if (bytes == n * 4)
            std::memcpy(dst, x.data(), bytes);
          else
            throw Error(ErrorCode::kUnsupported,
                        rm.file + ": input '" + in.name + "' is " + to_string(in.type));
        };
        DumpReport r = dump_layers(rm.file, bo, fill, a->out);
        fmt::print(cli_out(), "dump    {} ({} tensors)\nmodel   {}\ninput   {}\n", a->out,
                   r.tensors.size(), rm.file, source);
        for (const auto& t : r.tensors)
          fmt::print(cli_out(), "  {:<8} {} {}{}\n", to_string(t.type), t.file, to_string(t.shape),
                     t.fix_point ? fmt::format(" fix_point {}", *t.fix_point) : "");
        return kOk;
      }};
}

Command add_compare(CLI::App& app) {
  struct Args {
    std::string a, b;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare two per-layer dumps (dpurun dump, the quantizer's deploy_check_data_int/) tensor by "
      "tensor; exit 1 at a difference, naming the first layer that differs");
  cmd->add_option("dir_a", a->a, "A dump folder")->required();
  cmd->add_option("dir_b", a->b, "The other")->required();
  return {cmd, [a]() {
            DumpComparison c = compare_dumps(a->a, a->b);
            fmt::print(cli_out(), "{}", to_table(c));
            return c.first_difference() < 0 ? kOk : kCheckFailed;
          }};
}

}  // namespace dpurun::app

#include <fmt/format.h>

#include <filesystem>

#include "cli.h"
#include "commands/commands.h"
#include "dpurun/error.h"
#include "dpurun/freeze.h"
#include "paths.h"

namespace dpurun::app {
namespace {

struct FreezeArgs {
  std::string model, weights, variant, out;
};

std::string dims(const Shape& s) {
  std::string out;
  for (auto d : s) out += (out.empty() ? "" : ",") + (d < 0 ? std::string("?") : std::to_string(d));
  return out;
}

}  // namespace

Command add_freeze(CLI::App& app) {
  auto a = std::make_shared<FreezeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "freeze",
      "Write a Keras model (.h5, or architecture .json + weights .h5) as a frozen "
      "TensorFlow graph (.pb) for vai_q_tensorflow");
  cmd->add_option("-m,--model", a->model,
                  "Keras model: a complete .h5, an architecture .json (with --weights), or a "
                  "manifest name")
      ->required();
  cmd->add_option("-w,--weights", a->weights, "The weights .h5 for an architecture .json");
  cmd->add_option("--variant", a->variant, "With a manifest name: which of its Keras files");
  cmd->add_option("-o,--out", a->out, "The frozen graph to write (.pb)")->required();
  return {cmd, [a]() {
            std::string model = a->model, weights = a->weights;
            std::error_code ec;
            if (!std::filesystem::is_regular_file(model, ec)) {  // a manifest name
              ResolvedModel rm = resolve_model(model, "", a->variant);
              model = rm.file;
              if (weights.empty() && rm.manifest.weights_from.count(rm.variant))
                weights = rm.manifest.model_file(rm.manifest.weights_from.at(rm.variant));
            }
            FreezeResult r = freeze_keras(model, weights);
            write_file_atomically(a->out, r.graph_def);
            fmt::print(cli_out(), "wrote {}: {} nodes, {:.1f} KiB, from {}{} (Keras {})\n", a->out, r.nodes,
                       double(r.graph_def.size()) / 1024.0, model,
                       weights.empty() ? "" : " + " + weights,
                       r.keras_version.empty() ? "version not recorded" : r.keras_version);
            std::string in_nodes, in_shapes, out_nodes;
            for (const auto& n : r.inputs) {
              fmt::print(cli_out(), "input   {}  [{}]\n", n.name, dims(n.shape));
              in_nodes += (in_nodes.empty() ? "" : ",") + n.name;
              in_shapes += (in_shapes.empty() ? "" : ":") + dims(n.shape);
            }
            for (const auto& n : r.outputs) {
              fmt::print(cli_out(), "output  {}  [{}]\n", n.name, dims(n.shape));
              out_nodes += (out_nodes.empty() ? "" : ",") + n.name;
            }
            fmt::print(
                "for vai_q_tensorflow: --input_frozen_graph {} --input_nodes {} --input_shapes {} "
                "--output_nodes {}\n",
                a->out, in_nodes, in_shapes, out_nodes);
            return kOk;
          }};
}

}  // namespace dpurun::app

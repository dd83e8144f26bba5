#include <fmt/format.h>

#include "cli.h"
#include "commands/commands.h"
#include "dpurun/dataset.h"
#include "paths.h"

namespace dpurun::app {
namespace {

struct ImagesArgs {
  std::string data, out;
  ImageExportOptions options;
};

}  // namespace

Command add_images(CLI::App& app) {
  auto a = std::make_shared<ImagesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "images", "Write a data set (e.g. the CIFAR-10 binary batches) as image files with labels.csv");
  cmd->add_option("-d,--data", a->data, "CIFAR-10 .bin batch or folder of them (or any data set dpurun reads)")
      ->required();
  cmd->add_option("-o,--out", a->out, "A new or empty folder: <class>/NNNN.<format> and labels.csv")->required();
  cmd->add_option("--format", a->options.format, "png (lossless) or jpg")
      ->capture_default_str()
      ->check(CLI::IsMember({"png", "jpg"}));
  cmd->add_option("--quality", a->options.jpeg_quality, "JPEG quality")->capture_default_str()->check(CLI::Range(1, 100));
  cmd->add_option("-n,--limit", a->options.limit, "Only the first N images (0: all)");
  return {cmd, [a]() {
    Dataset data = Dataset::open(a->data);
    std::size_t n = export_images(data, a->out, a->options);
    fmt::print(cli_out(), "{} images ({}) from {} written to {} with labels.csv\n", n, a->options.format, a->data, a->out);
    return kOk;
  }};
}

}  // namespace dpurun::app

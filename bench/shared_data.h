// The ResNet-56 manifest and the 10,000 CIFAR-10 test JPEGs of ../shared, for the benchmarks.
#pragma once

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "dpurun/dataset.h"
#include "dpurun/manifest.h"

namespace dpurun::bench {

struct SharedData {
  Manifest manifest;              // RGB, per-image standardisation
  std::unique_ptr<Dataset> data;  // null where ../shared is missing (said once on stderr)
};

inline const SharedData& shared_data() {
  static SharedData s = [] {
    SharedData s;
    const std::string shared = DPURUN_SHARED_DIR;
    s.manifest = Manifest::load(DPURUN_SOURCE_DIR "/models/tf-resnet56-cifar10.json", shared + "/models");
    const std::string data = shared + "/data/cifar10-test-jpg";
    if (!std::filesystem::exists(data)) {
      std::cerr << "needs " << data << " (../shared beside the repository); its benchmarks are skipped\n";
      return s;
    }
    s.data = std::make_unique<Dataset>(Dataset::open(data, s.manifest.classes));
    return s;
  }();
  return s;
}

}  // namespace dpurun::bench

// A model's top-1 and speed on a labelled image set, as `dpurun eval` measures them, in a few
// lines of the public API:
//   evaluate MANIFEST.json MODEL_ROOT DATA [LIMIT] [isolate]
// `isolate` runs each runner in a worker process (dpurun-worker, installed beside dpurun).
// e.g. evaluate models/tf-resnet56-cifar10.json ../shared/models ../shared/data/cifar10-test-jpg 1000
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dpurun/error.h"
#include "dpurun/eval.h"
#include "dpurun/manifest.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MANIFEST.json MODEL_ROOT DATA [LIMIT] [isolate]\n", argv[0]);
    return 2;
  }
  try {
    const dpurun::Manifest manifest = dpurun::Manifest::load(argv[1], argv[2]);
    dpurun::EvalSettings settings;  // batch 32, a runner per core, stop at the first error
    settings.model_file = manifest.model_file();
    settings.data = argv[3];
    settings.limit = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 0;
    if (argc > 5 && std::string(argv[5]) == "isolate") settings.backend.isolation = dpurun::Isolation::kOn;
    const dpurun::EvalReport r = dpurun::evaluate(settings, manifest);
    std::printf("%s: top-1 %.2f%% (%zu of %zu images), %.0f images/s, %s on %s\n", manifest.name.c_str(),
                100 * r.top1, r.top1_correct, r.images, r.images_per_second, r.arithmetic.c_str(), r.runner.c_str());
    return r.complete ? 0 : 1;
  } catch (const dpurun::Error& e) {
    std::fprintf(stderr, "evaluate: %s\n", e.what());
    return 3;
  }
}

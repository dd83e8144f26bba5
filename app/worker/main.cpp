// dpurun-worker: one runner in its own process, for isolated runners (--isolate, the DPU
// backend's default). Its parent starts it with the channel on fd 3 and the runner's options as
// arguments; it is not for running by hand.
#include <string>
#include <vector>

#include "dpurun/backends.h"

int main(int argc, char** argv) {
  return dpurun::serve_backend_worker(std::vector<std::string>(argv + 1, argv + argc));
}

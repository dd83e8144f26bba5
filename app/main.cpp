// dpurun: run and benchmark Vitis AI DPU models, with a bit-exact CPU reference.
#include <fmt/format.h>

#include "cli.h"
#include "dpurun/error.h"

int main(int argc, char** argv) {
  using namespace dpurun::app;
  CommandLine cl;
  try {
    cl.app().parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cl.app().exit(e) == 0 ? kOk : kUsage;
  }
  try {
    return cl.run();
  } catch (const dpurun::Error& e) {
    fmt::print(stderr, "dpurun: error: {}\n", e.what());
    switch (e.code()) {
      case dpurun::ErrorCode::kInvalidArgument:
        return kUsage;
      case dpurun::ErrorCode::kInternal:
        return kInternalError;
      default:
        return kInputError;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "dpurun: internal error: {}\n", e.what());
    return kInternalError;
  }
}

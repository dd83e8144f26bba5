// Whole-file reads with errors that name the file.
#pragma once

#include <string>

namespace dpurun {

// Reads a whole file; throws Error(kNotFound / kIo) naming it.
std::string read_file(const std::string& path);

}  // namespace dpurun

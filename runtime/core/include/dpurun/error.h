// The one error type of dpurun. The library throws it; the CLI turns it into a message and an exit
// code. Every message names the file, node or image it concerns and says what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace dpurun {

enum class ErrorCode {
  kInvalidArgument,  // a bad option or a wrong shape given by the caller
  kNotFound,         // a missing file, directory, tensor or node
  kInvalidModel,     // a model file that is truncated, foreign or inconsistent
  kUnsupported,      // a valid model that uses something dpurun cannot run
  kInvalidData,      // an image, label file or data batch that cannot be used
  kIo,               // reading or writing failed
  kDevice,           // a runner or its device failed or timed out
  kInternal,         // a bug in dpurun
};

const char* to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace dpurun

#include "dpurun/error.h"
#include "dpurun/tensor.h"

#include <utility>

namespace dpurun {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kInvalidModel: return "invalid model";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInvalidData: return "invalid data";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kDevice: return "device error";
    case ErrorCode::kInternal: return "internal error";
  }
  return "error";
}

const char* to_string(DataType type) {
  switch (type) {
    case DataType::kFloat32: return "float32";
    case DataType::kInt8: return "int8";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
  }
  return "?";
}

std::size_t size_of(DataType type) {
  switch (type) {
    case DataType::kFloat32: return 4;
    case DataType::kInt8: return 1;
    case DataType::kUInt8: return 1;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
  }
  return 0;
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

std::int64_t element_count(const Shape& shape, std::int64_t batch) {
  std::int64_t n = 1;
  for (auto d : shape)
    if (__builtin_mul_overflow(n, d < 0 ? batch : d, &n))
      throw Error(ErrorCode::kInvalidModel,
                  "shape " + to_string(shape) + " has more elements than a 64-bit count holds");
  return n;
}

namespace {

constexpr std::pair<const char*, InputConversion::Rounding> kRoundings[] = {
    {"round", InputConversion::Rounding::kHalfUp},
    {"truncate", InputConversion::Rounding::kTowardZero},
    {"half-even", InputConversion::Rounding::kHalfEven},
    {"half-away", InputConversion::Rounding::kHalfAway},
};

}  // namespace

InputConversion parse_input_conversion(const std::string& name) {
  InputConversion c;
  std::string rounding = name;
  if (rounding.size() > 5 && rounding.ends_with("-wrap")) {
    c.overflow = InputConversion::Overflow::kWrap;
    rounding.resize(rounding.size() - 5);
  }
  for (auto& [n, r] : kRoundings)
    if (rounding == n) {
      c.rounding = r;
      return c;
    }
  throw Error(ErrorCode::kInvalidArgument,
              "unknown input conversion '" + name +
                  "': use round (the DPU's, default), truncate, half-even or half-away, each "
                  "saturating, or with -wrap (e.g. truncate-wrap, as NumPy's astype(np.int8))");
}

std::string to_string(InputConversion c) {
  std::string s = "round";
  for (auto& [n, r] : kRoundings)
    if (c.rounding == r) s = n;
  return c.overflow == InputConversion::Overflow::kWrap ? s + "-wrap" : s;
}

}  // namespace dpurun

// Tensor descriptions shared by every backend. Shapes are NHWC for images; dimension 0 is the batch
// and is -1 where the model leaves it open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dpurun {

enum class DataType : std::uint8_t { kFloat32, kInt8, kUInt8, kInt32, kInt64 };

const char* to_string(DataType type);
std::size_t size_of(DataType type);

using Shape = std::vector<std::int64_t>;

std::string to_string(const Shape& shape);
// Number of elements; a -1 dimension counts as `batch`. Throws Error (kInvalidModel) on overflow.
std::int64_t element_count(const Shape& shape, std::int64_t batch = 1);

struct TensorInfo {
  std::string name;
  Shape shape;
  DataType type = DataType::kFloat32;
  std::optional<int> fix_point;  // set on quantized tensors: real = int * 2^-fix_point
};

// How an application turns a float input into the DPU's int8: v = x · 2^fix_point (float32),
// rounded, then fitted to int8. The default is the DPU's own (DPU_ROUND, saturated); board apps
// often truncate or wrap instead, and the reference must do what the app did (docs/input-conversion.md).
struct InputConversion {
  enum class Rounding : std::uint8_t {
    kHalfUp,      // floor(v + 0.5): DPU_ROUND, the quantizer's
    kTowardZero,  // C/C++ cast, NumPy astype
    kHalfEven,    // NumPy round / np.rint
    kHalfAway,    // C/C++ std::round
  };
  enum class Overflow : std::uint8_t {
    kSaturate,  // clamp to [-128, 127]; NaN → 0
    kWrap,      // the low 8 bits of the value as a 32-bit int, as (char)(int)v and NumPy astype(int8)
                // do; NaN and values past int32 → 0 (x86's result; C leaves them undefined)
  };
  Rounding rounding = Rounding::kHalfUp;
  Overflow overflow = Overflow::kSaturate;
  bool operator==(const InputConversion&) const = default;
};
// "round", "truncate", "half-even" or "half-away", each optionally with "-wrap".
// Throws Error (kInvalidArgument) naming the accepted names.
InputConversion parse_input_conversion(const std::string& name);
std::string to_string(InputConversion conversion);

}  // namespace dpurun

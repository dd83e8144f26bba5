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

}  // namespace dpurun

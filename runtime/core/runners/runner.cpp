#include "dpurun/runner.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dpurun/error.h"
#include "graph/fix_math.h"

namespace dpurun {
namespace {

class HostJobBuffers : public JobBuffers {
 public:
  HostJobBuffers(const std::vector<TensorInfo>& in, const std::vector<TensorInfo>& out) {
    for (const auto& t : in) inputs.push_back(add(t));
    for (const auto& t : out) outputs.push_back(add(t));
  }

 private:
  TensorBuffer add(const TensorInfo& t) {
    std::size_t bytes = static_cast<std::size_t>(element_count(t.shape)) * size_of(t.type);
    // 64-byte aligned, zeroed: padding of a partial batch reads zeros.
    auto& m = memory_.emplace_back(new (std::align_val_t{64}) std::byte[bytes ? bytes : 1]());
    return TensorBuffer{t, m.get(), bytes};
  }
  struct AlignedDelete {
    void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::vector<std::unique_ptr<std::byte[], AlignedDelete>> memory_;
};

}  // namespace

int Runner::batch() const {
  const auto& in = input_tensors();
  return in.empty() || in[0].shape.empty() ? 1 : static_cast<int>(in[0].shape[0]);
}

std::unique_ptr<JobBuffers> Runner::allocate_buffers() {
  return std::make_unique<HostJobBuffers>(input_tensors(), output_tensors());
}

std::unique_ptr<JobBuffers> Runner::buffers_over(const std::vector<std::byte*>& inputs,
                                                 const std::vector<std::byte*>& outputs) {
  const auto& in = input_tensors();
  const auto& out = output_tensors();
  if (inputs.size() != in.size() || outputs.size() != out.size())
    throw Error(ErrorCode::kInvalidArgument, name() + ": buffers_over needs a block per tensor");
  auto jb = std::make_unique<JobBuffers>();
  auto view = [](const TensorInfo& t, std::byte* p) {
    return TensorBuffer{t, p, static_cast<std::size_t>(element_count(t.shape)) * size_of(t.type)};
  };
  for (std::size_t i = 0; i < in.size(); ++i) jb->inputs.push_back(view(in[i], inputs[i]));
  for (std::size_t i = 0; i < out.size(); ++i) jb->outputs.push_back(view(out[i], outputs[i]));
  return jb;
}

void quantize_input(const float* x, std::size_t count, int fix_point, std::int8_t* out) {
  graph::quantize_dpu_input(x, count, std::ldexp(1.f, fix_point), out);
}

void quantize_input(const float* x, std::size_t count, int fix_point, std::int8_t* out,
                    InputConversion conversion) {
  using R = InputConversion::Rounding;
  if (conversion == InputConversion{}) return quantize_input(x, count, fix_point, out);
  const float scale = std::ldexp(1.f, fix_point);
  const bool wrap = conversion.overflow == InputConversion::Overflow::kWrap;
  for (std::size_t i = 0; i < count; ++i) {
    const float v = x[i] * scale;
    float r = 0.f;  // every rounding sets it
    switch (conversion.rounding) {
      case R::kHalfUp: r = std::floor(v + 0.5f); break;  // as quantize_input: the sum in float
      case R::kTowardZero: r = std::trunc(v); break;
      case R::kHalfEven: r = std::isinf(v) ? v : v - std::remainder(v, 1.f); break;  // ties to even
      case R::kHalfAway: r = std::round(v); break;
    }
    if (r != r) {
      out[i] = 0;
    } else if (!wrap) {
      out[i] = static_cast<std::int8_t>(r > 127.f ? 127 : r < -128.f ? -128 : static_cast<int>(r));
    } else if (r >= 2147483648.f || r < -2147483648.f) {
      out[i] = 0;  // x86's cvttss2si gives INT32_MIN, whose low byte is 0
    } else {
      out[i] = static_cast<std::int8_t>(static_cast<std::uint8_t>(static_cast<std::int32_t>(r) & 0xff));
    }
  }
}

void dequantize_tensor(const TensorInfo& info, const std::byte* data, std::size_t count, float* out) {
  switch (info.type) {
    case DataType::kFloat32: std::memcpy(out, data, count * sizeof(float)); return;
    case DataType::kInt8: {
      const float scale = std::ldexp(1.f, -info.fix_point.value_or(0));
      const auto* q = reinterpret_cast<const std::int8_t*>(data);
      for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(q[i]) * scale;
      return;
    }
    default:
      throw Error(ErrorCode::kUnsupported, "output tensor '" + info.name + "' is " +
                                               to_string(info.type) +
                                               "; dpurun reads float32 or int8 outputs");
  }
}

}  // namespace dpurun

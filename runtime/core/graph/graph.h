// The model representation every loader lowers into and every executor runs: a DAG of nodes
// over values. Activations are NHWC; the batch dimension is -1 until a plan fixes it.
#pragma once

#include <array>
#include <cstring>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "dpurun/custom_op.h"
#include "dpurun/tensor.h"

namespace dpurun::graph {

using ::dpurun::to_string;

using ValueId = int;
using NodeId = int;
constexpr int kNone = -1;

// Constant data owned by a value; shared so that passes can copy graphs cheaply.
using Buffer = std::shared_ptr<const std::vector<std::byte>>;

// How the DPU rounds a fixed-point result (a tensor's round_mode in XIR).
enum class RoundMode {
  kDpu,  // DPU_ROUND: floor(x + 0.5), half towards +infinity
  kStd,  // STD_ROUND: half away from zero
  kPy3,  // PY3_ROUND: half to even
};
const char* to_string(RoundMode r);
// The mode of XIR's round_mode name (to_string's inverse); nullopt for another name.
std::optional<RoundMode> parse_round_mode(const std::string& name);

// A fixed-point format: real = integer × 2^-fix_point, integers of bit_width bits.
struct FixInfo {
  int fix_point = 0;
  int bit_width = 8;
  bool is_signed = true;
  RoundMode round = RoundMode::kDpu;
};

struct Value {
  std::string name;
  DataType type = DataType::kFloat32;
  Shape shape;
  Buffer data;  // set for constants
  NodeId producer = kNone;
  std::optional<FixInfo> fix;  // set on int8 values

  bool is_constant() const { return data != nullptr; }
  template <typename T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(data->data()), data->size() / sizeof(T)};
  }
};

enum class Activation {
  kNone,
  kRelu,
  kRelu6,
  kLeakyRelu,
  kElu,
  kSigmoid,
  kTanh,
  kHardSigmoid,  // relu6(x + 3) / 6
  kHardSwish,    // x · relu6(x + 3) / 6
  kClamp,        // min(max(x, alpha), beta): XIR's clamp and hard-tanh
};
const char* to_string(Activation a);

struct ActivationParams {
  Activation kind = Activation::kNone;
  float alpha = 0.f;  // LeakyRelu slope; Clamp's lower bound
  float beta = 0.f;   // Clamp's upper bound
};

// Conv2D: inputs {x, weights HWIO, bias [O] (optional), residual (optional)}.
// out = act(conv(x, w) + bias + residual).
// In int8 (fuse_int8_residuals): the convolution's own int8 result, act(conv(x, w) + bias)
// at `conv_fix`, then eltwise-fix ADD with the residual and `residual_act`, at the output's fix.
// DepthwiseConv2D: weights [KH, KW, C, M], output channel c*M + m.
struct ConvParams {
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  ActivationParams act;
  bool has_bias = false;
  bool has_residual = false;
  std::optional<FixInfo> conv_fix;   // int8 with a residual: the convolution's own result
  ActivationParams residual_act;     // int8 with a residual: after the add
};

enum class PoolKind { kMax, kAverage };
struct PoolParams {
  PoolKind kind = PoolKind::kMax;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  bool count_include_pad = false;  // TensorFlow averages over the valid elements only
  bool dpu_factor = false;  // average as the DPU does: the window's sum times F / 2^S (fix_math.h)
};

// FullyConnected: inputs {x [N, K], weights [K, M], bias [M] (optional)}.
struct FullyConnectedParams {
  ActivationParams act;
  bool has_bias = false;
};

enum class BinaryKind { kAdd, kSub, kMul, kDiv };
struct BinaryParams {
  BinaryKind kind = BinaryKind::kAdd;  // numpy broadcasting
  ActivationParams act;                // applied to the result (fused Add + Relu)
};

// Fix: the quantizer's simulation in float, y = saturate(round(x · 2^fp)) · 2^-fp.
// Quantize: float → integer with the output value's FixInfo. Dequantize: integer → float.
struct FixParams {
  FixInfo fix;
};

// ScaleShift: per-channel (last axis) out = x * scale + shift; inputs {x, scale [C], shift [C]}.
struct ScaleShiftParams {
  ActivationParams act;
};

struct UnaryParams {
  ActivationParams act;
};

struct ConcatParams {
  int axis = 0;  // non-negative
};

// Pad: `interior[d]` values inserted between neighbours along d (a transposed convolution's
// dilated input; empty: none), then pads[d] before and after.
struct PadParams {
  std::vector<std::array<std::int64_t, 2>> pads;  // before/after per dimension
  float value = 0.f;
  std::vector<std::int64_t> interior;
  bool has_interior() const {
    for (auto i : interior)
      if (i != 0) return true;
    return false;
  }
};

// Mean (and XIR's other reductions: sum, max, product) over `axes`.
enum class ReduceKind { kMean, kSum, kMax, kProduct };
struct MeanParams {
  std::vector<int> axes;  // sorted, non-negative
  ReduceKind kind = ReduceKind::kMean;
  bool keep_dims = false;
  bool on_cpu = false;  // a CPU subgraph's mean (XIR's aten::mean): float, never the DPU's pool
};

struct SoftmaxParams {
  int axis = -1;  // last
};

// Resize of H and W (NHWC) to the output value's size, as PyTorch's interpolate and XIR's
// resize compute it: source position = (dst + ½)·in/out − ½ with half-pixel centres,
// dst·(in − 1)/(out − 1) with aligned corners, else dst·in/out.
struct ResizeParams {
  bool bilinear = false;  // else nearest
  bool align_corners = false;
  bool half_pixel_centers = false;
};

// Transpose: out[i0, i1, …] = x[i_perm…]: output dimension d is input dimension perm[d]
// (XIR's `order`); the batch stays first.
struct TransposeParams {
  std::vector<int> perm;
};

// Slice: out[i…] = x[begin[d] + i_d · step[d] …] over every dimension (XIR's strided_slice);
// the output's shape is its value's. The batch is taken whole (begin 0, step 1).
struct SliceParams {
  std::vector<std::int64_t> begin, step;
};

// Custom: an op the user registered (dpurun/custom_op.h), run in float.
struct CustomParams {
  std::string type;
  std::shared_ptr<const std::function<void(const CustomOpCall&)>> fn;
};

// Reshape needs no parameters: the output value's shape says it all.
using OpParams = std::variant<std::monostate, ConvParams, PoolParams, FullyConnectedParams,
                              BinaryParams, ScaleShiftParams, UnaryParams, ConcatParams, PadParams,
                              MeanParams, SoftmaxParams, FixParams, CustomParams, TransposeParams, SliceParams,
                              ResizeParams>;

enum class OpType {
  kConv2D,
  kDepthwiseConv2D,
  kPool,
  kFullyConnected,
  kBinary,
  kScaleShift,
  kUnary,
  kConcat,
  kPad,
  kMean,
  kReshape,
  kTranspose,
  kSlice,
  kResize,
  kSoftmax,
  kPRelu,  // inputs {x, alpha [C]}: x ≥ 0 ? x : alpha[c] · x over the last axis
  kFix,
  kQuantize,
  kDequantize,
  kCustom,
};
const char* to_string(OpType op);

struct Node {
  std::string name;       // the node's name in the source model
  std::string source_op;  // the op type in the source model, for messages
  OpType op = OpType::kUnary;
  OpParams params;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;

  template <typename P>
  P& p() {
    return std::get<P>(params);
  }
  template <typename P>
  const P& p() const {
    return std::get<P>(params);
  }
};

class Graph {
 public:
  std::string source;  // the file it was loaded from

  std::vector<Value> values;
  std::vector<Node> nodes;  // topologically sorted after finalize()
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;

  ValueId add_value(std::string name, DataType type, Shape shape);
  ValueId add_constant(std::string name, DataType type, Shape shape, std::vector<std::byte> bytes);
  template <typename T>
  ValueId add_constant(std::string name, Shape shape, const std::vector<T>& data) {
    std::vector<std::byte> bytes(data.size() * sizeof(T));
    std::memcpy(bytes.data(), data.data(), bytes.size());
    return add_constant(std::move(name), type_of<T>(), std::move(shape), std::move(bytes));
  }
  NodeId add_node(Node node);

  Value& value(ValueId id) { return values.at(static_cast<std::size_t>(id)); }
  const Value& value(ValueId id) const { return values.at(static_cast<std::size_t>(id)); }

  // Consumers of each value, counting graph outputs as one consumer.
  std::vector<int> use_counts() const;

  // Drops nodes and values not needed for the outputs, sorts nodes topologically and checks
  // that every value is produced once. Throws Error(kInvalidModel) naming the node on a cycle.
  void finalize();

  template <typename T>
  static DataType type_of();
};

template <>
inline DataType Graph::type_of<float>() {
  return DataType::kFloat32;
}
template <>
inline DataType Graph::type_of<std::int8_t>() {
  return DataType::kInt8;
}
template <>
inline DataType Graph::type_of<std::int32_t>() {
  return DataType::kInt32;
}
template <>
inline DataType Graph::type_of<std::int64_t>() {
  return DataType::kInt64;
}

}  // namespace dpurun::graph

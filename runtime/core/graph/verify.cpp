#include "graph/verify.h"

#include <algorithm>
#include <string>
#include <variant>

#include "dpurun/error.h"

namespace dpurun::graph {
namespace {

[[noreturn]] void bad(const Graph& g, const Node& n, const std::string& what) {
  throw Error(ErrorCode::kInvalidModel,
              g.source + ": node '" + n.name + "' (" + to_string(n.op) + "): " + what);
}

const Shape& in_shape(const Graph& g, const Node& n, std::size_t i) {
  if (i >= n.inputs.size()) bad(g, n, "has " + std::to_string(n.inputs.size()) + " inputs, needs more");
  return g.value(n.inputs[i]).shape;
}

// Output size of a window along one axis.
std::int64_t window_out(const Graph& g, const Node& n, std::int64_t in, std::int64_t k, int stride,
                        int dilation, int before, int after) {
  const std::int64_t span = std::int64_t{dilation} * (k - 1) + 1;
  if (stride < 1 || dilation < 1 || k < 1 || before < 0 || after < 0 || in + before + after < span)
    bad(g, n, "its window does not fit its input");
  return (in + before + after - span) / stride + 1;
}

template <typename P>
const P& params(const Graph& g, const Node& n) {
  if (!std::holds_alternative<P>(n.params)) bad(g, n, "has the wrong parameters for its op");
  return std::get<P>(n.params);
}

bool same_dims(const Shape& a, const Shape& b) {  // dimension 0 (the batch) may be open in either
  if (a.size() != b.size()) return false;
  for (std::size_t d = 0; d < a.size(); ++d)
    if (a[d] != b[d] && !(d == 0 && (a[d] < 0 || b[d] < 0))) return false;
  return true;
}

}  // namespace

Shape infer_shape(const Graph& g, const Node& n) {
  const Shape& x = in_shape(g, n, 0);
  switch (n.op) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D: {
      const auto& p = params<ConvParams>(g, n);
      const Shape& w = in_shape(g, n, 1);
      if (x.size() != 4 || w.size() != 4 || w[2] != x[3]) bad(g, n, "weights " + to_string(w) + " do not fit input " + to_string(x));
      const std::size_t expected = 2 + (p.has_bias ? 1 : 0) + (p.has_residual ? 1 : 0);
      if (n.inputs.size() != expected) bad(g, n, "has " + std::to_string(n.inputs.size()) + " inputs, expected " + std::to_string(expected));
      const std::int64_t oc = n.op == OpType::kDepthwiseConv2D ? w[2] * w[3] : w[3];
      if (p.has_bias && element_count(in_shape(g, n, 2)) != oc) bad(g, n, "bias does not have one value per output channel");
      Shape out{x[0], window_out(g, n, x[1], w[0], p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom),
                window_out(g, n, x[2], w[1], p.stride_w, p.dilation_w, p.pad_left, p.pad_right), oc};
      if (p.has_residual && !same_dims(in_shape(g, n, n.inputs.size() - 1), out))
        bad(g, n, "residual " + to_string(in_shape(g, n, n.inputs.size() - 1)) + " does not match output " + to_string(out));
      if (p.has_residual && g.value(n.outputs[0]).type == DataType::kInt8 &&
          (!p.conv_fix || !g.value(n.inputs.back()).fix))
        bad(g, n, "an int8 residual needs the convolution's own fix point and the residual's");
      return out;
    }
    case OpType::kPool: {
      const auto& p = params<PoolParams>(g, n);
      if (x.size() != 4) bad(g, n, "input " + to_string(x) + " is not NHWC");
      return {x[0], window_out(g, n, x[1], p.kernel_h, p.stride_h, 1, p.pad_top, p.pad_bottom),
              window_out(g, n, x[2], p.kernel_w, p.stride_w, 1, p.pad_left, p.pad_right), x[3]};
    }
    case OpType::kFullyConnected: {
      const auto& p = params<FullyConnectedParams>(g, n);
      const Shape& w = in_shape(g, n, 1);
      if (x.size() != 2 || w.size() != 2 || w[0] != x[1]) bad(g, n, "weights " + to_string(w) + " do not fit input " + to_string(x));
      if (n.inputs.size() != (p.has_bias ? 3u : 2u)) bad(g, n, "has the wrong number of inputs");
      if (p.has_bias && element_count(in_shape(g, n, 2)) != w[1]) bad(g, n, "bias does not have one value per output");
      return {x[0], w[1]};
    }
    case OpType::kBinary: {
      params<BinaryParams>(g, n);
      const Shape& y = in_shape(g, n, 1);
      Shape out(std::max(x.size(), y.size()));
      for (std::size_t i = 0; i < out.size(); ++i) {
        const std::size_t da = out.size() - x.size(), db = out.size() - y.size();
        std::int64_t a = i < da ? 1 : x[i - da], b = i < db ? 1 : y[i - db];
        if (a == b || b == 1) out[i] = a;
        else if (a == 1) out[i] = b;
        else if (i == 0 && (a < 0 || b < 0)) out[i] = -1;
        else bad(g, n, "shapes " + to_string(x) + " and " + to_string(y) + " do not broadcast");
      }
      return out;
    }
    case OpType::kScaleShift:
      if (n.inputs.size() != 3 || element_count(in_shape(g, n, 1)) != x.back() ||
          element_count(in_shape(g, n, 2)) != x.back())
        bad(g, n, "scale and shift need one value per channel");
      return x;
    case OpType::kPRelu:
      if (element_count(in_shape(g, n, 1)) != x.back()) bad(g, n, "alpha needs one value per channel");
      return x;
    case OpType::kUnary:
    case OpType::kSoftmax:
    case OpType::kFix:
    case OpType::kQuantize:
    case OpType::kDequantize:
      return x;
    case OpType::kConcat: {
      const auto& p = params<ConcatParams>(g, n);
      if (p.axis <= 0 || p.axis >= static_cast<int>(x.size())) bad(g, n, "concatenates along axis " + std::to_string(p.axis));
      Shape out = x;
      for (std::size_t i = 1; i < n.inputs.size(); ++i) {
        const Shape& s = in_shape(g, n, i);
        bool fits = s.size() == x.size();
        for (std::size_t d = 1; fits && d < s.size(); ++d) fits = static_cast<int>(d) == p.axis || s[d] == x[d];
        if (!fits) bad(g, n, "inputs " + to_string(x) + " and " + to_string(s) + " cannot be concatenated");
        out[static_cast<std::size_t>(p.axis)] += s[static_cast<std::size_t>(p.axis)];
      }
      return out;
    }
    case OpType::kPad: {
      const auto& p = params<PadParams>(g, n);
      if (p.pads.size() != x.size()) bad(g, n, "has pads for " + std::to_string(p.pads.size()) + " dimensions of " + std::to_string(x.size()));
      if (!p.interior.empty() && p.interior.size() != x.size()) bad(g, n, "has interior pads for " + std::to_string(p.interior.size()) + " dimensions of " + std::to_string(x.size()));
      Shape out = x;
      for (std::size_t d = 1; d < x.size(); ++d) {
        if (p.pads[d][0] < 0 || p.pads[d][1] < 0) bad(g, n, "has negative pads");
        const std::int64_t in = p.interior.empty() ? 0 : p.interior[d];
        if (in < 0 || in > 64) bad(g, n, "has an interior pad of " + std::to_string(in));
        if (out[d] > 0) out[d] += (out[d] - 1) * in;
        out[d] += p.pads[d][0] + p.pads[d][1];
      }
      if (!p.interior.empty() && p.interior[0] != 0) bad(g, n, "pads inside the batch");
      return out;
    }
    case OpType::kMean: {
      const auto& p = params<MeanParams>(g, n);
      Shape out;
      for (std::size_t d = 0; d < x.size(); ++d) {
        const bool reduced = std::find(p.axes.begin(), p.axes.end(), static_cast<int>(d)) != p.axes.end();
        if (reduced && d == 0) bad(g, n, "averages over the batch");
        if (!reduced) out.push_back(x[d]);
        else if (p.keep_dims) out.push_back(1);
      }
      return out;
    }
    case OpType::kResize: {
      const Shape& out = g.value(n.outputs.at(0)).shape;
      if (x.size() != 4 || out.size() != 4 || out[3] != x[3] || out[1] < 1 || out[2] < 1)
        bad(g, n, "resizes " + to_string(x) + " to " + to_string(out) + " (NHWC, H and W only)");
      return Shape{x[0], out[1], out[2], out[3]};
    }
    case OpType::kTranspose: {
      const auto& perm = params<TransposeParams>(g, n).perm;
      std::vector<int> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      bool permutation = sorted.size() == x.size();
      for (std::size_t d = 0; permutation && d < sorted.size(); ++d) permutation = sorted[d] == static_cast<int>(d);
      if (!permutation || perm.empty() || perm[0] != 0)
        bad(g, n, "order is not a permutation of " + std::to_string(x.size()) + " dimensions that keeps the batch first");
      Shape out;
      for (int d : perm) out.push_back(x[static_cast<std::size_t>(d)]);
      return out;
    }
    case OpType::kSlice: {
      const auto& p = params<SliceParams>(g, n);
      const Shape& out = g.value(n.outputs.at(0)).shape;
      if (p.begin.size() != x.size() || p.step.size() != x.size() || out.size() != x.size() || p.begin[0] != 0 || p.step[0] != 1)
        bad(g, n, "slices " + to_string(x) + " with begin/strides of another rank, or across the batch");
      for (std::size_t d = 1; d < x.size(); ++d)
        if (p.begin[d] < 0 || p.step[d] < 1 || out[d] < 1 || p.begin[d] + (out[d] - 1) * p.step[d] >= x[d])
          bad(g, n, "slice " + to_string(out) + " (begin " + std::to_string(p.begin[d]) + ", step " + std::to_string(p.step[d]) +
                        " in dimension " + std::to_string(d) + ") does not fit its input " + to_string(x));
      Shape s = out;
      s[0] = x[0];
      return s;
    }
    case OpType::kReshape: {
      const Shape& out = g.value(n.outputs.at(0)).shape;
      if (out.empty() || element_count(Shape(out.begin() + 1, out.end())) != element_count(Shape(x.begin() + 1, x.end())))
        bad(g, n, "reshapes " + to_string(x) + " to " + to_string(out));
      Shape r = out;
      r[0] = x[0];
      return r;
    }
    case OpType::kCustom:
      return g.value(n.outputs.at(0)).shape;
  }
  bad(g, n, "has an unknown op");
}

void verify(const Graph& g) {
  std::vector<bool> ready(g.values.size(), false);
  for (std::size_t v = 0; v < g.values.size(); ++v) ready[v] = g.values[v].is_constant();
  for (auto v : g.inputs) ready.at(static_cast<std::size_t>(v)) = true;
  for (const Node& n : g.nodes) {
    if (n.outputs.size() != 1) bad(g, n, "writes " + std::to_string(n.outputs.size()) + " values; every op writes one");
    if (n.inputs.empty()) bad(g, n, "reads nothing");
    for (auto v : n.inputs) {
      if (v < 0 || static_cast<std::size_t>(v) >= g.values.size()) bad(g, n, "reads a value that does not exist");
      if (!ready[static_cast<std::size_t>(v)]) bad(g, n, "reads '" + g.value(v).name + "' before it is computed");
    }
    const Value& out = g.value(n.outputs[0]);
    if (out.type == DataType::kInt8 && !out.fix) bad(g, n, "writes an int8 value without a fix point");
    const Shape want = infer_shape(g, n);
    if (!same_dims(out.shape, want))
      bad(g, n, "declares output " + to_string(out.shape) + " where its inputs give " + to_string(want));
    ready[static_cast<std::size_t>(n.outputs[0])] = true;
  }
  for (auto v : g.outputs)
    if (v < 0 || static_cast<std::size_t>(v) >= g.values.size() || !ready[static_cast<std::size_t>(v)])
      throw Error(ErrorCode::kInvalidModel, g.source + ": an output of the graph is never computed");
}

}  // namespace dpurun::graph

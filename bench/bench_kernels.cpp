// Each CPU executor's kernels on layers of the shapes CIFAR-10 ResNets have, float and int8 (the
// DPU emulation), the plain reference kernels beside the fast ones (oneDNN, optimized), in one run:
//   build/release/bench/bench_kernels [--benchmark_out=k.json --benchmark_out_format=json]
// items_per_second is images/s at batch 32; the whole plan runs (an int8 layer includes its
// Quantize and Dequantize, as the executor does at a model's edges).
#include <benchmark/benchmark.h>

#include <cstring>
#include <utility>
#include <functional>
#include <random>

#include "cpu/plan.h"
#include "graph/graph.h"

namespace {

using namespace dpurun;
using namespace dpurun::graph;

constexpr int kBatch = 32;

std::vector<std::byte> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> b(n);
  for (auto& x : b) x = static_cast<std::byte>(rng() % 61);  // small values: no saturation storms
  return b;
}

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// A one-layer graph: x [-1, h, w, c] → (Quantize) → layer → (Dequantize) → y.
struct Layer {
  Graph g;
  ValueId x, in;  // the graph input, and the layer's input (x, or its int8)
  bool int8;
  Layer(Shape shape, bool int8_) : int8(int8_) {
    x = in = g.add_value("x", DataType::kFloat32, shape);
    g.inputs = {x};
    if (!int8) return;
    in = g.add_value("x_int", DataType::kInt8, shape);
    g.value(in).fix = FixInfo{5};
    Node q;
    q.name = "quantize";
    q.op = OpType::kQuantize;
    q.inputs = {x};
    q.outputs = {in};
    g.add_node(q);
  }
  ValueId weights(const std::string& name, Shape s, unsigned seed) {
    auto n = static_cast<std::size_t>(element_count(s));
    if (!int8) return g.add_constant(name, s, random_floats(n, seed));
    ValueId v = g.add_constant(name, DataType::kInt8, s, random_bytes(n, seed));
    g.value(v).fix = FixInfo{7};
    return v;
  }
  void finish(Node op, Shape out_shape) {
    ValueId y = g.add_value("y", int8 ? DataType::kInt8 : DataType::kFloat32, out_shape);
    if (int8) g.value(y).fix = FixInfo{4};
    op.outputs = {y};
    g.add_node(op);
    if (int8) {
      ValueId f = g.add_value("y_float", DataType::kFloat32, out_shape);
      Node d;
      d.name = "dequantize";
      d.op = OpType::kDequantize;
      d.inputs = {y};
      d.outputs = {f};
      g.add_node(d);
      y = f;
    }
    g.outputs = {y};
    g.finalize();
  }
};

Layer conv(int hw, int c, int oc, int k, bool depthwise, bool int8) {
  Layer l({-1, hw, hw, c}, int8);
  Node n;
  n.name = "conv";
  n.op = depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D;
  ConvParams p;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = k / 2;
  p.act.kind = Activation::kRelu;
  p.has_bias = true;
  n.params = p;
  const int out_c = depthwise ? c : oc;
  n.inputs = {l.in, l.weights("w", depthwise ? Shape{k, k, c, 1} : Shape{k, k, c, oc}, 1), l.weights("b", {out_c}, 2)};
  l.finish(n, {-1, hw, hw, out_c});
  return l;
}

Layer add(int hw, int c, bool int8) {
  Layer l({-1, hw, hw, c}, int8);
  Node n;
  n.name = "add";
  n.op = OpType::kBinary;
  BinaryParams p;
  p.act.kind = Activation::kRelu;
  n.params = p;
  n.inputs = {l.in, l.in};
  l.finish(n, {-1, hw, hw, c});
  return l;
}

// XIR's transposed convolution as dpurun runs it: the input dilated by the stride (a Pad with
// interior zeros), then the ordinary 3×3 convolution; 2× upsampling.
Layer transposed_conv(int hw, int c, bool int8) {
  Layer l({-1, hw, hw, c}, int8);
  Node pad;
  pad.name = "dilate";
  pad.op = OpType::kPad;
  PadParams pp;
  pp.pads = {{0, 0}, {1, 2}, {1, 2}, {0, 0}};
  pp.interior = {0, 1, 1, 0};
  pad.params = pp;
  pad.inputs = {l.in};
  const std::int64_t dilated = 2 * hw - 1 + 3;
  ValueId d = l.g.add_value("dilated", int8 ? DataType::kInt8 : DataType::kFloat32, {-1, dilated, dilated, c});
  if (int8) l.g.value(d).fix = FixInfo{5};
  pad.outputs = {d};
  l.g.add_node(pad);
  Node n;
  n.name = "conv";
  n.op = OpType::kConv2D;
  ConvParams p;
  p.has_bias = true;
  n.params = p;
  n.inputs = {d, l.weights("w", Shape{3, 3, c, c}, 1), l.weights("b", {c}, 2)};
  l.finish(n, {-1, 2 * hw, 2 * hw, c});
  return l;
}

// One node of `op` over x [-1, hw, hw, c] with `params`, output `out`.
Layer simple(OpType op, OpParams params, int hw, int c, Shape out, bool int8) {
  Layer l({-1, hw, hw, c}, int8);
  Node n;
  n.name = "op";
  n.op = op;
  n.params = std::move(params);
  n.inputs = {l.in};
  l.finish(n, std::move(out));
  return l;
}

Layer pool(int hw, int c, PoolKind kind, bool int8) {
  PoolParams p;
  p.kind = kind;
  p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 2;
  return simple(OpType::kPool, p, hw, c, {-1, hw / 2, hw / 2, c}, int8);
}

Layer activation(Activation a, bool int8) {
  UnaryParams p;
  p.act.kind = a;
  return simple(OpType::kUnary, p, 32, 16, {-1, 32, 32, 16}, int8);
}

void run(benchmark::State& state, const std::function<Layer(bool)>& make, bool int8, KernelChoice k) {
  Layer l = make(int8);
  cpu::Plan plan(l.g, kBatch, k);
  const Value& xv = l.g.value(l.x);
  const Value& yv = l.g.value(l.g.outputs[0]);
  auto x = random_floats(static_cast<std::size_t>(element_count(xv.shape, kBatch)), 3);
  std::vector<float> y(static_cast<std::size_t>(element_count(yv.shape, kBatch)));
  for (auto _ : state) {
    plan.run(x.data(), y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
}

void register_layer(const std::string& name, std::function<Layer(bool)> make, bool has_int8 = true) {
  for (bool int8 : {false, true}) {
    if (int8 && !has_int8) continue;
    for (auto [kname, k] : {std::pair{"reference", KernelChoice::kReference}, std::pair{"fast", KernelChoice::kFast}})
      benchmark::RegisterBenchmark((name + (int8 ? "/int8/" : "/float/") + kname).c_str(),
                                   [make, int8, k = k](benchmark::State& s) { run(s, make, int8, k); })
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_layer("Conv3x3_32x32x16", [](bool q) { return conv(32, 16, 16, 3, false, q); });
  register_layer("Conv3x3_8x8x64", [](bool q) { return conv(8, 64, 64, 3, false, q); });
  register_layer("Depthwise3x3_16x16x32", [](bool q) { return conv(16, 32, 32, 3, true, q); });
  register_layer("MaxPool2x2_32x32x16", [](bool q) { return pool(32, 16, PoolKind::kMax, q); });
  register_layer("AvgPool2x2_32x32x16", [](bool q) { return pool(32, 16, PoolKind::kAverage, q); });
  register_layer("AddRelu_32x32x16", [](bool q) { return add(32, 16, q); });
  // The ops of XIR's quantized PyTorch models (issue 16).
  register_layer("TransposedConv3x3s2_16x16x16", [](bool q) { return transposed_conv(16, 16, q); });
  register_layer("HardSigmoid_32x32x16", [](bool q) { return activation(Activation::kHardSigmoid, q); });
  register_layer("HardSwish_32x32x16", [](bool q) { return activation(Activation::kHardSwish, q); });
  register_layer("GlobalMean_8x8x64", [](bool q) {
    MeanParams p;
    p.axes = {1, 2};
    p.keep_dims = true;
    return simple(OpType::kMean, p, 8, 64, {-1, 1, 1, 64}, q);
  });
  register_layer("TransposeToNCHW_32x32x16", [](bool q) {
    return simple(OpType::kTranspose, TransposeParams{{0, 3, 1, 2}}, 32, 16, {-1, 16, 32, 32}, q);
  });
  register_layer("StridedSlice2_32x32x16", [](bool q) {
    return simple(OpType::kSlice, SliceParams{{0, 0, 0, 0}, {1, 2, 2, 1}}, 32, 16, {-1, 16, 16, 16}, q);
  });
  register_layer(  // float only: the quantizer simulates resize in float between its fix ops
      "ResizeBilinear2x_16x16x16",
      [](bool q) { return simple(OpType::kResize, ResizeParams{true, false, true}, 16, 16, {-1, 32, 32, 16}, q); },
      false);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

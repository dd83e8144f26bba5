#include "support/xir_seed_models.h"

#include "support/xir_graph_builder.h"

namespace dpurun::test {
namespace {


using Dims = std::vector<std::int64_t>;

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(int(i % 7) - 3) / 8.f;
  return v;
}

// data → fix, then `body` adds ops reading "x_fix".
XirGraphBuilder start(const Dims& dims) {
  XirGraphBuilder b;
  auto& d = b.op("x", "data", dims);
  XirGraphBuilder::set_string(d, "data_type", "FLOAT32");
  b.fix("x_fix", "x", dims, 4);
  return b;
}

void weights(XirGraphBuilder& b, const std::string& name, const Dims& dims) {
  std::size_t n = 1;
  for (auto d : dims) n *= static_cast<std::size_t>(d);
  b.constant(name, dims, ramp(n));
  b.fix(name + "_fix", name, dims, 6);
}

void window(dpurun::loaders::xir::OPNode& n, std::vector<std::int32_t> k, std::vector<std::int32_t> s,
            std::vector<std::int32_t> pad) {
  XirGraphBuilder::set_ints(n, "kernel", std::move(k));
  XirGraphBuilder::set_ints(n, "stride", std::move(s));
  XirGraphBuilder::set_ints(n, "pad", std::move(pad));
  XirGraphBuilder::set_string(n, "pad_mode", "FLOOR");
}

XirGraphBuilder convolutions() {
  auto b = start({1, 6, 6, 2});
  weights(b, "w", {3, 3, 3, 2});
  weights(b, "bias", {3});
  auto& c = b.op("conv", "conv2d", {1, 3, 3, 3}, {{"input", {"x_fix"}}, {"weights", {"w_fix"}}, {"bias", {"bias_fix"}}});
  window(c, {3, 3}, {2, 2}, {1, 0, 1, 0});
  XirGraphBuilder::set_ints(c, "dilation", {1, 1});
  b.fix("conv_fix", "conv", {1, 3, 3, 3}, 3);
  weights(b, "dw", {1, 3, 3, 3});
  auto& d = b.op("dw_conv", "depthwise-conv2d", {1, 3, 3, 3}, {{"input", {"conv_fix"}}, {"weights", {"dw_fix"}}});
  window(d, {3, 3}, {1, 1}, {1, 1, 1, 1});
  b.fix("dw_fix_out", "dw_conv", {1, 3, 3, 3}, 3);
  weights(b, "tw", {2, 2, 2, 3});
  auto& t = b.op("up", "transposed-conv2d", {1, 6, 6, 2}, {{"input", {"dw_fix_out"}}, {"weights", {"tw_fix"}}});
  window(t, {2, 2}, {2, 2}, {0, 0, 0, 0});
  b.fix("up_fix", "up", {1, 6, 6, 2}, 3);
  weights(b, "tdw", {1, 3, 3, 2});
  auto& td = b.op("up2", "transposed-depthwise-conv2d", {1, 11, 11, 2}, {{"input", {"up_fix"}}, {"weights", {"tdw_fix"}}});
  window(td, {3, 3}, {2, 2}, {1, 1, 1, 1});
  b.fix("y", "up2", {1, 11, 11, 2}, 3);
  return b;
}

XirGraphBuilder one_dimensional() {
  auto b = start({1, 8, 2});
  weights(b, "w", {3, 3, 2});
  auto& c = b.op("conv", "conv1d", {1, 8, 3}, {{"input", {"x_fix"}}, {"weights", {"w_fix"}}});
  XirGraphBuilder::set_ints(c, "kernel", {3});
  XirGraphBuilder::set_ints(c, "stride", {1});
  XirGraphBuilder::set_ints(c, "pad", {1, 1});
  b.fix("conv_fix", "conv", {1, 8, 3}, 3);
  weights(b, "dw", {1, 3, 3});
  auto& d = b.op("dw", "depthwise-conv1d", {1, 6, 3}, {{"input", {"conv_fix"}}, {"weights", {"dw_fix"}}});
  XirGraphBuilder::set_ints(d, "kernel", {3});
  b.fix("dw_out", "dw", {1, 6, 3}, 3);
  auto& mp = b.op("mp", "maxpool1d", {1, 3, 3}, {{"input", {"dw_out"}}});
  XirGraphBuilder::set_ints(mp, "kernel", {2});
  XirGraphBuilder::set_ints(mp, "stride", {2});
  b.fix("mp_fix", "mp", {1, 3, 3}, 3);
  auto& ap = b.op("ap", "avgpool1d", {1, 1, 3}, {{"input", {"mp_fix"}}});
  XirGraphBuilder::set_ints(ap, "kernel", {3});
  XirGraphBuilder::set_ints(ap, "stride", {1});
  b.fix("y", "ap", {1, 1, 3}, 3);
  return b;
}

XirGraphBuilder pools_and_activations() {
  auto b = start({1, 6, 6, 2});
  auto& mp = b.op("mp", "maxpool2d", {1, 3, 3, 2}, {{"input", {"x_fix"}}});
  window(mp, {2, 2}, {2, 2}, {0, 0, 0, 0});
  b.fix("mp_fix", "mp", {1, 3, 3, 2}, 4);
  auto& ap = b.op("ap", "avgpool2d", {1, 1, 1, 2}, {{"input", {"mp_fix"}}});
  window(ap, {3, 3}, {1, 1}, {0, 0, 0, 0});
  b.constant("k", {}, {9.f * 7.f / 64.f});
  b.op("apm", "mul", {1, 1, 1, 2}, {{"input", {"ap", "k"}}});
  b.fix("ap_fix", "apm", {1, 1, 1, 2}, 4);
  std::string last = "ap_fix";
  for (const char* act : {"relu", "relu6", "leaky-relu", "sigmoid", "tanh", "hard-sigmoid", "hard-swish", "hard-tanh", "clamp"}) {
    auto& a = b.op(std::string(act) + "_op", act, {1, 1, 1, 2}, {{"input", {last}}});
    if (std::string(act) == "leaky-relu") (*a.mutable_op_attr())["alpha"].set_float_value(0.1015625f);
    if (std::string(act) == "clamp") {
      (*a.mutable_op_attr())["min"].set_float_value(-1.f);
      (*a.mutable_op_attr())["max"].set_float_value(2.f);
    }
    last = std::string(act) + "_fix";
    b.fix(last, std::string(act) + "_op", {1, 1, 1, 2}, 4);
  }
  b.constant("slope", {2}, {0.25f, 0.5f});
  b.op("prelu", "prelu", {1, 1, 1, 2}, {{"input", {last}}, {"alpha", {"slope"}}});
  b.fix("y", "prelu", {1, 1, 1, 2}, 4);
  return b;
}

XirGraphBuilder tensor_ops() {
  auto b = start({1, 4, 4, 4});
  auto& t = b.op("t", "transpose", {1, 4, 4, 4}, {{"input", {"x_fix"}}});
  XirGraphBuilder::set_ints(t, "order", {0, 2, 1, 3});
  auto& s = b.op("s", "strided_slice", {1, 2, 4, 4}, {{"input", {"t"}}});
  XirGraphBuilder::set_ints(s, "begin", {0, 0, 0, 0});
  XirGraphBuilder::set_ints(s, "end", {1, 4, 4, 4});
  XirGraphBuilder::set_ints(s, "strides", {1, 2, 1, 1});
  auto& ps = b.op("ps", "pixel-shuffle", {1, 4, 8, 1}, {{"input", {"s"}}});
  XirGraphBuilder::set_int(ps, "scale", 2);
  XirGraphBuilder::set_bool(ps, "upscale", true);
  auto& p = b.op("p", "pad", {1, 6, 8, 1}, {{"input", {"ps"}}});
  XirGraphBuilder::set_ints(p, "paddings", {0, 0, 1, 1, 0, 0, 0, 0});
  XirGraphBuilder::set_string(p, "mode", "CONSTANT");
  auto& r = b.op("r", "resize", {1, 12, 16, 1}, {{"input", {"p"}}});
  XirGraphBuilder::set_string(r, "mode", "BILINEAR");
  XirGraphBuilder::set_bool(r, "align_corners", false);
  XirGraphBuilder::set_bool(r, "half_pixel_centers", true);
  b.fix("r_fix", "r", {1, 12, 16, 1}, 4);
  auto& st = b.op("st", "stack", {1, 12, 2, 16, 1}, {{"input", {"r_fix", "r_fix"}}});
  XirGraphBuilder::set_int(st, "axis", 2);
  b.op("flat", "reshape", {1, 384}, {{"input", {"st"}}});
  b.op("id", "identity", {1, 384}, {{"input", {"flat"}}});
  auto& sm = b.op("sm", "softmax", {1, 384}, {{"input", {"id"}}});
  XirGraphBuilder::set_int(sm, "axis", -1);
  b.fix("y", "sm", {1, 384}, 7);
  return b;
}

XirGraphBuilder products_and_reductions() {
  auto b = start({1, 3, 3, 4});
  b.op("sq", "mul", {1, 3, 3, 4}, {{"input", {"x_fix", "x_fix"}}});
  b.fix("sq_fix", "sq", {1, 3, 3, 4}, 3);
  b.op("sum", "add", {1, 3, 3, 4}, {{"input", {"sq_fix", "x_fix"}}});
  b.fix("sum_fix", "sum", {1, 3, 3, 4}, 3);
  b.op("diff", "sub", {1, 3, 3, 4}, {{"input", {"sum_fix", "x_fix"}}});
  b.fix("diff_fix", "diff", {1, 3, 3, 4}, 3);
  weights(b, "scale_w", {4});
  weights(b, "scale_b", {4});
  b.op("sc", "scale", {1, 3, 3, 4}, {{"input", {"diff_fix"}}, {"scale", {"scale_w_fix"}}, {"bias", {"scale_b_fix"}}});
  b.fix("sc_fix", "sc", {1, 3, 3, 4}, 3);
  std::string last = "sc_fix";
  for (const char* r : {"reduction_max", "reduction_sum", "reduction_mean"}) {
    auto& n = b.op(std::string(r) + "_op", r, {1, 1, 3, 4}, {{"input", {last}}});
    XirGraphBuilder::set_ints(n, "axis", {1});
    XirGraphBuilder::set_bool(n, "keep_dims", true);
    b.fix(std::string(r) + "_fix", std::string(r) + "_op", {1, 1, 3, 4}, 3);
    last = std::string(r) + "_fix";
  }
  b.op("m", "aten::mean", {1, 1, 1, 4}, {{"input", {last}}});
  b.fix("m_fix", "m", {1, 1, 1, 4}, 3);
  b.op("flat", "flatten", {1, 4}, {{"input", {"m_fix"}}});
  weights(b, "ip_w", {5, 4});
  auto& ip = b.op("ip", "inner-product", {1, 5}, {{"input", {"flat"}}, {"weights", {"ip_w_fix"}}});
  XirGraphBuilder::set_int(ip, "axis", 1);
  b.fix("ip_fix", "ip", {1, 5}, 3);
  weights(b, "mm_w", {5, 3});
  auto& mm = b.op("mm", "matmul", {1, 3}, {{"input", {"ip_fix", "mm_w_fix"}}});
  XirGraphBuilder::set_bool(mm, "transpose_a", false);
  XirGraphBuilder::set_bool(mm, "transpose_b", false);
  b.fix("y", "mm", {1, 3}, 3);
  return b;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> xir_seed_models() {
  return {{"convolutions", convolutions().bytes()},
          {"one_dimensional", one_dimensional().bytes()},
          {"pools_and_activations", pools_and_activations().bytes()},
          {"tensor_ops", tensor_ops().bytes()},
          {"products_and_reductions", products_and_reductions().bytes()}};
}

}  // namespace dpurun::test

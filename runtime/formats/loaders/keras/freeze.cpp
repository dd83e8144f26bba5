#include "loaders/keras/freeze.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

#include "dpurun/error.h"
#include "dpurun/freeze.h"

namespace dpurun::loaders::keras {
namespace {

using nlohmann::json;

// Bounds on what a config may declare, so that no shape arithmetic overflows: a window up to 2^16,
// a count (filters, units, a multiplier) up to 2^24, and every layer's output under 2^31 elements
// per image (the runtime's own limit is 2 GiB per image).
constexpr std::int64_t kMaxCount = std::int64_t{1} << 24;
constexpr std::int64_t kMaxWindow = std::int64_t{1} << 16;  // kernel, stride, dilation, padding
constexpr std::int64_t kMaxImageElements = std::int64_t{1} << 31;

struct Out {
  std::string node;
  Shape shape;
};

class Freezer {
 public:
  explicit Freezer(const Model& m) : m_(m) {}

  FrozenGraph run() {
    FrozenGraph f;
    for (const auto& l : m_.layers) {
      layer_ = &l;
      Out out;
      try {
        out = l.class_name == "Vitis>QuantizeWrapper" ? quantize_wrapper(l)
              : l.class_name == "Vitis>VitisQuantize" ? vitis_quantize()
                                                      : lower(l);
      } catch (const json::exception& e) {  // a value of the wrong type the checks missed
        fail(std::string("its config is malformed (") + e.what() + ")");
      }
      std::int64_t n = 1;
      for (std::size_t i = 1; i < out.shape.size(); ++i)
        if (out.shape[i] < 1 || __builtin_mul_overflow(n, out.shape[i], &n) ||
            n > kMaxImageElements)
          unsupported("its output " + to_string(out.shape) +
                      " is too large; dpurun runs models whose tensors stay under 2^31 elements "
                      "per image");
      outs_[l.name] = std::move(out);
    }
    for (const auto& n : m_.inputs) f.inputs.push_back({outs_.at(n).node, outs_.at(n).shape});
    for (const auto& n : m_.outputs) f.outputs.push_back({outs_.at(n).node, outs_.at(n).shape});
    f.graph = std::move(g_);
    f.graph.mutable_versions()->set_producer(27);  // TensorFlow 1.15's GraphDef version
    return f;
  }

 private:
  const Model& m_;
  const Layer* layer_ = nullptr;
  tf::GraphDef g_;
  std::map<std::string, Out> outs_;
  // Inside a vai_q_tensorflow2 QuantizeWrapper: the fix point of each quantized weight.
  std::map<std::string, int> weight_pos_;

  // ---- vai_q_tensorflow2 (a Keras model saved by VitisQuantizer.quantize_model) ----
  // Its layers are wrapped: Vitis>VitisQuantize quantizes an input, Vitis>QuantizeWrapper holds a
  // Keras layer, its quantizers' settings and, among its weights, their positions (<name>_pos).
  // They become what vai_q_tensorflow writes: FixNeuron nodes at those positions, on weights
  // (rounded to their grid as the quantizer rounds them) and on activations.
  int position(const Layer& l, const std::string& name) const {
    auto it = l.weights.find(name);
    if (it == l.weights.end() || it->second.data.size() != 1 || !std::isfinite(it->second.data[0]) ||
        std::fabs(it->second.data[0]) > 32 || it->second.data[0] != std::floor(it->second.data[0]))
      fail("has no quantize position '" + name + "' (one integer); was it saved by VitisQuantizer.quantize_model?");
    return static_cast<int>(it->second.data[0]);
  }
  // A quantizer's integer setting (its params sit under quantizer_params in a wrapper's
  // quantize_config, under config in VitisQuantize's); `dflt` where it is absent.
  static int quantizer_setting(const json& quantizer, const char* key, int dflt) {
    const json& p = quantizer.contains("quantizer_params") ? quantizer["quantizer_params"]
                    : quantizer.contains("config")         ? quantizer["config"]
                                                           : quantizer;
    return p.contains(key) && p[key].is_number_integer() ? p[key].get<int>() : dflt;
  }
  // vai_q_tensorflow2's round_mode: 0 half to even, 1 half up (the DPU's), 2 half away from zero.
  static int round_mode(const json& quantizer) { return quantizer_setting(quantizer, "round_mode", 1); }
  static int bit_width(const json& quantizer) { return quantizer_setting(quantizer, "bit_width", 8); }
  Out fix_neuron(const std::string& name, const Out& x, int pos) {
    tf::NodeDef* n = node(name, "FixNeuron", {x.node});
    (*n->mutable_attr())["quantize_pos"].set_i(pos);
    (*n->mutable_attr())["bit_width"].set_i(8);
    return {name, x.shape};
  }
  Out vitis_quantize() {
    const json& q = cfg().contains("quantizer") ? cfg()["quantizer"] : json::object();
    if (bit_width(q) != 8 || round_mode(q) != 1)
      unsupported("an input quantizer of " + std::to_string(bit_width(q)) + " bits, round_mode " +
                  std::to_string(round_mode(q)) + " (the DPU takes 8 bits rounded half up)");
    std::string pos_name;
    for (const auto& [k, w] : layer_->weights)
      if (k.size() > 4 && k.compare(k.size() - 4, 4, "_pos") == 0) pos_name = k;
    return fix_neuron(layer_->name + "/aquant", only_input(), position(*layer_, pos_name));
  }
  Out quantize_wrapper(const Layer& wrapper) {
    const json& c = wrapper.config;
    if (!c.contains("layer") || !c["layer"].is_object() || !c["layer"].contains("class_name") ||
        !c["layer"].contains("config") || !c["layer"]["config"].is_object())
      fail("has no wrapped layer");
    const json qc = c.contains("quantize_config") && c["quantize_config"].contains("config")
                        ? c["quantize_config"]["config"]
                        : json::object();
    Layer inner = wrapper;
    inner.class_name = c["layer"]["class_name"].get<std::string>();
    inner.config = c["layer"]["config"];
    inner.name = inner.config.value("name", wrapper.name);
    // The wrapped layer's activation, as Keras names it: QuantizeAwareActivation holds the real one.
    std::string act = "linear";
    if (inner.config.contains("activation")) {
      const json& a = inner.config["activation"];
      if (a.is_string()) act = a.get<std::string>();
      else if (a.is_object() && a.value("class_name", "") == "Vitis>QuantizeAwareActivation") {
        const json& in = a.contains("config") && a["config"].contains("activation") ? a["config"]["activation"] : json();
        act = in.is_string() ? in.get<std::string>() : "linear";  // NoQuantizeActivation: none
      } else {
        fail("activation " + a.dump() + " is not one dpurun knows");
      }
      inner.config["activation"] = act;
    }
    // Weights and biases: each rounded onto its grid here, as the quantizer did.
    weight_pos_.clear();
    auto quantizers = [&](const char* names, const char* settings) {
      std::vector<std::pair<std::string, json>> out;
      if (!qc.contains(names) || !qc[names].is_array()) return out;
      for (std::size_t i = 0; i < qc[names].size(); ++i)
        out.emplace_back(qc[names][i].get<std::string>(),
                         qc.contains(settings) && qc[settings].size() > i ? qc[settings][i] : json::object());
      return out;
    };
    for (const auto& [names, settings] : {std::pair{"quantizable_weights", "weight_quantizers"},
                                          std::pair{"quantizable_biases", "bias_quantizers"}})
      for (const auto& [w, q] : quantizers(names, settings)) {
        if (bit_width(q) != 8) unsupported("weights of " + std::to_string(bit_width(q)) + " bits (the DPU's are 8)");
        auto it = inner.weights.find(w);
        if (it == inner.weights.end()) fail("has no weight '" + w + "' to quantize");
        const int pos = position(wrapper, w + "_pos");
        const int mode = round_mode(q);
        for (float& v : it->second.data) {
          double x = std::ldexp(double(v), pos), r;
          if (mode == 0) r = std::nearbyint(x);  // half to even (the default rounding mode)
          else if (mode == 2) r = std::round(x);
          else r = std::floor(x + 0.5);
          v = static_cast<float>(std::ldexp(std::clamp(r, -128.0, 127.0), -pos));
        }
        weight_pos_[w] = pos;
      }
    // The activation quantizer: after the activation (post_activation_pos, e.g. ReLU), or before
    // it (pre_activation_pos: softmax and sigmoid, which the DPU does not compute); outputs.
    auto acts = quantizers("quantizable_activations", "activation_quantizers");
    auto outs = quantizers("quantizable_outputs", "output_quantizers");
    for (const auto& [n, q] : acts)
      if (bit_width(q) != 8 || round_mode(q) != 1) unsupported("an activation quantizer other than 8 bits rounded half up");
    const bool pre = !acts.empty() && inner.weights.count("pre_activation_pos");
    const Layer* outer = layer_;
    layer_ = &inner;
    Out out;
    if (pre) {  // the activation on the quantized pre-activation
      if (inner.class_name != "Activation") unsupported("a pre-activation quantizer on a " + inner.class_name);
      Out x = fix_neuron(inner.name + "/pre_aquant", only_input(), position(wrapper, "pre_activation_pos"));
      out = act == "linear" ? x : activation(act, x);
    } else {
      out = lower(inner);
      // (A NoQuantizeActivation, e.g. a Dense's linear one, has a quantizer listed but no position.)
      if (!acts.empty() && inner.weights.count("post_activation_pos"))
        out = fix_neuron(inner.name + "/aquant", out, position(wrapper, "post_activation_pos"));
    }
    for (std::size_t i = 0; i < outs.size(); ++i)
      out = fix_neuron(inner.name + "/oquant_" + std::to_string(i), out, position(wrapper, "output_" + std::to_string(i) + "_pos"));
    layer_ = outer;
    weight_pos_.clear();
    return out;
  }

  // ---- errors ----
  [[noreturn]] void fail(const std::string& what, ErrorCode code = ErrorCode::kInvalidModel) const {
    throw Error(code,
                m_.source + ": layer '" + layer_->name + "' (" + layer_->class_name + "): " + what);
  }
  [[noreturn]] void unsupported(const std::string& what) const {
    fail(what, ErrorCode::kUnsupported);
  }

  // ---- config ----
  const json& cfg() const { return layer_->config; }
  bool has(const char* key) const { return cfg().contains(key) && !cfg()[key].is_null(); }
  std::string str(const char* key, const std::string& def) const {
    if (!has(key)) return def;
    if (!cfg()[key].is_string()) fail(std::string("\"") + key + "\" must be a string");
    return cfg()[key].get<std::string>();
  }
  // A real parameter (alpha, epsilon …): a number a float holds.
  double num(const char* key, double def) const {
    if (!has(key)) return def;
    if (!cfg()[key].is_number()) fail(std::string("\"") + key + "\" must be a number");
    double v = cfg()[key].get<double>();
    if (!(std::fabs(v) <= 3.4e38)) fail(std::string("\"") + key + "\" is out of range");
    return v;
  }
  // A count or an axis (filters, units, axis …): an integer in [lo, hi], checked before any cast.
  std::int64_t integer(const char* key, std::int64_t def, std::int64_t lo, std::int64_t hi) const {
    return has(key) ? integer(cfg()[key], key, lo, hi) : def;
  }
  std::int64_t integer(const json& v, const char* key, std::int64_t lo, std::int64_t hi) const {
    // Keras writes integers; a float with an integral value (2.0) is taken too.
    double d = v.is_number() ? v.get<double>() : NAN;
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d))
      fail(std::string("\"") + key + "\" must be an integer from " + std::to_string(lo) + " to " +
           std::to_string(hi) + ", is " + v.dump());
    return static_cast<std::int64_t>(d);
  }
  bool flag(const char* key, bool def) const {
    if (!has(key)) return def;
    if (!cfg()[key].is_boolean()) fail(std::string("\"") + key + "\" must be true or false");
    return cfg()[key].get<bool>();
  }
  // An int or a list of `n` ints (kernel_size: 3 or [3, 3]).
  std::vector<std::int64_t> ints(const char* key, std::size_t n,
                                 std::vector<std::int64_t> def) const {
    if (!has(key)) return def;
    const json& v = cfg()[key];
    if (v.is_number()) return std::vector<std::int64_t>(n, integer(v, key, 0, kMaxWindow));
    if (!v.is_array() || v.size() != n)
      fail(std::string("\"") + key + "\" must be an integer or " + std::to_string(n) + " of them");
    std::vector<std::int64_t> out;
    for (const auto& e : v) out.push_back(integer(e, key, 0, kMaxWindow));
    return out;
  }
  void channels_last() const {
    if (str("data_format", "channels_last") != "channels_last")
      unsupported("data_format " + str("data_format", "") +
                  "; dpurun runs channels_last (NHWC) models, as the DPU does");
  }

  // ---- inputs and weights ----
  const Out& input(std::size_t i = 0) const {
    if (i >= layer_->inbound.size()) fail("has no input " + std::to_string(i));
    return outs_.at(layer_->inbound[i]);
  }
  const Out& only_input() const {
    if (layer_->inbound.size() != 1)
      fail("takes " + std::to_string(layer_->inbound.size()) + " inputs, expected one");
    return input(0);
  }
  const Out& input4d() const {
    const Out& x = only_input();
    if (x.shape.size() != 4)
      fail("expects an image tensor (N, H, W, C), gets " + to_string(x.shape));
    return x;
  }
  const Weight& weight(const std::string& name, const Shape& want) const {
    auto it = layer_->weights.find(name);
    if (it == layer_->weights.end()) {
      std::string have;
      for (const auto& [k, w] : layer_->weights) have += (have.empty() ? "" : ", ") + k;
      fail("the weights have no '" + name + "' (they have: " + (have.empty() ? "none" : have) +
           "); the weights file does not belong to this architecture");
    }
    if (it->second.shape != want)
      fail("weight '" + name + "' is " + to_string(it->second.shape) + ", the layer needs " +
           to_string(want) + "; the weights file does not belong to this architecture");
    return it->second;
  }

  // ---- node makers ----
  tf::NodeDef* node(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                    bool typed = true) {
    tf::NodeDef* n = g_.add_node();
    n->set_name(name);
    n->set_op(op);
    for (auto& in : inputs) n->add_input(in);
    if (typed) (*n->mutable_attr())["T"].set_type(tf::DT_FLOAT);
    return n;
  }
  static void set_ints(tf::NodeDef* n, const char* attr, std::vector<std::int64_t> v) {
    auto* list = (*n->mutable_attr())[attr].mutable_list();
    for (auto x : v) list->add_i(x);
  }
  static void set_str(tf::NodeDef* n, const char* attr, const std::string& s) {
    (*n->mutable_attr())[attr].set_s(s);
  }
  std::string constant(const std::string& name, const Shape& shape,
                       const std::vector<float>& data) {
    tf::NodeDef* n = node(name, "Const", {}, false);
    (*n->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(tf::DT_FLOAT);
    for (auto d : shape) t->mutable_tensor_shape()->add_dim()->set_size(d);
    t->set_tensor_content(
        std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
    return name;
  }
  std::string constant_i32(const std::string& name, const Shape& shape,
                           const std::vector<std::int32_t>& v) {
    tf::NodeDef* n = node(name, "Const", {}, false);
    (*n->mutable_attr())["dtype"].set_type(tf::DT_INT32);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(tf::DT_INT32);
    for (auto d : shape) t->mutable_tensor_shape()->add_dim()->set_size(d);
    for (auto x : v) t->add_int_val(x);
    return name;
  }
  std::string weight_const(const std::string& name, const Shape& want) {
    std::string c = constant(layer_->name + "/" + name, want, weight(name, want).data);
    auto pos = weight_pos_.find(name);
    if (pos == weight_pos_.end()) return c;
    return fix_neuron(layer_->name + "/" + name + "/wquant", Out{c, want}, pos->second).node;
  }

  // ---- shapes ----
  static std::int64_t conv_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d,
                               bool same) {
    if (same) return (in + s - 1) / s;
    return (in - d * (k - 1) - 1) / s + 1;
  }
  std::string padding() const {
    std::string p = str("padding", "valid");
    if (p != "valid" && p != "same") unsupported("padding '" + p + "'");
    return p;
  }

  // Appends the activation named `act` after `x`; "linear" adds nothing.
  Out activation(const std::string& act, Out x) {
    static const std::map<std::string, std::string> ops{
        {"relu", "Relu"},       {"relu6", "Relu6"}, {"softmax", "Softmax"},
        {"sigmoid", "Sigmoid"}, {"tanh", "Tanh"},   {"elu", "Elu"}};
    if (act == "linear") return x;
    auto it = ops.find(act);
    if (it == ops.end())
      unsupported("activation '" + act +
                  "' (supported: linear, relu, relu6, softmax, sigmoid, tanh, elu)");
    std::string name = layer_->name + "/" + it->second;
    node(name, it->second, {x.node});
    return {name, x.shape};
  }
  std::string act_name() const {
    if (!has("activation")) return "linear";
    const json& a = cfg()["activation"];
    if (a.is_string()) return a.get<std::string>();
    fail("\"activation\" must be a name (custom activation objects are not supported)");
  }

  Out bias_add(const Out& x, std::int64_t channels) {
    if (!flag("use_bias", true)) return x;
    std::string b = weight_const("bias", {channels});
    std::string name = layer_->name + "/BiasAdd";
    set_str(node(name, "BiasAdd", {x.node, b}), "data_format", "NHWC");
    return {name, x.shape};
  }

  // ---- layers ----
  using Lowering = Out (Freezer::*)();
  struct LayerRow {
    const char* class_name;
    Lowering lower;
  };
  static const LayerRow kLayers[];  // after the class

  Out lower(const Layer& l);

  Out conv2d() { return conv(false); }
  Out depthwise_conv2d() { return conv(true); }
  Out max_pool() { return pool(true); }
  Out avg_pool() { return pool(false); }
  Out global_avg_pool() { return global_pool(false); }
  Out global_max_pool() { return global_pool(true); }

  Out identity() {
    Out x = only_input();
    node(layer_->name + "/Identity", "Identity", {x.node});
    return {layer_->name + "/Identity", x.shape};
  }

  Out activation_layer() {
    std::string a = act_name();
    return a == "linear" ? identity() : activation(a, only_input());
  }

  Out leaky_relu() {
    Out x = only_input();
    std::string name = layer_->name + "/LeakyRelu";
    (*node(name, "LeakyRelu", {x.node})->mutable_attr())["alpha"].set_f(
        static_cast<float>(num("alpha", 0.3)));
    return {name, x.shape};
  }

  Out flatten() {
    Out x = only_input();
    channels_last();
    std::int64_t k = 1;
    for (std::size_t i = 1; i < x.shape.size(); ++i) k *= x.shape[i];
    return reshape(x, {-1, k});
  }

  Out reshape_layer() {
    Out x = only_input();
    if (!has("target_shape") || !cfg()["target_shape"].is_array()) fail("has no target_shape");
    Shape s{-1};
    std::int64_t known = 1, unknown = 0, total = 1;
    for (std::size_t i = 1; i < x.shape.size(); ++i) total *= x.shape[i];
    for (const auto& d : cfg()["target_shape"]) {
      if (!d.is_number_integer()) fail("target_shape must hold integers");
      s.push_back(d.get<std::int64_t>());
      if (s.back() == -1)
        ++unknown;
      else if (s.back() <= 0)
        fail("target_shape has a dimension ≤ 0");
      else if (__builtin_mul_overflow(known, s.back(), &known) || known > kMaxImageElements)
        fail("target_shape " + cfg()["target_shape"].dump() + " is too large");
    }
    if (unknown > 1 || (unknown == 0 && known != total) || (unknown == 1 && total % known != 0))
      fail("target_shape " + cfg()["target_shape"].dump() + " does not fit its input " +
           to_string(x.shape));
    for (auto& d : s)
      if (&d != &s[0] && d == -1) d = total / known;
    return reshape(x, s);
  }

  Out input_layer() {
    const json& s = has("batch_input_shape") ? cfg()["batch_input_shape"]
                    : has("batch_shape")     ? cfg()["batch_shape"]
                                             : json();
    if (!s.is_array() || s.size() < 2) fail("has no batch_input_shape");
    Shape shape{-1};
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (!s[i].is_number_integer() || s[i].get<std::int64_t>() <= 0)
        unsupported("input shape " + s.dump() +
                    " has an open dimension; dpurun needs fixed image sizes");
      shape.push_back(integer(s[i], "batch_input_shape", 1, kMaxImageElements));
    }
    std::string dtype = str("dtype", "float32");
    if (dtype != "float32") unsupported("input dtype " + dtype + " (float32 expected)");
    tf::NodeDef* n = node(layer_->name, "Placeholder", {}, false);
    (*n->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
    auto* ts = (*n->mutable_attr())["shape"].mutable_shape();
    for (auto d : shape) ts->add_dim()->set_size(d);
    return {layer_->name, shape};
  }

  // A convolution's window from the layer's config, with its output size for input `x`.
  struct Window {
    std::vector<std::int64_t> k, s, d;
    bool same = false;
    std::int64_t oh = 0, ow = 0;
  };
  Window window(const Out& x) const {
    Window w;
    w.k = ints("kernel_size", 2, {});
    if (w.k.size() != 2 || w.k[0] < 1 || w.k[1] < 1) fail("has no kernel_size");
    w.s = ints("strides", 2, {1, 1});
    w.d = ints("dilation_rate", 2, {1, 1});
    if (w.s[0] < 1 || w.s[1] < 1 || w.d[0] < 1 || w.d[1] < 1)
      fail("strides and dilation_rate must be ≥ 1");
    if ((w.s[0] > 1 || w.s[1] > 1) && (w.d[0] > 1 || w.d[1] > 1))
      unsupported("strides and dilation_rate both above 1 (TensorFlow does not allow it either)");
    w.same = padding() == "same";
    w.oh = conv_out(x.shape[1], w.k[0], w.s[0], w.d[0], w.same);
    w.ow = conv_out(x.shape[2], w.k[1], w.s[1], w.d[1], w.same);
    if (w.oh < 1 || w.ow < 1) fail("the kernel is larger than its input " + to_string(x.shape));
    return w;
  }
  void conv_node(const std::string& name, const std::string& op, const std::string& x,
                 const std::string& weights, const Window& w) {
    tf::NodeDef* n = node(name, op, {x, weights});
    set_ints(n, "strides", {1, w.s[0], w.s[1], 1});
    set_ints(n, "dilations", {1, w.d[0], w.d[1], 1});
    set_str(n, "padding", w.same ? "SAME" : "VALID");
    set_str(n, "data_format", "NHWC");
  }

  Out conv(bool depthwise) {
    channels_last();
    const Out& x = input4d();
    if (integer("groups", 1, 1, kMaxCount) != 1) unsupported("grouped convolution (groups > 1)");
    Window w = window(x);
    std::int64_t cin = x.shape[3], cout = 0;
    std::string kernel, name;
    if (depthwise) {
      std::int64_t mult = integer("depth_multiplier", 1, 1, kMaxCount);
      cout = cin * mult;
      kernel = weight_const("depthwise_kernel", {w.k[0], w.k[1], cin, mult});
      name = layer_->name + "/depthwise";
      conv_node(name, "DepthwiseConv2dNative", x.node, kernel, w);
    } else {
      if (!has("filters")) fail("has no filters");
      cout = integer("filters", 0, 1, kMaxCount);
      kernel = weight_const("kernel", {w.k[0], w.k[1], cin, cout});
      name = layer_->name + "/convolution";
      conv_node(name, "Conv2D", x.node, kernel, w);
    }
    return activation(act_name(), bias_add({name, {-1, w.oh, w.ow, cout}}, cout));
  }

  // A depthwise convolution, then a 1×1 one over its channels.
  Out separable() {
    channels_last();
    const Out& x = input4d();
    Window w = window(x);
    std::int64_t cin = x.shape[3];
    std::int64_t mult = integer("depth_multiplier", 1, 1, kMaxCount);
    if (!has("filters")) fail("has no filters");
    std::int64_t cout = integer("filters", 0, 1, kMaxCount);
    std::string dw = weight_const("depthwise_kernel", {w.k[0], w.k[1], cin, mult});
    std::string pw = weight_const("pointwise_kernel", {1, 1, cin * mult, cout});
    std::string dname = layer_->name + "/separable_conv2d/depthwise";
    conv_node(dname, "DepthwiseConv2dNative", x.node, dw, w);
    std::string pname = layer_->name + "/separable_conv2d";
    conv_node(pname, "Conv2D", dname, pw, Window{{1, 1}, {1, 1}, {1, 1}, false, w.oh, w.ow});
    return activation(act_name(), bias_add({pname, {-1, w.oh, w.ow, cout}}, cout));
  }

  Out dense() {
    const Out& x = only_input();
    if (x.shape.size() != 2)
      unsupported("Dense on a " + std::to_string(x.shape.size()) + "-D input " +
                  to_string(x.shape) + "; put a Flatten before it");
    if (!has("units")) fail("has no units");
    std::int64_t units = integer("units", 0, 1, kMaxCount);
    std::string w = weight_const("kernel", {x.shape[1], units});
    std::string name = layer_->name + "/MatMul";
    tf::NodeDef* n = node(name, "MatMul", {x.node, w});
    (*n->mutable_attr())["transpose_a"].set_b(false);
    (*n->mutable_attr())["transpose_b"].set_b(false);
    return activation(act_name(), bias_add({name, {-1, units}}, units));
  }

  Out batch_norm() {
    const Out& x = only_input();
    int rank = static_cast<int>(x.shape.size());
    int axis = -1;
    const json& a = has("axis") ? cfg()["axis"] : json(-1);
    if (a.is_number_integer())
      axis = static_cast<int>(integer(a, "axis", -8, 8));
    else if (a.is_array() && a.size() == 1 && a[0].is_number_integer())
      axis = static_cast<int>(integer(a[0], "axis", -8, 8));
    else
      unsupported("normalisation over axes " + a.dump() + " (one axis expected)");
    if (axis < 0) axis += rank;
    if (axis != rank - 1)
      unsupported("normalisation over axis " + a.dump() + " of a " + std::to_string(rank) +
                  "-D tensor; dpurun runs channels_last models (the last axis)");
    std::int64_t c = x.shape.back();
    float eps = static_cast<float>(num("epsilon", 1e-3));
    auto get = [&](const char* name, bool present, float def) {
      return present ? weight(name, {c}).data
                     : std::vector<float>(static_cast<std::size_t>(c), def);
    };
    std::vector<float> gamma = get("gamma", flag("scale", true), 1.f);
    std::vector<float> beta = get("beta", flag("center", true), 0.f);
    std::vector<float> mean = weight("moving_mean", {c}).data;
    std::vector<float> var = weight("moving_variance", {c}).data;
    const std::string& L = layer_->name;
    if (rank == 4) {
      std::string name = L + "/FusedBatchNorm";
      tf::NodeDef* n = node(
          name, "FusedBatchNorm",
          {x.node, constant(L + "/gamma", {c}, gamma), constant(L + "/beta", {c}, beta),
           constant(L + "/moving_mean", {c}, mean), constant(L + "/moving_variance", {c}, var)});
      (*n->mutable_attr())["epsilon"].set_f(eps);
      (*n->mutable_attr())["is_training"].set_b(false);
      set_str(n, "data_format", "NHWC");
      return {name, x.shape};
    }
    // Other ranks: x · scale + shift with the constants folded, as freeze_graph leaves them.
    std::vector<float> scale(gamma.size()), shift(gamma.size());
    for (std::size_t i = 0; i < gamma.size(); ++i) {
      scale[i] = gamma[i] / std::sqrt(var[i] + eps);
      shift[i] = beta[i] - mean[i] * scale[i];
    }
    std::string mul = L + "/batchnorm/mul_1", add = L + "/batchnorm/add_1";
    node(mul, "Mul", {x.node, constant(L + "/batchnorm/mul", {c}, scale)});
    node(add, "Add", {mul, constant(L + "/batchnorm/sub", {c}, shift)});
    return {add, x.shape};
  }

  Out relu() {
    Out x = only_input();
    double slope = num("negative_slope", 0.0), threshold = num("threshold", 0.0);
    bool capped = has("max_value");
    double cap = num("max_value", 0.0);
    if (threshold != 0.0) unsupported("ReLU with a threshold");
    std::string name;
    if (!capped && slope == 0.0) {
      name = layer_->name + "/Relu";
      node(name, "Relu", {x.node});
    } else if (capped && cap == 6.0 && slope == 0.0) {
      name = layer_->name + "/Relu6";
      node(name, "Relu6", {x.node});
    } else if (!capped && slope > 0.0) {
      name = layer_->name + "/LeakyRelu";
      (*node(name, "LeakyRelu", {x.node})->mutable_attr())["alpha"].set_f(
          static_cast<float>(slope));
    } else {
      unsupported("ReLU with max_value " + cfg()["max_value"].dump() + " and negative_slope " +
                  std::to_string(slope) + " (supported: plain, max_value 6, or a negative slope)");
    }
    return {name, x.shape};
  }

  Out pool(bool max) {
    channels_last();
    const Out& x = input4d();
    auto k = ints("pool_size", 2, {2, 2});
    auto s = has("strides") ? ints("strides", 2, {}) : k;
    if (k[0] < 1 || k[1] < 1 || s[0] < 1 || s[1] < 1) fail("pool_size and strides must be ≥ 1");
    bool same = padding() == "same";
    std::int64_t oh = conv_out(x.shape[1], k[0], s[0], 1, same),
                 ow = conv_out(x.shape[2], k[1], s[1], 1, same);
    if (oh < 1 || ow < 1) fail("the pool window is larger than its input " + to_string(x.shape));
    std::string name = layer_->name + (max ? "/MaxPool" : "/AvgPool");
    tf::NodeDef* n = node(name, max ? "MaxPool" : "AvgPool", {x.node});
    set_ints(n, "ksize", {1, k[0], k[1], 1});
    set_ints(n, "strides", {1, s[0], s[1], 1});
    set_str(n, "padding", same ? "SAME" : "VALID");
    set_str(n, "data_format", "NHWC");
    return {name, {-1, oh, ow, x.shape[3]}};
  }

  Out global_pool(bool max) {
    channels_last();
    const Out& x = input4d();
    bool keep = flag("keepdims", false);
    std::string name = layer_->name + (max ? "/Max" : "/Mean");
    std::string axes = constant_i32(name + "/reduction_indices", {2}, {1, 2});
    tf::NodeDef* n = node(name, max ? "Max" : "Mean", {x.node, axes});
    (*n->mutable_attr())["keep_dims"].set_b(keep);
    (*n->mutable_attr())["Tidx"].set_type(tf::DT_INT32);
    return {name, keep ? Shape{-1, 1, 1, x.shape[3]} : Shape{-1, x.shape[3]}};
  }

  Out reshape(const Out& x, const Shape& to) {
    std::string name = layer_->name + "/Reshape";
    std::vector<std::int32_t> dims(to.begin(), to.end());
    std::string shape = constant_i32(name + "/shape", {static_cast<std::int64_t>(to.size())}, dims);
    (*node(name, "Reshape", {x.node, shape})->mutable_attr())["Tshape"].set_type(tf::DT_INT32);
    return {name, to};
  }

  Out add() {
    if (layer_->inbound.size() < 2) fail("needs at least two inputs");
    Out acc = input(0);
    for (std::size_t i = 1; i < layer_->inbound.size(); ++i) {
      const Out& y = input(i);
      if (y.shape != acc.shape)
        unsupported("adds " + to_string(acc.shape) + " and " + to_string(y.shape) +
                    " (shapes must be equal)");
      std::string name = layer_->name + "/add";
      if (i > 1) name += '_' + std::to_string(i - 1);
      node(name, "Add", {acc.node, y.node});
      acc.node = name;
    }
    return acc;
  }

  Out concat() {
    if (layer_->inbound.empty()) fail("has no inputs");
    Out first = input(0);
    int rank = static_cast<int>(first.shape.size());
    int axis = static_cast<int>(integer("axis", -1, -8, 8));
    if (axis < 0) axis += rank;
    if (axis < 1 || axis >= rank) unsupported("concatenation over axis " + std::to_string(axis));
    Shape shape = first.shape;
    shape[static_cast<std::size_t>(axis)] = 0;
    std::vector<std::string> ins;
    for (std::size_t i = 0; i < layer_->inbound.size(); ++i) {
      const Out& y = input(i);
      for (int d = 0; d < rank; ++d)
        if (static_cast<int>(y.shape.size()) != rank ||
            (d != axis &&
             y.shape[static_cast<std::size_t>(d)] != first.shape[static_cast<std::size_t>(d)]))
          fail("concatenates " + to_string(first.shape) + " and " + to_string(y.shape) +
               " over axis " + std::to_string(axis));
      shape[static_cast<std::size_t>(axis)] += y.shape[static_cast<std::size_t>(axis)];
      ins.push_back(y.node);
    }
    std::string name = layer_->name + "/concat";
    ins.push_back(constant_i32(name + "/axis", {}, {axis}));
    tf::NodeDef* n = node(name, "ConcatV2", ins);
    (*n->mutable_attr())["N"].set_i(static_cast<std::int64_t>(layer_->inbound.size()));
    (*n->mutable_attr())["Tidx"].set_type(tf::DT_INT32);
    return {name, shape};
  }

  Out zero_pad() {
    channels_last();
    const Out& x = input4d();
    std::int64_t t = 1, b = 1, l = 1, r = 1;
    const json& p = has("padding") ? cfg()["padding"] : json(1);
    auto get = [&](const json& v) { return integer(v, "padding", 0, kMaxWindow); };
    if (p.is_number_integer()) {
      t = b = l = r = get(p);
    } else if (p.is_array() && p.size() == 2 && p[0].is_number_integer()) {
      t = b = get(p[0]);
      l = r = get(p[1]);
    } else if (p.is_array() && p.size() == 2 && p[0].is_array() && p[0].size() == 2 &&
               p[1].is_array() && p[1].size() == 2) {
      t = get(p[0][0]);
      b = get(p[0][1]);
      l = get(p[1][0]);
      r = get(p[1][1]);
    } else {
      fail("padding " + p.dump() + " is not an int, (h, w) or ((top, bottom), (left, right))");
    }
    std::string name = layer_->name + "/Pad";
    std::string pads =
        constant_i32(name + "/paddings", {4, 2},
                     {0, 0, static_cast<std::int32_t>(t), static_cast<std::int32_t>(b),
                      static_cast<std::int32_t>(l), static_cast<std::int32_t>(r), 0, 0});
    (*node(name, "Pad", {x.node, pads})->mutable_attr())["Tpaddings"].set_type(tf::DT_INT32);
    return {name, {-1, x.shape[1] + t + b, x.shape[2] + l + r, x.shape[3]}};
  }
};

// Adding a layer type: a member of Freezer and one row here.
const Freezer::LayerRow Freezer::kLayers[] = {
    {"InputLayer", &Freezer::input_layer},
    {"Conv2D", &Freezer::conv2d},
    {"DepthwiseConv2D", &Freezer::depthwise_conv2d},
    {"SeparableConv2D", &Freezer::separable},
    {"Dense", &Freezer::dense},
    {"BatchNormalization", &Freezer::batch_norm},
    {"Activation", &Freezer::activation_layer},
    {"ReLU", &Freezer::relu},
    {"LeakyReLU", &Freezer::leaky_relu},
    {"MaxPooling2D", &Freezer::max_pool},
    {"AveragePooling2D", &Freezer::avg_pool},
    {"GlobalAveragePooling2D", &Freezer::global_avg_pool},
    {"GlobalMaxPooling2D", &Freezer::global_max_pool},
    {"Flatten", &Freezer::flatten},
    {"Reshape", &Freezer::reshape_layer},
    // Inference: the identity.
    {"Dropout", &Freezer::identity},
    {"SpatialDropout2D", &Freezer::identity},
    {"GaussianDropout", &Freezer::identity},
    {"GaussianNoise", &Freezer::identity},
    {"AlphaDropout", &Freezer::identity},
    {"ActivityRegularization", &Freezer::identity},
    {"Add", &Freezer::add},
    {"Concatenate", &Freezer::concat},
    {"ZeroPadding2D", &Freezer::zero_pad},
};

Out Freezer::lower(const Layer& l) {
  for (const auto& row : kLayers)
    if (l.class_name == row.class_name) return (this->*row.lower)();
  std::string known;
  for (const auto& row : kLayers) known += std::string(known.empty() ? "" : ", ") + row.class_name;
  unsupported("this layer type is not supported; dpurun's Keras reader takes " + known);
}

}  // namespace

FrozenGraph freeze(const Model& model) { return Freezer(model).run(); }

}  // namespace dpurun::loaders::keras

namespace dpurun {

FreezeResult freeze_keras(const std::string& model, const std::string& weights) {
  loaders::keras::Model m = loaders::keras::read_model(model, weights);
  loaders::keras::FrozenGraph f = loaders::keras::freeze(m);
  FreezeResult r;
  if (!f.graph.SerializeToString(&r.graph_def))
    throw Error(ErrorCode::kInternal, m.source + ": the frozen graph could not be serialized");
  r.keras_version = m.keras_version;
  r.inputs = f.inputs;
  r.outputs = f.outputs;
  r.nodes = static_cast<std::size_t>(f.graph.node_size());
  return r;
}

}  // namespace dpurun

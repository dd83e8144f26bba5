#include "dpurun/dump.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "dpurun/cpu_executor.h"
#include "dpurun/error.h"
#include "dpurun/model_info.h"

namespace dpurun {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Ops that hold no tensor of their own to dump: constants and their fix ops (the model's
// weights, not computed), and ops that only move a tensor (upload/download between host and
// DPU) or compute shapes.
bool dumpable(const LayerInfo& l) {
  static const std::set<std::string> skip = {"const",    "const-fix", "upload",
                                             "download", "shape",     "stack"};
  return !l.constant && !skip.count(l.op);
}

bool compiled_op(const std::string& op) {
  return op.size() > 4 && op.compare(op.size() - 4, 4, "-fix") == 0;
}

// File names as the quantizer and VART's dump give them: the op name without the compiler's
// "(…)" notes, every character but letters, digits and "_" as "_".
std::string file_name(const std::string& op) {
  std::string s;
  int depth = 0;
  for (char c : op) {
    if (c == '(') ++depth;
    if (depth == 0) s += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
    if (c == ')' && depth > 0) --depth;
  }
  return s;
}

void write_raw(const fs::path& p, const void* data, std::size_t bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) throw Error(ErrorCode::kIo, p.string() + ": cannot be written");
}

// One tensor the reference is asked for, and the files it becomes.
struct Entry {
  const LayerInfo* layer;  // named in the files
  std::string ask;         // the op whose output is computed (the layer's fix op, where it has one)
  std::optional<int> fix;  // set: the values are int8 at this fix point
  bool float_file = true;  // <layer>.bin, float32
  bool int8_file = false;  // <layer>_fix.bin, int8
};

// The quantizer's layout: an op X followed by its fix op X_fix gives X.bin (the fixed values
// as float32) and X_fix.bin (int8); an op no fix follows gives X.bin (its float output). A
// compiled DPU op's output is int8 already: X_fix.bin.
std::vector<Entry> plan(const ModelInfo& info) {
  std::map<std::string, const LayerInfo*> by_name;
  for (const auto& l : info.layers) by_name[l.name] = &l;
  std::set<std::string> paired;  // fix ops that another layer's files cover
  std::vector<Entry> out;
  for (const auto& l : info.layers) {
    if (!dumpable(l) || paired.count(l.name)) continue;
    Entry e{&l, l.name, std::nullopt};
    auto f = by_name.find(l.name + "_fix");
    if (compiled_op(l.op) && l.fix_point) {
      e.fix = l.fix_point;
      e.float_file = false;
      e.int8_file = true;
    } else if (l.op != "fix" && l.op != "float2fix" && f != by_name.end() &&
               (f->second->op == "fix" || f->second->op == "float2fix") && f->second->fix_point &&
               dumpable(*f->second)) {
      e.ask = f->first;
      e.fix = f->second->fix_point;
      e.int8_file = true;
      paired.insert(f->first);
    } else if ((l.op == "fix" || l.op == "float2fix") && l.fix_point) {
      e.fix = l.fix_point;  // a fix op of its own: its int8 values, as <op>.bin
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace

DumpReport dump_layers(const std::string& model_file, const BackendOptions& options,
                       const DumpInput& fill, const std::string& dir) {
  const ModelInfo info = describe_model(model_file);
  if (info.format != "xir-xmodel")
    throw Error(ErrorCode::kUnsupported,
                model_file + ": dump reads XIR models (.xmodel, quantized or compiled); this is " +
                    info.format);
  DumpReport report;
  report.model_file = model_file;
  report.dir = dir;
  const std::vector<Entry> entries = plan(info);
  if (entries.empty()) throw Error(ErrorCode::kInvalidModel, model_file + ": no layer to dump");
  std::vector<ModelOptions> each;
  for (const auto& e : entries) {
    ModelOptions o = options.model;
    o.outputs = {e.ask};
    each.push_back(std::move(o));
  }
  // One model per tensor (the file parsed once): each asks the reference for that tensor alone,
  // so what it computes is what a run to that layer computes.
  const std::vector<Model> models = Model::load_each(model_file, each);
  const CpuOptions cpu = options.cpu;
  CpuExecutor first(models[0], cpu);
  TensorInfo in = models[0].inputs().at(0);
  in.shape.at(0) = 1;
  const std::optional<int> int8_fp = first.int8_input_fix_point();
  in.type = int8_fp ? DataType::kInt8 : DataType::kFloat32;
  if (int8_fp) in.fix_point = int8_fp;
  const std::size_t n_in = static_cast<std::size_t>(first.input_elements());
  std::vector<std::byte> input(n_in * (int8_fp ? 1 : 4));
  fill(in, input.data(), input.size());
  std::vector<float> as_float;  // the int8 input as the floats it stands for
  if (int8_fp)
    for (std::size_t k = 0; k < n_in; ++k)
      as_float.push_back(
          std::ldexp(float(reinterpret_cast<const std::int8_t*>(input.data())[k]), -*int8_fp));

  fs::create_directories(dir);
  json index = json::array();
  auto record = [&](DumpedTensor t) {
    json j = {{"name", t.name},
              {"op", t.op},
              {"file", t.file},
              {"dtype", t.type == DataType::kInt8 ? "int8" : "float32"},
              {"shape", t.shape}};
    if (t.fix_point) j["fix_point"] = *t.fix_point;
    index.push_back(j);
    report.tensors.push_back(std::move(t));
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    CpuExecutor x(models[i], cpu);
    std::vector<float> f(static_cast<std::size_t>(x.output_elements()));
    if (int8_fp && x.int8_input_fix_point() == int8_fp)
      x.run(reinterpret_cast<const std::int8_t*>(input.data()), f.data(), 1);
    else
      x.run(int8_fp ? as_float.data() : reinterpret_cast<const float*>(input.data()), f.data(), 1);
    DumpedTensor t;
    t.name = e.layer->name;
    t.op = e.layer->op;
    t.shape = models[i].outputs().at(0).shape;
    if (!t.shape.empty()) t.shape[0] = 1;
    t.fix_point = e.fix;
    const std::string base = file_name(e.layer->name);
    if (e.float_file) {
      DumpedTensor ft = t;
      ft.file = base + ".bin";
      ft.type = e.fix && !e.int8_file ? DataType::kInt8 : DataType::kFloat32;
      if (ft.type == DataType::kFloat32) {
        write_raw(fs::path(dir) / ft.file, f.data(), f.size() * sizeof(float));
        record(std::move(ft));
      }
    }
    if (e.fix) {  // float values on the fix grid, back to the int8 they are
      std::vector<std::int8_t> q(f.size());
      for (std::size_t k = 0; k < f.size(); ++k) {
        const double v = std::ldexp(double(f[k]), *e.fix);
        if (v != std::nearbyint(v) || v < -128 || v > 127)
          throw Error(ErrorCode::kInternal, model_file + ": tensor '" + e.ask + "' element " +
                                                std::to_string(k) + " (" + std::to_string(f[k]) +
                                                ") is not on its fix grid 2^-" +
                                                std::to_string(*e.fix));
        q[k] = static_cast<std::int8_t>(v);
      }
      t.file = base + (e.int8_file ? "_fix.bin" : ".bin");
      t.type = DataType::kInt8;
      write_raw(fs::path(dir) / t.file, q.data(), q.size());
      record(std::move(t));
    }
  }
  const json doc = {
      {"model", model_file}, {"layout", "vitis-ai deploy_check_data_int"}, {"tensors", index}};
  const std::string text = doc.dump(1);
  write_raw(fs::path(dir) / "dump.json", text.data(), text.size());
  return report;
}

}  // namespace dpurun

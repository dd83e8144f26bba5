#include "dpu/partition.h"

#include <cstdio>

#include "common/file.h"
#include "dpu/dpu_check.h"
#include "dpurun/error.h"

namespace dpurun::backends::dpu {
namespace {

DataType type_of(const xir::Tensor* t, const std::string& where) {
  auto type = t->get_data_type().type;
  int bits = t->get_data_type().bit_width;
  if ((type == xir::DataType::XINT || type == xir::DataType::INT) && bits == 8)
    return DataType::kInt8;
  if ((type == xir::DataType::XUINT || type == xir::DataType::UINT) && bits == 8)
    return DataType::kUInt8;
  if (type == xir::DataType::FLOAT && bits == 32) return DataType::kFloat32;
  throw Error(ErrorCode::kUnsupported, where + ": tensor '" + t->get_name() + "' is " +
                                           t->get_data_type().to_string() +
                                           "; dpurun passes int8 and float32 tensors");
}

}  // namespace

std::optional<int> fix_point_of(const xir::Tensor* t) {
  if (t->has_attr("fix_point")) return t->get_attr<int>("fix_point");
  return std::nullopt;
}

std::string device_of(const xir::Subgraph* s) {
  return s->has_attr("device") ? s->get_attr<std::string>("device") : "";
}

TensorInfo info_of(const xir::Tensor* t, const std::string& where) {
  Shape s;
  for (auto d : t->get_shape()) s.push_back(d);
  return TensorInfo{t->get_name(), s, type_of(t, where), fix_point_of(t)};
}

std::shared_ptr<Plan> plan_model(const std::string& path) {
  auto plan = std::make_shared<Plan>();
  plan->path = path;
  // One read: XIR parses these bytes for VART, dpurun's loader the same bytes for the CPU subgraphs.
  const std::string bytes = read_file(path);
  try {
    plan->graph = xir::Graph::deserialize_from_string(bytes);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInvalidModel, path + ": XIR cannot read it: " + e.what());
  }
  auto children = plan->graph->get_root_subgraph()->children_topological_sort();
  std::vector<ModelOptions> cpu_options;  // of the kCpu steps, in order
  for (const auto* s : children) {
    const std::string dev = device_of(s);
    if (dev == "USER") continue;
    Step step;
    step.subgraph = s;
    for (auto* t : s->get_sorted_input_tensors()) step.inputs.push_back(t);
    for (auto* t : s->get_sorted_output_tensors()) step.outputs.push_back(t);
    if (dev == "DPU") {
      step.kind = Step::kDpu;
    } else if (dev == "CPU") {
      bool only_fix2float = true;
      for (auto* op : s->get_ops()) only_fix2float &= op->get_type() == "fix2float";
      if (only_fix2float && step.inputs.size() == 1 && step.outputs.size() == 1) {
        step.kind = Step::kDequantize;
      } else {
        step.kind = Step::kCpu;
        if (step.inputs.size() != 1 || step.outputs.size() != 1)
          throw Error(ErrorCode::kUnsupported,
                      path + ": CPU subgraph '" + s->get_name() + "' has " +
                          std::to_string(step.inputs.size()) +
                          " inputs; dpurun runs CPU subgraphs of one input and one output");
        ModelOptions mo;
        mo.subgraph = s->get_name();
        mo.inputs = {step.inputs[0]->get_producer()->get_name()};
        cpu_options.push_back(mo);
      }
    } else {
      throw Error(ErrorCode::kUnsupported, path + ": subgraph '" + s->get_name() +
                                               "' is for device '" + dev +
                                               "'; dpurun runs USER, DPU and CPU subgraphs");
    }
    plan->steps.push_back(std::move(step));
  }
  // The CPU subgraphs from one read of the file (each names a custom op it lacks).
  std::vector<Model> models = Model::load_each(path, bytes, cpu_options);
  std::size_t next = 0;
  for (auto& step : plan->steps)
    if (step.kind == Step::kCpu) step.model = std::make_shared<Model>(std::move(models.at(next++)));
  if (plan->steps.empty() || plan->steps.front().kind != Step::kDpu)
    throw Error(ErrorCode::kUnsupported, path +
                                             ": no DPU subgraph takes the model's input; is this a "
                                             "compiled .xmodel (vai_c_xir's output)?");
  return plan;
}

}  // namespace dpurun::backends::dpu

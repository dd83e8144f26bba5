// The dpurun Python module: models, runners (VART's Python interface: get_input_tensors,
// execute_async, wait), the runner pool, the bit-exact reference, quantize_input, and the CLI's
// eval / bench / check / inspect as functions returning its JSON reports as dicts.
// NumPy arrays go in and out; the runners work on the callers' arrays where their memory fits
// the tensor, and every call that runs a model releases the GIL.
#include <dlfcn.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "cli.h"
#include "dpurun/backends.h"
#include "dpurun/dataset.h"
#include "dpurun/error.h"
#include "dpurun/eval.h"
#include "dpurun/manifest.h"
#include "dpurun/model.h"
#include "dpurun/pool.h"
#include "dpurun/runner.h"
#include "paths.h"

namespace py = pybind11;
using namespace dpurun;

namespace {

PyObject* g_error = nullptr;  // dpurun.Error

[[noreturn]] void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

py::dtype dtype_of(DataType t) {
  switch (t) {
    case DataType::kFloat32:
      return py::dtype::of<float>();
    case DataType::kInt8:
      return py::dtype::of<std::int8_t>();
    case DataType::kUInt8:
      return py::dtype::of<std::uint8_t>();
    case DataType::kInt32:
      return py::dtype::of<std::int32_t>();
    case DataType::kInt64:
      return py::dtype::of<std::int64_t>();
  }
  return py::dtype::of<float>();
}

std::string describe(const py::array& a) {
  return std::string(py::str(a.dtype())) + " " +
         std::string(py::str(
             py::tuple(py::cast(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim())))));
}

std::size_t tensor_bytes(const TensorInfo& t) {
  return static_cast<std::size_t>(element_count(t.shape)) * size_of(t.type);
}

// `a` as the memory of tensor `t` (what a whole job of the runner takes): its type, C order,
// and as many elements; any shape with that count is taken (VART's apps pass dims exactly).
void check_array(const py::array& a, const TensorInfo& t, const std::string& what, bool writable) {
  const std::string want = std::string(to_string(t.type)) + " " + to_string(t.shape);
  if (!a.dtype().is(dtype_of(t.type)))
    fail(ErrorCode::kInvalidArgument,
         what + " (" + t.name + ") is " + describe(a) + "; the runner takes " + want +
             (t.type == DataType::kInt8 && t.fix_point
                  ? ": quantize float input with dpurun.quantize_input(x, " +
                        std::to_string(*t.fix_point) + ")"
                  : ""));
  if (!(a.flags() & py::array::c_style))
    fail(ErrorCode::kInvalidArgument,
         what + " (" + t.name + ") is not C-contiguous: pass numpy.ascontiguousarray(it)");
  if (static_cast<std::size_t>(a.nbytes()) != tensor_bytes(t))
    fail(ErrorCode::kInvalidArgument,
         what + " (" + t.name + ") is " + describe(a) + "; the runner takes " + want);
  if (writable && !a.writeable())
    fail(ErrorCode::kInvalidArgument, what + " (" + t.name + ") is read-only");
}

// Runs `work` on its own thread while this (Python's) thread waits without the GIL and checks
// for signals every 100 ms: Ctrl-C sets `cancel` (the run stops as the CLI's does on Ctrl-C),
// and KeyboardInterrupt is raised once the work has returned.
template <class Work>
auto interruptible(Work work) {
  std::atomic<bool> cancel{false};
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
  using Result = decltype(work(cancel));
  std::optional<Result> result;
  std::thread t([&] {
    try {
      result.emplace(work(cancel));
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(m);
    done = true;
    cv.notify_all();
  });
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(m);
    while (!cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; })) {
      if (interrupted) continue;
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        if (PyErr_CheckSignals() != 0) {
          interrupted = true;
          cancel = true;
        }
      }
      lock.lock();
    }
  }
  t.join();
  if (interrupted) throw py::error_already_set();  // the KeyboardInterrupt
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

py::object json_loads(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

// ---- tensors ---------------------------------------------------------------------------------

py::tuple shape_tuple(const Shape& s) { return py::tuple(py::cast(s)); }

void bind_tensor(py::module_& m) {
  py::class_<TensorInfo>(
      m, "TensorInfo", "A tensor: name, shape (NHWC; -1 where the batch is open), dtype, fix point")
      .def_readonly("name", &TensorInfo::name)
      .def_property_readonly("shape", [](const TensorInfo& t) { return shape_tuple(t.shape); })
      .def_property_readonly(
          "dims", [](const TensorInfo& t) { return t.shape; }, "The shape as a list, as VART's")
      .def_property_readonly("dtype", [](const TensorInfo& t) { return dtype_of(t.type); })
      .def_readonly("fix_point", &TensorInfo::fix_point,
                    "real = int · 2^-fix_point; None for a float tensor")
      .def(
          "has_attr",
          [](const TensorInfo& t, const std::string& name) {
            return name == "fix_point" && t.fix_point;
          },
          "As VART's: only fix_point is known")
      .def(
          "get_attr",
          [](const TensorInfo& t, const std::string& name) {
            if (name != "fix_point" || !t.fix_point)
              fail(ErrorCode::kNotFound, "tensor " + t.name + " has no attribute " + name);
            return *t.fix_point;
          },
          "As VART's: get_attr('fix_point')")
      .def("__repr__", [](const TensorInfo& t) {
        return "TensorInfo(" + t.name + ", " + to_string(t.type) + " " + to_string(t.shape) +
               (t.fix_point ? ", fix_point " + std::to_string(*t.fix_point) : std::string()) + ")";
      });
}

// ---- models ----------------------------------------------------------------------------------

void bind_model(py::module_& m) {
  py::class_<Model>(m, "Model", "A model file, loaded and lowered (any format dpurun reads)")
      .def(
          py::init([](const std::string& path, std::vector<std::string> inputs,
                      std::vector<std::string> outputs, Shape input_shape, std::string weights_from,
                      bool fix_in_float, bool onnx_rounding, std::string subgraph) {
            ModelOptions o;
            o.inputs = std::move(inputs);
            o.outputs = std::move(outputs);
            o.input_shape = std::move(input_shape);
            o.weights_from = std::move(weights_from);
            o.fix_in_float = fix_in_float;
            o.onnx_rounding = onnx_rounding;
            o.subgraph = std::move(subgraph);
            py::gil_scoped_release release;
            return Model::load(path, o);
          }),
          py::arg("path"), py::kw_only(), py::arg("inputs") = std::vector<std::string>{},
          py::arg("outputs") = std::vector<std::string>{}, py::arg("input_shape") = Shape{},
          py::arg("weights_from") = "", py::arg("fix_in_float") = false,
          py::arg("onnx_rounding") = false, py::arg("subgraph") = "")
      .def_property_readonly("path", &Model::path)
      .def_property_readonly("inputs", &Model::inputs)
      .def_property_readonly("outputs", &Model::outputs)
      .def_property_readonly("op_counts", &Model::op_counts,
                             "Ops after fusion: (type, count), in order")
      .def_property_readonly("flops_per_image", &Model::flops_per_image)
      .def_property_readonly("is_integer", &Model::is_integer,
                             "Runs as the DPU's integer arithmetic")
      .def("__repr__", [](const Model& model) { return "Model(" + model.path() + ")"; });
}

// ---- runners ---------------------------------------------------------------------------------

// A runner and the jobs it has in flight: each keeps its arrays (and buffers) alive until wait()
// has seen it end. Where the runner cannot work on the arrays' memory (VART's runners own their
// DPU buffers), inputs are copied in at execute_async and outputs out at wait.
class PyRunner {
 public:
  explicit PyRunner(std::unique_ptr<Runner> r) : runner_(std::move(r)) {}

  Runner& runner() { return *runner_; }

  std::uint32_t execute_async(const std::vector<py::array>& inputs,
                              const std::vector<py::array>& outputs) {
    const auto& it = runner_->input_tensors();
    const auto& ot = runner_->output_tensors();
    if (inputs.size() != it.size() || outputs.size() != ot.size())
      fail(ErrorCode::kInvalidArgument,
           runner_->name() + ": execute_async takes " + std::to_string(it.size()) + " input and " +
               std::to_string(ot.size()) + " output arrays, got " + std::to_string(inputs.size()) +
               " and " + std::to_string(outputs.size()));
    std::vector<std::byte*> in_ptrs, out_ptrs;
    for (std::size_t i = 0; i < it.size(); ++i) {
      check_array(inputs[i], it[i], "input " + std::to_string(i), false);
      in_ptrs.push_back(static_cast<std::byte*>(const_cast<void*>(inputs[i].data())));
    }
    for (std::size_t i = 0; i < ot.size(); ++i) {
      check_array(outputs[i], ot[i], "output " + std::to_string(i), true);
      out_ptrs.push_back(static_cast<std::byte*>(py::array(outputs[i]).mutable_data()));
    }
    Job job;
    job.inputs = inputs;
    job.outputs = outputs;
    std::uint32_t id;
    {
      py::gil_scoped_release release;
      job.buffers = runner_->buffers_over(in_ptrs, out_ptrs);
      if (!job.buffers) {  // memory of its own: copy in now, out at wait
        job.buffers = runner_->allocate_buffers();
        job.copy_out = true;
        for (std::size_t i = 0; i < in_ptrs.size(); ++i)
          std::memcpy(job.buffers->inputs[i].data, in_ptrs[i], tensor_bytes(it[i]));
      }
      id = runner_->execute_async(*job.buffers);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_[id] = std::move(job);
    return id;
  }

  int wait(std::uint32_t id, int timeout_ms) {
    Job* job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = jobs_.find(id);
      if (found == jobs_.end())
        fail(ErrorCode::kInvalidArgument,
             runner_->name() + ": no job " + std::to_string(id) + " is running");
      job = &found->second;
    }
    JobStatus s;
    {
      py::gil_scoped_release release;
      s = runner_->wait(id, timeout_ms);
    }
    // After a timeout the job may still write its outputs: its arrays stay referenced here.
    if (s.state == JobState::kTimeout)
      fail(ErrorCode::kDevice, runner_->name() + ": job " + std::to_string(id) + ": " + s.error);
    if (job->copy_out && s.state == JobState::kDone)
      for (std::size_t i = 0; i < job->outputs.size(); ++i)
        std::memcpy(py::array(job->outputs[i]).mutable_data(), job->buffers->outputs[i].data,
                    tensor_bytes(runner_->output_tensors()[i]));
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.erase(id);
    if (s.state != JobState::kDone)
      fail(ErrorCode::kDevice, runner_->name() + ": job " + std::to_string(id) + ": " + s.error);
    return 0;
  }

  // One job on new arrays: the outputs, as floats only where the tensor is float.
  std::vector<py::array> run(const std::vector<py::array>& inputs) {
    std::vector<py::array> outputs;
    for (const auto& t : runner_->output_tensors())
      outputs.emplace_back(dtype_of(t.type),
                           std::vector<py::ssize_t>(t.shape.begin(), t.shape.end()));
    wait(execute_async(inputs, outputs), -1);
    return outputs;
  }

 private:
  struct Job {
    std::unique_ptr<JobBuffers> buffers;
    std::vector<py::array> inputs, outputs;
    bool copy_out = false;
  };
  std::unique_ptr<Runner> runner_;
  std::mutex mutex_;
  std::map<std::uint32_t, Job> jobs_;
};

KernelChoice parse_kernels(const std::string& k) {
  if (k == "fast") return KernelChoice::kFast;
  if (k == "reference") return KernelChoice::kReference;
  fail(ErrorCode::kInvalidArgument, "kernels='" + k + "': use 'fast' or 'reference'");
}

Isolation parse_isolation(const std::string& s) {
  if (s == "auto") return Isolation::kAuto;
  if (s == "on") return Isolation::kOn;
  if (s == "off") return Isolation::kOff;
  fail(ErrorCode::kInvalidArgument, "isolation='" + s + "': use 'auto', 'on' or 'off'");
}

void bind_runners(py::module_& m) {
  py::class_<PyRunner, std::shared_ptr<PyRunner>>(
      m, "Runner", "A runner, as VART's: tensors, execute_async(inputs, outputs), wait(job)")
      .def_property_readonly("name", [](PyRunner& r) { return r.runner().name(); })
      .def_property_readonly("batch", [](PyRunner& r) { return r.runner().batch(); })
      .def_property_readonly("jobs_in_flight",
                             [](PyRunner& r) { return r.runner().jobs_in_flight(); })
      .def_property_readonly("input_tensors",
                             [](PyRunner& r) { return r.runner().input_tensors(); })
      .def_property_readonly("output_tensors",
                             [](PyRunner& r) { return r.runner().output_tensors(); })
      .def("get_input_tensors", [](PyRunner& r) { return r.runner().input_tensors(); })
      .def("get_output_tensors", [](PyRunner& r) { return r.runner().output_tensors(); })
      .def("execute_async", &PyRunner::execute_async, py::arg("inputs"), py::arg("outputs"),
           "Starts a job on C-contiguous arrays of the tensors' dtype and size (a batch each); "
           "returns its id. "
           "The arrays must not change until wait() returns.")
      .def("wait", &PyRunner::wait, py::arg("job"), py::arg("timeout_ms") = -1,
           "Waits for a job; 0 when done, else raises dpurun.Error")
      .def("run", &PyRunner::run, py::arg("inputs"), "One job on new output arrays: the outputs")
      .def("__repr__", [](PyRunner& r) { return "Runner(" + r.runner().name() + ")"; });

  m.def(
      "cpu_runner",
      [](const Model& model, int batch, const std::string& kernels, int threads) {
        CpuRunnerOptions o;
        o.batch = batch;
        o.cpu.kernels = parse_kernels(kernels);
        o.cpu.threads = threads;
        py::gil_scoped_release release;
        return std::make_shared<PyRunner>(make_cpu_runner(model, o));
      },
      py::arg("model"), py::kw_only(), py::arg("batch") = 1, py::arg("kernels") = "fast",
      py::arg("threads") = 0,
      "The CPU reference as a runner: float models take float input, quantized ones the DPU's "
      "int8");

  m.def(
      "make_runners",
      [](const std::string& model_file, const std::string& backend, int runners, int batch,
         const std::string& kernels, int threads, const std::string& isolation,
         const std::string& weights_from, std::vector<std::string> inputs,
         std::vector<std::string> outputs, Shape input_shape, const std::string& vart_dpu_lib) {
        BackendOptions o;
        o.name = backend;
        o.runners = runners;
        o.batch = batch;
        o.cpu.kernels = parse_kernels(kernels);
        o.cpu.threads = threads;
        o.isolation = parse_isolation(isolation);
        o.model.weights_from = weights_from;
        o.model.inputs = std::move(inputs);
        o.model.outputs = std::move(outputs);
        o.model.input_shape = std::move(input_shape);
        o.vart_dpu_lib = vart_dpu_lib;
        std::vector<std::unique_ptr<Runner>> made;
        {
          py::gil_scoped_release release;
          made = make_runners(model_file, o);
        }
        std::vector<std::shared_ptr<PyRunner>> out;
        for (auto& r : made) out.push_back(std::make_shared<PyRunner>(std::move(r)));
        return out;
      },
      py::arg("model_file"), py::kw_only(), py::arg("backend") = "cpu", py::arg("runners") = 1,
      py::arg("batch") = 1, py::arg("kernels") = "fast", py::arg("threads") = 0,
      py::arg("isolation") = "auto", py::arg("weights_from") = "",
      py::arg("inputs") = std::vector<std::string>{},
      py::arg("outputs") = std::vector<std::string>{}, py::arg("input_shape") = Shape{},
      py::arg("vart_dpu_lib") = "",
      "Runners by backend ('cpu' or 'dpu'), as `dpurun eval --backend` makes them (runners=0: one "
      "per core)");
}

// ---- quantization ------------------------------------------------------------------------------

void bind_quantize(py::module_& m) {
  m.def(
      "quantize_input",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> x, int fix_point,
         const std::string& conversion) {
        InputConversion c = parse_input_conversion(conversion);
        py::array_t<std::int8_t> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
        const float* in = x.data();
        std::int8_t* o = out.mutable_data();
        const auto n = static_cast<std::size_t>(x.size());
        py::gil_scoped_release release;
        quantize_input(in, n, fix_point, o, c);
        return out;
      },
      py::arg("x"), py::arg("fix_point"), py::arg("conversion") = "round",
      "Float → int8 at a fix point as the DPU's input takes it: x·2^fix_point rounded half up and "
      "saturated "
      "('round'); or as an app does it: 'truncate', 'half-even', 'half-away', each optionally "
      "'-wrap'");
  m.def(
      "dequantize",
      [](py::array_t<std::int8_t, py::array::c_style | py::array::forcecast> x, int fix_point) {
        py::array_t<float> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
        TensorInfo t;
        t.type = DataType::kInt8;
        t.fix_point = fix_point;
        dequantize_tensor(t, reinterpret_cast<const std::byte*>(x.data()),
                          static_cast<std::size_t>(x.size()), out.mutable_data());
        return out;
      },
      py::arg("x"), py::arg("fix_point"), "int8 → float: x · 2^-fix_point");
}

// ---- the pool ----------------------------------------------------------------------------------

py::dict stats_dict(const PoolStats& s) {
  py::dict d;
  d["images"] = s.images;
  d["completed"] = s.completed;
  d["complete"] = s.complete();
  d["stopped"] = s.stopped;
  d["stop_reason"] = s.stop_reason;
  d["jobs"] = s.jobs;
  d["seconds"] = s.seconds;
  d["images_per_second"] = s.seconds > 0 ? static_cast<double>(s.completed) / s.seconds : 0.0;
  d["images_per_runner"] = s.images_per_runner;
  d["device_ms"] = s.device_ms;
  d["end_to_end_ms"] = s.end_to_end_ms;
  py::list failures;
  for (const auto& f : s.failures) {
    py::dict e;
    e["image"] = f.image;
    e["error"] = f.error;
    e["code"] = to_string(f.code);
    failures.append(e);
  }
  d["failures"] = failures;
  return d;
}

void bind_pool(py::module_& m) {
  m.def(
      "run_pool",
      [](const std::vector<std::shared_ptr<PyRunner>>& runners, const py::array& images,
         int timeout_ms, bool stop_on_error, int jobs_per_runner, int queue_depth,
         int preprocess_threads) {
        if (runners.empty()) fail(ErrorCode::kInvalidArgument, "run_pool: no runners");
        std::vector<Runner*> rs;
        for (const auto& r : runners) rs.push_back(&r->runner());
        TensorInfo in = rs[0]->input_tensors().at(0);
        in.shape[0] = 1;
        const std::size_t per_image = tensor_bytes(in);
        if (images.ndim() < 1 || images.shape(0) < 1)
          fail(ErrorCode::kInvalidArgument,
               "run_pool: images is " + describe(images) + ": give one image per row");
        const auto n = static_cast<std::size_t>(images.shape(0));
        in.shape[0] = static_cast<std::int64_t>(n);
        check_array(images, in, "images", false);
        const auto* base = static_cast<const std::byte*>(images.data());
        const TensorInfo& out_t = rs[0]->output_tensors().at(0);
        const auto out_count =
            static_cast<std::size_t>(element_count(out_t.shape) / out_t.shape[0]);
        py::array_t<float> outputs(std::vector<py::ssize_t>{static_cast<py::ssize_t>(n),
                                                            static_cast<py::ssize_t>(out_count)});
        float* out = outputs.mutable_data();
        PoolOptions o;
        o.jobs.timeout_ms = timeout_ms;
        o.jobs.stop_on_error = stop_on_error;
        o.jobs_per_runner = jobs_per_runner;
        o.queue_depth = queue_depth;
        o.preprocess_threads = preprocess_threads;
        PoolStats s = interruptible([&](const std::atomic<bool>& cancel) {
          o.jobs.cancel = &cancel;
          return run_pool(
              rs, n,
              [&](std::size_t i, const TensorInfo&, std::byte* dst) {
                std::memcpy(dst, base + i * per_image, per_image);
              },
              [&](std::size_t i, const float* y, std::size_t count) {
                std::memcpy(out + i * out_count, y, count * sizeof(float));
              },
              o);
        });
        return py::make_tuple(outputs, stats_dict(s));
      },
      py::arg("runners"), py::arg("images"), py::kw_only(), py::arg("timeout_ms") = 10000,
      py::arg("stop_on_error") = false, py::arg("jobs_per_runner") = 0, py::arg("queue_depth") = 0,
      py::arg("preprocess_threads") = 0,
      "Runs images (one per row, the runners' input dtype) through the runners, one thread each: "
      "(outputs as float32, one row per image, dequantized; stats). Rows of failed images stay 0.");
}

// ---- manifests and data ------------------------------------------------------------------------

void bind_data(py::module_& m) {
  py::class_<Manifest>(m, "Manifest",
                       "A model's manifest: its files, tensors, preprocessing and classes")
      .def_readonly("name", &Manifest::name)
      .def_readonly("path", &Manifest::path)
      .def_readonly("description", &Manifest::description)
      .def_readonly("files", &Manifest::files)
      .def_readonly("default_variant", &Manifest::default_variant)
      .def_readonly("input_name", &Manifest::input_name)
      .def_readonly("output_name", &Manifest::output_name)
      .def_readonly("input_shape", &Manifest::input_shape)
      .def_readonly("output_kind", &Manifest::output_kind)
      .def_readonly("classes", &Manifest::classes)
      .def_readonly("published_top1", &Manifest::published_top1)
      .def("model_file", &Manifest::model_file, py::arg("variant") = "")
      .def("to_json", &Manifest::to_json)
      .def_property_readonly("preprocessing",
                             [](const Manifest& mf) {
                               py::object all = json_loads(mf.to_json());
                               return py::object(all["preprocess"]);
                             })
      .def("__repr__", [](const Manifest& mf) { return "Manifest(" + mf.name + ")"; });

  m.def(
      "manifest",
      [](const std::string& model, const std::string& manifest) {
        return app::resolve_model(model, manifest, "").manifest;
      },
      py::arg("model"), py::arg("manifest") = "",
      "A manifest by name, by path, or the one that lists a model file (as `dpurun eval --model` "
      "finds it)");

  py::class_<Dataset>(
      m, "Dataset",
      "A labelled image set: a folder with labels.csv or class folders, or CIFAR-10 .bin")
      .def(py::init([](const std::string& path, const std::vector<std::string>& classes) {
             py::gil_scoped_release release;
             return Dataset::open(path, classes);
           }),
           py::arg("path"), py::arg("classes") = std::vector<std::string>{})
      .def("__len__", &Dataset::size)
      .def_property_readonly("kind", &Dataset::kind)
      .def_property_readonly("class_names", &Dataset::class_names)
      .def("name", &Dataset::name, py::arg("i"))
      .def("label", &Dataset::label, py::arg("i"))
      .def_property_readonly("labels",
                             [](const Dataset& d) {
                               py::array_t<std::int32_t> out(static_cast<py::ssize_t>(d.size()));
                               for (std::size_t i = 0; i < d.size(); ++i)
                                 out.mutable_data()[i] = d.label(i);
                               return out;
                             })
      .def(
          "load",
          [](const Dataset& d, std::vector<std::size_t> indices, const Manifest& mf,
             const TensorInfo& input, const std::string& conversion) {
            // The images as the runner's input takes them: the manifest's preprocessing, then
            // (for an int8 input) its fix point with the manifest's (or the given) conversion.
            Shape hwc(input.shape.begin() + 1, input.shape.end());
            if (hwc.size() != 3)
              fail(ErrorCode::kInvalidArgument,
                   "Dataset.load: input " + input.name + " is not NHWC: " + to_string(input.shape));
            const auto per = static_cast<std::size_t>(element_count(hwc));
            const bool int8 = input.type == DataType::kInt8 && input.fix_point;
            if (!int8 && input.type != DataType::kFloat32)
              fail(ErrorCode::kUnsupported,
                   "Dataset.load: input " + input.name + " is " + to_string(input.type));
            const InputConversion c = conversion.empty() ? mf.preprocessing.input_conversion
                                                         : parse_input_conversion(conversion);
            std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(indices.size())};
            shape.insert(shape.end(), hwc.begin(), hwc.end());
            py::array out(dtype_of(int8 ? DataType::kInt8 : DataType::kFloat32), shape);
            auto* dst = static_cast<std::byte*>(out.mutable_data());
            for (std::size_t i : indices)
              if (i >= d.size())
                fail(ErrorCode::kInvalidArgument, "Dataset.load: image " + std::to_string(i) +
                                                      " of " + std::to_string(d.size()));
            py::gil_scoped_release release;
            const unsigned threads =
                std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 8));
            std::vector<std::thread> pool;
            std::atomic<std::size_t> next{0};
            std::exception_ptr error;
            std::mutex error_mutex;
            for (unsigned t = 0; t < threads; ++t)
              pool.emplace_back([&] {
                std::vector<float> x(per);
                for (std::size_t k; (k = next++) < indices.size();) {
                  try {
                    float* f = int8 ? x.data() : reinterpret_cast<float*>(dst) + k * per;
                    d.load(indices[k], mf.preprocessing, hwc, f);
                    if (int8)
                      quantize_input(f, per, *input.fix_point,
                                     reinterpret_cast<std::int8_t*>(dst) + k * per, c);
                  } catch (...) {
                    std::lock_guard<std::mutex> lock(error_mutex);
                    if (!error) error = std::current_exception();
                    next = indices.size();
                  }
                }
              });
            for (auto& t : pool) t.join();
            if (error) std::rethrow_exception(error);
            return out;
          },
          py::arg("indices"), py::arg("manifest"), py::arg("input"), py::arg("conversion") = "",
          "Images decoded and preprocessed as the manifest says, for a runner's input tensor: "
          "float32, or int8 at its fix point (rounded and saturated as the manifest's "
          "input_conversion says)");
}

// ---- the CLI's commands ------------------------------------------------------------------------

// `dpurun COMMAND …` in process; its report read from the JSON file it wrote (json_flag: printed,
// as `inspect --json` does). Keyword arguments are the command's options: foo_bar=1 → --foo-bar 1,
// flag=True → --flag, a list → each value.
py::object run_command(const std::string& command, std::vector<std::string> positional,
                       const py::kwargs& kw, bool quiet_flag, bool json_flag = false) {
  std::vector<std::string> args{command};
  args.insert(args.end(), positional.begin(), positional.end());
  std::string json_path;
  for (auto [key, value] : kw) {
    std::string name = "--" + py::str(key).cast<std::string>();
    for (auto& ch : name)
      if (ch == '_') ch = '-';
    if (value.is_none()) continue;
    if (py::isinstance<py::bool_>(value)) {
      if (value.cast<bool>()) args.push_back(name);
      continue;
    }
    if (name == "--json" && !json_flag) {
      json_path = py::str(value);
      continue;
    }
    args.push_back(name);
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
      for (auto v : value) args.push_back(py::str(v));
    } else {
      args.push_back(py::str(value));
    }
  }
  const bool temporary = json_path.empty() && !json_flag;
  if (temporary) {
    char tmpl[] = "/tmp/dpurun-py-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) fail(ErrorCode::kIo, "cannot make a temporary file in /tmp for the report");
    close(fd);
    json_path = tmpl;
  }
  struct Remove {
    std::string path;
    bool on;
    ~Remove() {
      if (on) std::remove(path.c_str());
    }
  } remove{json_path, temporary};
  if (json_flag) {
    args.push_back("--json");
  } else {
    args.push_back("--json");
    args.push_back(json_path);
  }
  if (quiet_flag) args.push_back("--quiet");

  // What the CLI prints goes to memory: the report (json_flag), else text this call does not
  // return.
  std::string printed;
  int code = interruptible([&](const std::atomic<bool>& cancel) {
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    if (!out) fail(ErrorCode::kIo, "cannot capture dpurun " + command + "'s output");
    app::InProcess how;
    how.out = out;
    how.cancel = &cancel;
    int rc;
    try {
      rc = app::run_in_process(args, how);
    } catch (...) {
      std::fclose(out);
      std::free(text);
      throw;
    }
    std::fclose(out);
    printed.assign(text, size);
    std::free(text);
    return rc;
  });
  std::string report = printed;
  if (!json_flag) {
    std::ifstream in(json_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    report = text.str();
  }
  if (report.empty())
    fail(ErrorCode::kInternal,
         "dpurun " + command + " exited with " + std::to_string(code) + " and wrote no report");
  return json_loads(report);
}

void bind_commands(py::module_& m) {
  m.def(
      "eval", [](const py::kwargs& kw) { return run_command("eval", {}, kw, true); },
      "`dpurun eval` in process: eval(model='tf-resnet56-cifar10', data=…, limit=100, "
      "reference='float', …) "
      "→ its JSON report as a dict (complete: False when images failed and keep_going=True). Every "
      "option of "
      "`dpurun eval --help`, underscores for dashes.");
  m.def(
      "bench", [](const py::kwargs& kw) { return run_command("bench", {}, kw, true); },
      "`dpurun bench` in process → its JSON report as a dict. Every option of `dpurun bench "
      "--help`.");
  m.def(
      "check",
      [](const std::string& baseline, const py::kwargs& kw) {
        return run_command("check", {baseline}, kw, false);
      },
      py::arg("baseline"),
      "`dpurun check BASELINE` in process → the checks as a dict (passed: False when one failed)");
  m.def(
      "inspect",
      [](const std::string& model, const py::kwargs& kw) {
        return run_command("inspect", {model}, kw, false, true);
      },
      py::arg("model"),
      "`dpurun inspect MODEL --json` in process: what a model file holds, as a dict (weights=…)");
}

std::string module_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&module_dir), &info) == 0 || !info.dli_fname) return "";
  return std::filesystem::path(info.dli_fname).parent_path().string();
}

}  // namespace

PYBIND11_MODULE(dpurun, m) {
  m.doc() = "dpurun: run and benchmark Vitis AI DPU models, with a bit-exact CPU reference";
  m.attr("__version__") = version();
  const std::string dir = module_dir();
  if (!dir.empty())
    app::set_installed_models_dir(
        (std::filesystem::path(dir) / DPURUN_PY_TO_MODELS).lexically_normal().string());

  static py::exception<Error> error(m, "Error", PyExc_RuntimeError);
  g_error = error.ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      py::object exc = py::reinterpret_borrow<py::object>(g_error)(e.what());
      exc.attr("code") = to_string(e.code());
      PyErr_SetObject(g_error, exc.ptr());
    }
  });

  m.def("version", &version);
  m.def("models_dir", &app::models_dir,
        "Where manifests are found by name ($DPURUN_MODELS, else dpurun's own)");
  m.def("default_data", &app::default_data,
        "The data set eval runs on unless told ($DPURUN_DATA, else CIFAR-10)");
  m.def("have_vart", &have_vart, "True when this build can drive a DPU through VART");
  m.def("backend_names", &backend_names);
  bind_tensor(m);
  bind_model(m);
  bind_runners(m);
  bind_quantize(m);
  bind_pool(m);
  bind_data(m);
  bind_commands(m);
}

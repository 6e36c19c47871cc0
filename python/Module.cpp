// python/Module.cpp - the `cnnc` Python module: compile a .cnn model, load
// weights (a safetensors file, a dict of arrays or a torch state_dict) and run
// it on NumPy arrays with the GIL released. Type stubs: python/cnnc.pyi.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "python/Convert.h"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <shared_mutex>

namespace cnnc::python {

namespace {

/// A compiled model and how it was compiled (dump_graph compiles it again,
/// without code generation, to write the stage graphs).
struct PyModel {
  Model model;
  std::string path, source; // one of them
  Options options;
  /// run() may overlap with run(), not with load_weights() (cnnc.h's contract).
  mutable std::shared_mutex weightsLock;
};

/// A path (os.PathLike, or a str without a newline or brace) or the model's source.
std::unique_ptr<PyModel> compileModel(const py::object &pathOrSource, int threads, int batch,
                                      const std::string &target, bool winograd, bool checkArena,
                                      const py::object &cacheDir) {
  Options o;
  if (!cacheDir.is_none())
    o.cacheDir = py::str(py::module_::import("os").attr("fspath")(cacheDir));
  o.threads = threads;
  o.batch = batch;
  o.target = parseTarget(target);
  o.winograd = winograd;
  o.checkArena = checkArena;
  std::string text = py::str(py::module_::import("os").attr("fspath")(pathOrSource));
  const bool isSource =
      py::isinstance<py::str>(pathOrSource) && text.find_first_of("\n{") != std::string::npos;
  std::string path = isSource ? "" : text, source = isSource ? text : "";
  py::gil_scoped_release unlocked; // compiling takes a while; other threads may run
  Model m = isSource ? Model::compileString(source, "<string>", o) : Model::compileFile(path, o);
  return std::unique_ptr<PyModel>(new PyModel{std::move(m), path, source, o, {}});
}

/// An ONNX model takes and returns the graph's own layout ([batch, C, H, W]),
/// as `cnnc run MODEL.onnx` does; runSourceLayout transposes, so it copies anyway.
std::vector<Tensor> runOnnx(const Model &model, const std::vector<TensorView> &views) {
  std::vector<Tensor> xs;
  for (const TensorView &v : views) {
    Tensor t(v.shape);
    std::copy(v.data, v.data + t.size(), t.data());
    xs.push_back(std::move(t));
  }
  return model.runSourceLayout(xs);
}

py::object run(const PyModel &self, const py::args &args) {
  InputArrays inputs(args);
  std::vector<Tensor> outputs;
  {
    py::gil_scoped_release unlocked;
    std::shared_lock lock(self.weightsLock);
    outputs = self.model.channelsFirst() ? runOnnx(self.model, inputs.views())
                                         : self.model.runViews(inputs.views());
  }
  if (outputs.size() == 1)
    return toNumpy(std::move(outputs[0]));
  py::tuple all(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i)
    all[i] = toNumpy(std::move(outputs[i]));
  return all;
}

void loadWeights(PyModel &self, const py::object &weights) {
  const bool isPath = py::isinstance<py::str>(weights) || py::hasattr(weights, "__fspath__");
  if (!isPath && !py::hasattr(weights, "items"))
    throw py::type_error("load_weights takes a .safetensors path or a mapping of name to array "
                         "(a dict of NumPy arrays or a torch state_dict)");
  WeightMap w;
  std::string path;
  if (isPath)
    path = py::str(py::module_::import("os").attr("fspath")(weights));
  else
    w = weightMap(weights);
  py::gil_scoped_release unlocked;
  std::unique_lock lock(self.weightsLock);
  if (isPath)
    self.model.loadWeights(path);
  else
    self.model.loadWeights(w);
}

/// Seconds of each of `runs` calls of Model::runAll from C++ on `inputs` (a tuple):
/// bench/python_overhead.py's baseline for the cost a Python call adds.
std::vector<double> timeCpp(const PyModel &self, const py::tuple &args, int runs) {
  InputArrays inputs(args);
  std::vector<Tensor> xs;
  for (const TensorView &v : inputs.views()) {
    Tensor t(v.shape);
    std::copy(v.data, v.data + t.size(), t.data());
    xs.push_back(std::move(t));
  }
  std::vector<double> seconds(std::max(runs, 0));
  py::gil_scoped_release unlocked;
  std::shared_lock lock(self.weightsLock);
  for (double &s : seconds) {
    auto t0 = std::chrono::steady_clock::now();
    self.model.runAll(xs);
    s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return seconds;
}

py::dict randomWeights(PyModel &self, uint64_t seed) {
  WeightMap w;
  {
    py::gil_scoped_release unlocked;
    std::unique_lock lock(self.weightsLock);
    w = self.model.randomWeights(seed);
  }
  py::dict d;
  for (auto &[key, t] : w)
    d[py::str(key)] = toNumpy(std::move(t));
  return d;
}

/// Compiles the model again without code generation, writing DIR/NN-<stage>.FORMAT.
void dumpGraph(const PyModel &self, const std::filesystem::path &dir, const std::string &format) {
  if (format != "dot" && format != "svg" && format != "png")
    throw py::value_error("dump_graph: format must be 'dot', 'svg' or 'png', not '" + format + "'");
  Options o = self.options;
  o.generateCode = false;
  o.dumpGraphDir = dir.string();
  o.dumpFormat = format;
  py::gil_scoped_release unlocked;
  if (self.path.empty())
    Model::compileString(self.source, "<string>", o);
  else
    Model::compileFile(self.path, o);
}

/// The shapes model(x) takes or returns: a .cnn model's per image (a batch axis
/// is optional), an ONNX model's in the graph's own layout with the batch axis.
std::vector<Shape> callShapes(const Model &m, bool inputs) {
  if (!m.channelsFirst())
    return inputs ? m.inputShapes() : m.outputShapes();
  std::vector<Shape> shapes = inputs ? m.sourceInputShapes() : m.sourceOutputShapes();
  for (Shape &s : shapes)
    s[0] = m.batch();
  return shapes;
}

/// input_shape / output_shape: Model::inputShape()'s error when there are several.
py::tuple onlyShape(const Model &m, bool inputs) {
  const Shape one = inputs ? m.inputShape() : m.outputShape();
  return shapeTuple(m.channelsFirst() ? callShapes(m, inputs)[0] : one);
}

py::list shapeList(const std::vector<Shape> &shapes) {
  py::list l;
  for (const Shape &s : shapes)
    l.append(shapeTuple(s));
  return l;
}

/// "name [28, 28, 1]" or "(a [..], b [..])"
std::string signature(const std::vector<std::string> &names, const std::vector<Shape> &shapes) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? ", " : "") + names[i] + " " + shapeToString(shapes[i]);
  return names.size() == 1 ? s : "(" + s + ")";
}

std::string repr(const PyModel &self) {
  const Model &m = self.model;
  return "<cnnc.Model '" + m.name() + "': " + signature(m.inputNames(), callShapes(m, true)) +
         " -> " + signature(m.outputNames(), callShapes(m, false)) + ", batch " +
         std::to_string(m.batch()) + ", threads " + std::to_string(m.threads()) + ", target " +
         m.targetDescription() + ">";
}

void bindInfo(py::module_ &m) {
  py::class_<LayerInfo>(m, "Layer", "One row of the summary table.")
      .def_readonly("name", &LayerInfo::name)
      .def_readonly("type", &LayerInfo::type)
      .def_property_readonly("output_shape",
                             [](const LayerInfo &l) { return shapeTuple(l.outputShape); })
      .def_readonly("params", &LayerInfo::params)
      .def_readonly("trainable", &LayerInfo::trainable)
      .def_readonly("inputs", &LayerInfo::inputs)
      .def("__repr__", [](const LayerInfo &l) {
        return "<cnnc.Layer " + l.name + " " + l.type + " " + shapeToString(l.outputShape) + ", " +
               std::to_string(l.params) + " params>";
      });
  py::class_<MemoryInfo>(m, "Memory", "The activation arena of one run (bytes).")
      .def_readonly("arena_bytes", &MemoryInfo::arenaBytes)
      .def_readonly("naive_bytes", &MemoryInfo::naiveBytes)
      .def_readonly("largest_bytes", &MemoryInfo::largestBytes)
      .def_readonly("table", &MemoryInfo::table)
      .def("__repr__", [](const MemoryInfo &mi) {
        return "<cnnc.Memory arena " + std::to_string(mi.arenaBytes) + " bytes (naive " +
               std::to_string(mi.naiveBytes) + ")>";
      });
}

void bindShapes(py::class_<PyModel> &c) {
  c.def_property_readonly("input_shape", [](const PyModel &s) { return onlyShape(s.model, true); })
      .def_property_readonly("output_shape",
                             [](const PyModel &s) { return onlyShape(s.model, false); })
      .def_property_readonly("input_shapes",
                             [](const PyModel &s) { return shapeList(callShapes(s.model, true)); })
      .def_property_readonly("output_shapes",
                             [](const PyModel &s) { return shapeList(callShapes(s.model, false)); })
      .def_property_readonly("channels_first",
                             [](const PyModel &s) { return s.model.channelsFirst(); })
      .def_property_readonly("input_names", [](const PyModel &s) { return s.model.inputNames(); })
      .def_property_readonly("output_names", [](const PyModel &s) { return s.model.outputNames(); })
      .def("weight_shapes", [](const PyModel &s) {
        py::dict d;
        for (auto &[key, shape] : s.model.weightShapes())
          d[py::str(key)] = shapeTuple(shape);
        return d;
      });
}

void bindModel(py::module_ &m) {
  py::class_<PyModel> c(m, "Model", "A compiled model: cnnc.compile(...).");
  c.def("__call__", &run).def("run", &run);
  c.def("load_weights", &loadWeights, py::arg("weights"))
      .def("random_weights", &randomWeights, py::arg("seed"))
      .def("dump_graph", &dumpGraph, py::arg("dir"), py::arg("format") = "svg")
      .def("summary", [](const PyModel &s) { return s.model.summary(); })
      .def("ir", [](const PyModel &s) { return s.model.ir(); })
      .def("__repr__", &repr)
      .def("_time_cpp", &timeCpp, py::arg("inputs"), py::arg("runs"));
  bindShapes(c);
  c.def_property_readonly("name", [](const PyModel &s) { return s.model.name(); })
      .def_property_readonly("layers", [](const PyModel &s) { return s.model.layers(); })
      .def_property_readonly("flops", [](const PyModel &s) { return s.model.flops(); })
      .def_property_readonly("memory", [](const PyModel &s) { return s.model.memory(); })
      .def_property_readonly("params", [](const PyModel &s) { return s.model.totalParams(); })
      .def_property_readonly("trainable_params",
                             [](const PyModel &s) { return s.model.trainableParams(); })
      .def_property_readonly("batch", [](const PyModel &s) { return s.model.batch(); })
      .def_property_readonly("threads", [](const PyModel &s) { return s.model.threads(); })
      .def_property_readonly("target", [](const PyModel &s) { return s.model.targetDescription(); })
      .def_property_readonly("from_cache", [](const PyModel &s) { return s.model.fromCache(); })
      .def_property_readonly("compile_seconds",
                             [](const PyModel &s) { return s.model.compileSeconds(); });
}

} // namespace

PYBIND11_MODULE(cnnc, m) {
  m.doc() = "cnnc: compile .cnn convolutional networks to native code and run them on NumPy "
            "arrays.";
  py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  bindInfo(m);
  bindModel(m);
  m.def("compile", &compileModel, py::arg("path_or_source"), py::kw_only(), py::arg("threads") = 1,
        py::arg("batch") = 1, py::arg("target") = "host", py::arg("winograd") = true,
        py::arg("check_arena") = false, py::arg("cache_dir") = py::none(),
        "Compiles a .cnn or .onnx model from a path, or .cnn source text. cache_dir: the "
        "compile cache (default $XDG_CACHE_HOME/cnnc; \"\" turns it off).");
  m.def(
      "random_input",
      [](const std::vector<int64_t> &shape, uint64_t seed, const std::string &key) {
        return toNumpy(randomInput(shape, seed, key));
      },
      py::arg("shape"), py::arg("seed"), py::arg("key") = "input",
      "The random input of `cnnc run --random-input SEED`: values in [0, 1).");
}

} // namespace cnnc::python

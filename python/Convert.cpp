// python/Convert.cpp - NumPy arrays to and from cnnc tensors.
#include "python/Convert.h"

#include <cstring>

namespace cnnc::python {

namespace {

/// Borrowable as it is: float32 in native byte order, C-contiguous, aligned.
bool borrowable(const py::handle &obj) {
  if (!py::array::check_(obj))
    return false;
  auto a = py::reinterpret_borrow<py::array>(obj);
  constexpr int flags = int(py::array::c_style) | int(py::detail::npy_api::NPY_ARRAY_ALIGNED_);
  return a.dtype().is(py::dtype::of<float>()) && (a.flags() & flags) == flags;
}

Shape shapeOf(const py::array &a) { return Shape(a.shape(), a.shape() + a.ndim()); }

/// `obj` as a float32 C-order array: itself when borrowable, else a converted copy.
py::array floatArray(const py::handle &obj, const char *what) {
  if (borrowable(obj))
    return py::reinterpret_borrow<py::array>(obj);
  auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(obj);
  if (!a) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + " is not an array of numbers (got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))) + ")");
  }
  return a;
}

} // namespace

InputArrays::InputArrays(const py::tuple &args) {
  arrays_.reserve(args.size());
  views_.reserve(args.size());
  for (const py::handle &arg : args) {
    arrays_.push_back(floatArray(arg, "an input"));
    const py::array &a = arrays_.back();
    views_.push_back({static_cast<const float *>(a.data()), shapeOf(a)});
  }
}

py::array toNumpy(Tensor &&t) {
  auto *owned = new Tensor(std::move(t));
  py::capsule free(owned, [](void *p) { delete static_cast<Tensor *>(p); });
  std::vector<py::ssize_t> shape(owned->shape().begin(), owned->shape().end());
  return py::array_t<float>(shape, owned->data(), free);
}

WeightMap weightMap(const py::handle &mapping) {
  WeightMap w;
  for (const py::handle &item : mapping.attr("items")()) {
    auto kv = py::reinterpret_borrow<py::tuple>(item);
    std::string key = py::str(kv[0]);
    py::object value = kv[1];
    if (py::hasattr(value, "detach")) // a torch tensor, maybe on a GPU or requiring grad
      value = value.attr("detach")().attr("cpu")().attr("numpy")();
    py::array any = py::array::ensure(value);
    if (!any) {
      PyErr_Clear();
      throw py::type_error("weight '" + key + "' is not an array");
    }
    char kind = any.dtype().kind();
    if (kind == 'i' || kind == 'u' || kind == 'b')
      continue; // a counter such as num_batches_tracked, not a parameter
    py::array a = floatArray(any, ("weight '" + key + "'").c_str());
    Tensor t(shapeOf(a));
    std::memcpy(t.data(), a.data(), t.size() * sizeof(float));
    w[key] = std::move(t);
  }
  return w;
}

py::tuple shapeTuple(const Shape &shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    t[i] = py::int_(shape[i]);
  return t;
}

} // namespace cnnc::python

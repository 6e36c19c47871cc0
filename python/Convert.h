// python/Convert.h - NumPy arrays to and from cnnc tensors, for the Python module.
#pragma once

#include "cnnc/cnnc.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <vector>

namespace cnnc::python {

namespace py = pybind11;

/// The model's inputs as views of NumPy memory. A float32, C-contiguous,
/// aligned array is borrowed as it is; anything else array-like is converted
/// once, and the converted copy is kept here for as long as the views live.
class InputArrays {
public:
  explicit InputArrays(const py::tuple &args);
  const std::vector<TensorView> &views() const { return views_; }

private:
  std::vector<py::array> arrays_; // the borrowed or converted arrays, kept alive
  std::vector<TensorView> views_;
};

/// A NumPy array that owns `t` (moved to the heap, freed with the array): no copy.
py::array toNumpy(Tensor &&t);

/// Weights from a mapping of key -> array-like: NumPy arrays, or torch tensors
/// (a state_dict; `.detach().cpu().numpy()`), converted to float32. Integer and
/// boolean tensors (batchnorm's num_batches_tracked) are skipped, as
/// loadSafetensors skips them.
WeightMap weightMap(const py::handle &mapping);

/// A shape as a Python tuple.
py::tuple shapeTuple(const Shape &shape);

} // namespace cnnc::python

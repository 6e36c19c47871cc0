// cnnc/Tensor.h - a dense f32 tensor with 64-byte aligned storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnnc {

/// Every user-facing failure (a bad model, weights file, array or option) is a
/// cnnc::Error; what() holds the full diagnostic text, one error per line.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Shape = std::vector<int64_t>;

/// Number of elements of a shape; throws Error on a negative dimension or overflow.
int64_t numElements(const Shape &shape);
/// "[28, 28, 1]"
std::string shapeToString(const Shape &shape);

/// A row-major (C order) float tensor. Storage is 64-byte aligned and zeroed.
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(Shape shape);
  Tensor(Shape shape, const std::vector<float> &values);
  Tensor(const Tensor &other);            // deep copy
  Tensor &operator=(const Tensor &other); // deep copy
  Tensor(Tensor &&other) noexcept;        // leaves `other` empty, like Tensor()
  Tensor &operator=(Tensor &&other) noexcept;

  const Shape &shape() const { return shape_; }
  int64_t size() const { return size_; }
  float *data() { return data_.get(); }
  const float *data() const { return data_.get(); }
  float &operator[](int64_t i) { return data_.get()[i]; }
  float operator[](int64_t i) const { return data_.get()[i]; }
  /// Same data, new shape with the same element count (throws Error otherwise).
  Tensor reshaped(Shape shape) const;

private:
  struct Free {
    void operator()(float *p) const;
  };
  Shape shape_;
  int64_t size_ = 0;
  std::unique_ptr<float, Free> data_;
};

/// Weights by key: "<layer>.weight", "<layer>.bias", in PyTorch layouts
/// (conv OIHW, dense [out, in]).
using WeightMap = std::map<std::string, Tensor>;

/// Read-only float data in C order that the caller owns, with its shape
/// (Model::runViews). Any alignment: it is only copied from.
struct TensorView {
  const float *data = nullptr;
  Shape shape;
};

/// Weights by key as views: a WeightMap's tensors, or a memory-mapped
/// safetensors file's (MappedSafetensors), packed without a copy.
using WeightViews = std::map<std::string, TensorView>;
WeightViews viewsOf(const WeightMap &weights);

} // namespace cnnc

// runtime/Tensor.cpp - shapes and the dense f32 tensor with 64-byte aligned, zeroed storage.
#include "cnnc/Tensor.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace cnnc {

namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kHugePage = 2u << 20;

/// Allocates `count` zeroed floats, 64-byte aligned. Returns null for count 0.
float *allocateFloats(int64_t count) {
  if (count == 0)
    return nullptr;
  constexpr auto maxCount = (std::numeric_limits<std::size_t>::max() - kAlignment) / sizeof(float);
  if (count < 0 || static_cast<uint64_t>(count) > maxCount)
    throw Error("tensor of " + std::to_string(count) + " elements is too large to allocate");
  std::size_t bytes = static_cast<std::size_t>(count) * sizeof(float);
  // A buffer of 2 MB or more (an arena, packed weights) asks for transparent
  // huge pages: a layer that streams 10 MB of weights otherwise misses the TLB
  // every 4 KB. std::aligned_alloc requires the size to be a multiple of the
  // alignment.
  const std::size_t align = bytes >= kHugePage ? kHugePage : kAlignment;
  bytes = (bytes + align - 1) / align * align;
  void *p = std::aligned_alloc(align, bytes);
  if (!p)
    throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for a tensor");
  if (align == kHugePage)
    ::madvise(p, bytes, MADV_HUGEPAGE); // advice: without it, ordinary pages
  std::memset(p, 0, bytes);
  return static_cast<float *>(p);
}

} // namespace

Tensor::Tensor(Tensor &&other) noexcept
    : shape_(std::exchange(other.shape_, Shape{})), size_(std::exchange(other.size_, 0)),
      data_(std::move(other.data_)) {}

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  shape_ = std::exchange(other.shape_, Shape{});
  size_ = std::exchange(other.size_, 0);
  data_ = std::move(other.data_);
  return *this;
}

int64_t numElements(const Shape &shape) {
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim < 0)
      throw Error("shape " + shapeToString(shape) + " has a negative dimension " +
                  std::to_string(dim));
    empty = empty || dim == 0;
  }
  if (empty)
    return 0; // A zero dimension empties the tensor, whatever the other dimensions are.
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (count > std::numeric_limits<int64_t>::max() / dim)
      throw Error("shape " + shapeToString(shape) + " has too many elements (overflows int64)");
    count *= dim;
  }
  return count;
}

std::string shapeToString(const Shape &shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

void Tensor::Free::operator()(float *p) const { std::free(p); }

Tensor::Tensor(Shape shape) : shape_(std::move(shape)), size_(numElements(shape_)) {
  data_.reset(allocateFloats(size_));
}

Tensor::Tensor(Shape shape, const std::vector<float> &values) : shape_(std::move(shape)) {
  size_ = numElements(shape_);
  if (static_cast<uint64_t>(size_) != values.size())
    throw Error("tensor of shape " + shapeToString(shape_) + " needs " + std::to_string(size_) +
                " values, got " + std::to_string(values.size()));
  data_.reset(allocateFloats(size_));
  if (size_ > 0)
    std::memcpy(data_.get(), values.data(), static_cast<std::size_t>(size_) * sizeof(float));
}

Tensor::Tensor(const Tensor &other) : shape_(other.shape_), size_(other.size_) {
  data_.reset(allocateFloats(size_));
  if (size_ > 0)
    std::memcpy(data_.get(), other.data_.get(), static_cast<std::size_t>(size_) * sizeof(float));
}

Tensor &Tensor::operator=(const Tensor &other) {
  if (this != &other) {
    Tensor copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (numElements(shape) != size_)
    throw Error("cannot reshape a tensor of shape " + shapeToString(shape_) + " (" +
                std::to_string(size_) + " elements) to " + shapeToString(shape) + " (" +
                std::to_string(numElements(shape)) + " elements)");
  Tensor result(*this);
  result.shape_ = std::move(shape);
  return result;
}

WeightViews viewsOf(const WeightMap &weights) {
  WeightViews views;
  for (const auto &[key, t] : weights)
    views.emplace(key, TensorView{t.data(), t.shape()});
  return views;
}

} // namespace cnnc

// runtime/Io.h - weights (safetensors) and arrays (.npy) in and out.
// Every malformed file is a cnnc::Error naming the file (and the key), never a crash.
#pragma once

#include "cnnc/Tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace cnnc {

/// Reads a safetensors file: 8-byte little-endian header length N, N bytes of
/// JSON {"key": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {...}}, then the data. F32 tensors are read; integer ones
/// (I64, I32, I16, I8, U8, BOOL: a state_dict's counters such as
/// num_batches_tracked) are checked and skipped, listed in `skipped` as
/// "key (I64)"; any other dtype is an error.
WeightMap readSafetensors(const std::string &path, std::vector<std::string> *skipped = nullptr);
/// Parses an in-memory safetensors image; `name` is used in error messages.
WeightMap parseSafetensors(const std::string &bytes, const std::string &name,
                           std::vector<std::string> *skipped = nullptr);
void writeSafetensors(const std::string &path, const WeightMap &weights);

/// A safetensors file mapped into memory: its F32 tensors as views of the
/// mapping, so packing reads the file's pages without a copy (tensors not
/// 4-byte aligned in the file are copied). Errors as readSafetensors.
class MappedSafetensors {
public:
  explicit MappedSafetensors(const std::string &path, std::vector<std::string> *skipped = nullptr);
  ~MappedSafetensors();
  MappedSafetensors(const MappedSafetensors &) = delete;
  MappedSafetensors &operator=(const MappedSafetensors &) = delete;
  const WeightViews &views() const { return views_; }
  /// Drops the whole pages within [data, data + floats) from this process
  /// (they stay in the page cache): packing calls it on what it has read, so
  /// memory stays near the packed size.
  void release(const float *data, int64_t floats) const;

private:
  void *base_ = nullptr;
  size_t size_ = 0;
  std::unique_ptr<WeightMap> copy_;
  WeightViews views_;
};

/// Reads a .npy file (versions 1.0-3.0) as float32: float16/32/64, int8-64,
/// uint8-64 and bool, little- or big-endian, are converted, and a Fortran-order
/// array is transposed to C order. `note`, when given, says what was converted
/// ("float64 converted to float32"), or is "" for a '<f4' C-order array.
Tensor readNpy(const std::string &path, std::string *note = nullptr);
Tensor parseNpy(const std::string &bytes, const std::string &name, std::string *note = nullptr);
void writeNpy(const std::string &path, const Tensor &tensor);
/// A .npy file's bytes.
std::string npyBytes(const Tensor &tensor);
/// Writes a .npz: an uncompressed zip of KEY.npy entries, which numpy.load
/// reads as a mapping from KEY to array. Keys must differ; the file must fit
/// in plain zip's 4 GiB (no zip64).
void writeNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &arrays);

} // namespace cnnc

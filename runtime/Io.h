// runtime/Io.h - weights (safetensors) and arrays (.npy) in and out.
// Every malformed file is a cnnc::Error naming the file (and the key), never a crash.
#pragma once

#include "cnnc/Tensor.h"

#include <string>

namespace cnnc {

/// Reads a safetensors file: 8-byte little-endian header length N, N bytes of
/// JSON {"key": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {...}}, then the data. Only F32 is accepted.
WeightMap readSafetensors(const std::string &path);
/// Parses an in-memory safetensors image; `name` is used in error messages.
WeightMap parseSafetensors(const std::string &bytes, const std::string &name);
void writeSafetensors(const std::string &path, const WeightMap &weights);

/// Reads a .npy file (versions 1.0-3.0, dtype '<f4', C order).
Tensor readNpy(const std::string &path);
Tensor parseNpy(const std::string &bytes, const std::string &name);
void writeNpy(const std::string &path, const Tensor &tensor);

} // namespace cnnc

// cnnc/Io.h - arrays (.npy) and weights (.safetensors) from and to files, and
// deterministic random inputs. Every malformed file is a cnnc::Error naming it.
#pragma once

#include "cnnc/Tensor.h"

#include <cstdint>
#include <string>

namespace cnnc {

/// Reads a .npy array (versions 1.0-3.0, dtype '<f4', C order).
Tensor loadNpy(const std::string &path);
/// Writes a .npy array (dtype '<f4', C order).
void saveNpy(const std::string &path, const Tensor &tensor);

/// Reads a safetensors file (F32 only; PyTorch key names and layouts).
WeightMap loadSafetensors(const std::string &path);
void saveSafetensors(const std::string &path, const WeightMap &weights);

/// A random input in [0, 1), like an image scaled to unit range: the generator
/// of Model::randomWeights under the key "input", so the same seed gives the same values.
Tensor randomInput(const Shape &shape, uint64_t seed);

} // namespace cnnc

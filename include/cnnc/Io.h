// cnnc/Io.h - arrays (.npy) and weights (.safetensors) from and to files, and
// deterministic random inputs. Every malformed file is a cnnc::Error naming it.
#pragma once

#include "cnnc/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc {

/// Reads a .npy array (versions 1.0-3.0, dtype '<f4', C order).
Tensor loadNpy(const std::string &path);
/// Writes a .npy array (dtype '<f4', C order).
void saveNpy(const std::string &path, const Tensor &tensor);
/// Writes a .npz (an uncompressed zip of KEY.npy files; numpy.load reads it as
/// {KEY: array}): cnnc run --output y.npz, one entry per output name.
void saveNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &arrays);

/// Reads a safetensors file (PyTorch key names and layouts). F32 tensors are
/// read; integer ones (a state_dict's counters such as batchnorm's
/// num_batches_tracked) are skipped and listed in `skipped` ("key (I64)").
WeightMap loadSafetensors(const std::string &path, std::vector<std::string> *skipped = nullptr);
void saveSafetensors(const std::string &path, const WeightMap &weights);

/// A random input in [0, 1), like an image scaled to unit range: the generator
/// of Model::randomWeights under `key`, so the same seed gives the same values.
/// cnnc run --random-input uses the keys "input", "input_1", ... for a model's inputs.
Tensor randomInput(const Shape &shape, uint64_t seed, const std::string &key = "input");

} // namespace cnnc

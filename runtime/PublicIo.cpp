// runtime/PublicIo.cpp - the public file I/O (include/cnnc/Io.h), in the runtime so a
// program that links libcnnc_runtime alone (cnnc compile's objects) has it: forwards to Io.h.
#include "cnnc/Io.h"
#include "runtime/Io.h"
#include "runtime/Random.h"

#include <algorithm>

namespace cnnc {

Tensor loadNpy(const std::string &path, std::string *note) { return readNpy(path, note); }
void saveNpy(const std::string &path, const Tensor &tensor) { writeNpy(path, tensor); }
void saveNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &arrays) {
  writeNpz(path, arrays);
}

WeightMap loadSafetensors(const std::string &path, std::vector<std::string> *skipped) {
  return readSafetensors(path, skipped);
}
void saveSafetensors(const std::string &path, const WeightMap &weights) {
  writeSafetensors(path, weights);
}

Tensor randomInput(const Shape &shape, uint64_t seed, const std::string &key) {
  Tensor x = randomTensor(shape, seed, key, 1.0);
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = 0.5f * (x[i] + 1.f); // [-1, 1) to [0, 1)
  return x;
}

} // namespace cnnc

// runtime/Random.cpp - the deterministic weight generator documented in Random.h.
// scripts/make_fixtures.py reimplements it bit for bit; change neither alone.
#include "runtime/Random.h"

#include <cmath>

namespace cnnc {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t fnv1a64(const std::string &key) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char b : key)
    h = (h ^ b) * 0x100000001B3ULL;
  return h;
}

Tensor randomTensor(const Shape &shape, uint64_t seed, const std::string &key, double bound,
                    double center) {
  Tensor tensor(shape);
  const uint64_t k = splitmix64(seed ^ fnv1a64(key));
  for (int64_t i = 0; i < tensor.size(); ++i) {
    // The top 24 bits make u exact in double and in float: u in [0, 1), step 2^-24.
    double u = static_cast<double>(splitmix64(k + static_cast<uint64_t>(i)) >> 40) / 16777216.0;
    tensor[i] = static_cast<float>(center + (2.0 * u - 1.0) * bound); // no FMA: see CMakeLists
  }
  return tensor;
}

namespace {

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

RandomInit randomInit(const std::string &key, const Shape &shape) {
  if (endsWith(key, ".running_var"))
    return {0.5, 1.0};
  if (!endsWith(key, ".weight"))
    return {0.1, 0.0}; // ".bias", ".running_mean" and any other key.
  if (shape.size() == 1)
    return {0.1, 1.0}; // a normalisation's scale
  // He uniform over the fan-in: every dimension but the first (output) one.
  // A weight with no "rest" dimensions (or an empty one) uses fan_in 1.
  Shape rest = shape.empty() ? Shape{} : Shape(shape.begin() + 1, shape.end());
  int64_t fanIn = numElements(rest);
  if (fanIn <= 0)
    fanIn = 1;
  return {std::sqrt(6.0 / static_cast<double>(fanIn)), 0.0};
}

} // namespace cnnc

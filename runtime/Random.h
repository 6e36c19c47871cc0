// runtime/Random.h - the deterministic weight generator shared with
// scripts/make_fixtures.py (which reimplements it in numpy, bit for bit).
//
//   splitmix64(x): x += 0x9E3779B97F4A7C15;
//                  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
//                  x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
//                  return x ^ (x >> 31);                         (mod 2^64)
//   fnv1a64(key):  h = 0xCBF29CE484222325; for each byte b: h = (h ^ b) * 0x100000001B3
//   k = splitmix64(seed ^ fnv1a64(key))
//   element i (C order): u = (splitmix64(k + i) >> 40) / 2^24   in [0, 1)
//                        value = float((2u - 1) * bound)  computed in double
//
// Bounds (Model::randomWeights): a ".weight" of shape [out, rest...] gets
// sqrt(6 / prod(rest)) (He uniform); a ".bias" gets 0.1.
#pragma once

#include "cnnc/Tensor.h"

#include <cstdint>
#include <string>

namespace cnnc {

uint64_t splitmix64(uint64_t x);
uint64_t fnv1a64(const std::string &key);
Tensor randomTensor(const Shape &shape, uint64_t seed, const std::string &key, double bound);
/// The bound Model::randomWeights uses for a key of this shape.
double randomBound(const std::string &key, const Shape &shape);

} // namespace cnnc

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
//                        value = float(center + (2u - 1) * bound)  computed in double
//
// Centre and bound (Model::randomWeights, randomInit below):
//   ".running_var"                      1 +- 0.5  (a batchnorm's variance stays positive)
//   ".weight" of rank 1 (a norm's scale) 1 +- 0.1
//   ".weight" of shape [out, rest...]   0 +- sqrt(6 / prod(rest))  (He uniform)
//   anything else (".bias", ".running_mean") 0 +- 0.1
#pragma once

#include "cnnc/Tensor.h"

#include <cstdint>
#include <string>

namespace cnnc {

uint64_t splitmix64(uint64_t x);
uint64_t fnv1a64(const std::string &key);
Tensor randomTensor(const Shape &shape, uint64_t seed, const std::string &key, double bound,
                    double center = 0);

struct RandomInit {
  double bound, center;
};
/// The bound and centre Model::randomWeights uses for a key of this shape.
RandomInit randomInit(const std::string &key, const Shape &shape);

} // namespace cnnc

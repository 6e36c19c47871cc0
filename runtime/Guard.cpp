// runtime/Guard.cpp - the canary, compared bit for bit.
#include "runtime/Guard.h"

#include <cstring>

namespace cnnc {

static const uint32_t Canary = 0x7fa5c0deu; // a quiet NaN with a payload

void fillGuard(float *p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(p + i, &Canary, 4);
}

int64_t firstClobbered(const float *p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, p + i, 4);
    if (bits != Canary)
      return i;
  }
  return -1;
}

} // namespace cnnc

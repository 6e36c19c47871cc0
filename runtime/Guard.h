// runtime/Guard.h - guard zones for the arena-bounds debug mode
// (Options::checkArena): memory planning leaves `GuardFloats` floats before
// and after every buffer, the runtime fills them with a canary before the
// buffer's producer runs and checks them after every kernel. The generated
// code is not instrumented by the sanitizers, so this is how tests catch a
// kernel that writes outside its slice.
#pragma once

#include <cstdint>

namespace cnnc {

constexpr int64_t GuardFloats = 64; // 256 bytes each side

/// Fills n floats with the canary (a NaN bit pattern no kernel computes).
void fillGuard(float *p, int64_t n);
/// Index of the first float of p[0, n) that is not the canary, or -1.
int64_t firstClobbered(const float *p, int64_t n);

} // namespace cnnc

// runtime/Simd.h - the runtime's data-parallel loops, in Google Highway with
// dynamic dispatch: each call runs the best variant this CPU supports (AVX3,
// AVX2, SSE4, SSSE3, EMU128 on x86), so one binary serves every x86 level.
// tests/runtime/test_simd.cpp checks each against a scalar loop on every
// target the CPU supports.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cnnc::simd {

/// The rows of `index` and `weights` (and of vertical's `scale` and `bias`)
/// are padded to a multiple of this many lanes, so the loops read whole vectors.
constexpr size_t kPadFloats = 64;
inline size_t padded(size_t n) { return (n + kPadFloats - 1) / kPadFloats * kPadFloats; }

/// out[i] = in[i], i < n.
void u8ToF32(const uint8_t *in, float *out, size_t n);

/// One row of a separable resampling pass, the taps as a gather: for i < n,
/// out[i] = clamp(floor(sum_k weights[k * padded(n) + i] * row[index[k * padded(n) + i]] + 0.5),
/// 0, 255): PIL's rounding of its 8-bit intermediate image.
void gatherTaps(const float *row, const int32_t *index, const float *weights, int taps, size_t n,
                float *out);

/// The vertical pass of one output row: v = sum_k weights[k] * rows[k][i], rounded and
/// clamped as gatherTaps does, then out[i] = v * scale[i] + bias[i], for i < n. Each of
/// the `taps` rows holds padded(n) floats.
void blendRows(const float *const *rows, const float *weights, int taps, size_t n,
               const float *scale, const float *bias, float *out);

/// Layout changes of `images` images of hw pixels and c channels each.
void nhwcToNchw(const float *in, float *out, int64_t images, int64_t hw, int64_t c);
void nchwToNhwc(const float *in, float *out, int64_t images, int64_t hw, int64_t c);

/// The Highway target (HWY_AVX2, ...) the dispatch picks now: the tests check
/// that hwy::SetSupportedTargetsForTest reached it.
int64_t dispatchedTarget();

} // namespace cnnc::simd

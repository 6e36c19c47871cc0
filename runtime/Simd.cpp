// runtime/Simd.cpp - Highway kernels (see Simd.h). foreach_target.h compiles
// this file once per x86 target; HWY_EXPORT/HWY_DYNAMIC_DISPATCH pick one at
// run time from the CPU's features.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/Simd.cpp"
#include <hwy/foreach_target.h> // IWYU pragma: keep

#include <hwy/highway.h>

#include "runtime/Simd.h"

#include <algorithm>
#include <cmath>
#include <limits>

HWY_BEFORE_NAMESPACE();
namespace cnnc::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;

static_assert(HWY_MAX_BYTES / sizeof(float) <= kPadFloats, "kPadFloats must cover a vector");

void U8ToF32(const uint8_t *in, float *out, size_t n) {
  const DF df;
  const DI di;
  const hn::Rebind<uint8_t, DF> d8;
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, in + i))), df, out + i);
  for (; i < n; ++i)
    out[i] = in[i];
}

/// PIL's 8-bit rounding of a filter's sum: floor(v + 0.5) in [0, 255].
template <class V> V RoundToByte(V v) {
  const DF df;
  return hn::Min(hn::Max(hn::Floor(hn::Add(v, hn::Set(df, 0.5f))), hn::Zero(df)),
                 hn::Set(df, 255.f));
}

/// Stores the first `count` lanes of v (all of them when count >= Lanes).
template <class V> void StorePart(V v, float *out, size_t count) {
  const DF df;
  if (count >= hn::Lanes(df))
    hn::StoreU(v, df, out);
  else
    hn::BlendedStore(v, hn::FirstN(df, count), df, out);
}

void GatherTaps(const float *row, const int32_t *index, const float *weights, int taps, size_t n,
                float *out) {
  const DF df;
  const DI di;
  const size_t lanes = hn::Lanes(df), stride = padded(n);
  for (size_t i = 0; i < n; i += lanes) {
    auto acc = hn::Zero(df);
    for (int k = 0; k < taps; ++k) {
      const size_t at = k * stride + i;
      acc = hn::MulAdd(hn::LoadU(df, weights + at),
                       hn::GatherIndex(df, row, hn::LoadU(di, index + at)), acc);
    }
    StorePart(RoundToByte(acc), out + i, n - i);
  }
}

void BlendRows(const float *const *rows, const float *weights, int taps, size_t n,
               const float *scale, const float *bias, float *out) {
  const DF df;
  const size_t lanes = hn::Lanes(df);
  for (size_t i = 0; i < n; i += lanes) {
    auto acc = hn::Zero(df);
    for (int k = 0; k < taps; ++k)
      acc = hn::MulAdd(hn::Set(df, weights[k]), hn::LoadU(df, rows[k] + i), acc);
    StorePart(hn::MulAdd(RoundToByte(acc), hn::LoadU(df, scale + i), hn::LoadU(df, bias + i)),
              out + i, n - i);
  }
}

/// out[ch][p] = in[p][ch]: contiguous stores, gathered loads (stride c).
void NhwcToNchw(const float *in, float *out, int64_t images, int64_t hw, int64_t c) {
  const DF df;
  const DI di;
  const int64_t lanes = hn::Lanes(df);
  const auto step = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(c)));
  for (int64_t n = 0; n < images; ++n, in += hw * c, out += hw * c)
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t p = 0;
      for (; p + lanes <= hw; p += lanes)
        hn::StoreU(
            hn::GatherIndex(df, in, hn::Add(step, hn::Set(di, static_cast<int32_t>(p * c + ch)))),
            df, out + ch * hw + p);
      for (; p < hw; ++p)
        out[ch * hw + p] = in[p * c + ch];
    }
}

/// out[p][ch] = in[ch][p]: with c >= a vector, gathered loads along the channels;
/// with fewer channels (RGB), contiguous loads along the pixels, scattered stores.
void NchwToNhwc(const float *in, float *out, int64_t images, int64_t hw, int64_t c) {
  const DF df;
  const DI di;
  const int64_t lanes = hn::Lanes(df);
  const bool alongChannels = c >= lanes;
  const auto step =
      hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(alongChannels ? hw : c)));
  for (int64_t n = 0; n < images; ++n, in += hw * c, out += hw * c) {
    if (alongChannels) {
      for (int64_t p = 0; p < hw; ++p) {
        int64_t ch = 0;
        for (; ch + lanes <= c; ch += lanes)
          hn::StoreU(hn::GatherIndex(df, in,
                                     hn::Add(step, hn::Set(di, static_cast<int32_t>(ch * hw + p)))),
                     df, out + p * c + ch);
        for (; ch < c; ++ch)
          out[p * c + ch] = in[ch * hw + p];
      }
      continue;
    }
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t p = 0;
      for (; p + lanes <= hw; p += lanes)
        hn::ScatterIndex(hn::LoadU(df, in + ch * hw + p), df, out,
                         hn::Add(step, hn::Set(di, static_cast<int32_t>(p * c + ch))));
      for (; p < hw; ++p)
        out[p * c + ch] = in[ch * hw + p];
    }
  }
}

int64_t Target() { return HWY_TARGET; }

} // namespace HWY_NAMESPACE
} // namespace cnnc::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cnnc::simd {

HWY_EXPORT(U8ToF32);
HWY_EXPORT(GatherTaps);
HWY_EXPORT(BlendRows);
HWY_EXPORT(NhwcToNchw);
HWY_EXPORT(NchwToNhwc);
HWY_EXPORT(Target);

int64_t dispatchedTarget() { return HWY_DYNAMIC_DISPATCH(Target)(); }

void u8ToF32(const uint8_t *in, float *out, size_t n) { HWY_DYNAMIC_DISPATCH(U8ToF32)(in, out, n); }

void gatherTaps(const float *row, const int32_t *index, const float *weights, int taps, size_t n,
                float *out) {
  HWY_DYNAMIC_DISPATCH(GatherTaps)(row, index, weights, taps, n, out);
}

void blendRows(const float *const *rows, const float *weights, int taps, size_t n,
               const float *scale, const float *bias, float *out) {
  HWY_DYNAMIC_DISPATCH(BlendRows)(rows, weights, taps, n, scale, bias, out);
}

/// The gathers take 32-bit indices: a larger image (never one cnnc's tensors
/// allow, at most 2^31 elements) is changed by the scalar loop.
static bool fitsIndex(int64_t hw, int64_t c) {
  return hw * c <= std::numeric_limits<int32_t>::max();
}

void nhwcToNchw(const float *in, float *out, int64_t images, int64_t hw, int64_t c) {
  if (fitsIndex(hw, c))
    return HWY_DYNAMIC_DISPATCH(NhwcToNchw)(in, out, images, hw, c);
  for (int64_t i = 0; i < images * hw * c; ++i) {
    const int64_t n = i / (hw * c), ch = i / hw % c, p = i % hw;
    out[i] = in[(n * hw + p) * c + ch];
  }
}

void nchwToNhwc(const float *in, float *out, int64_t images, int64_t hw, int64_t c) {
  if (fitsIndex(hw, c))
    return HWY_DYNAMIC_DISPATCH(NchwToNhwc)(in, out, images, hw, c);
  for (int64_t i = 0; i < images * hw * c; ++i) {
    const int64_t n = i / (hw * c), p = i / c % hw, ch = i % c;
    out[i] = in[(n * c + ch) * hw + p];
  }
}

} // namespace cnnc::simd
#endif

// runtime/Pack.cpp - the repacking loops (run once per weight load).
#include "runtime/Pack.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cnnc {

int64_t packedSize(const PackSpec &s) {
  switch (s.kind) {
  case PackSpec::ConvHWIO:
    return s.groups * s.shape[2] * s.shape[3] * s.shape[1] * s.padTo;
  case PackSpec::ConvTransposeHWIO:
    return s.shape[0] * s.shape[2] * s.shape[3] * s.padTo;
  case PackSpec::ConvWinograd:
    return 16 * s.shape[1] * s.padTo;
  case PackSpec::ConvWinograd4:
    return 36 * s.shape[1] * s.padTo;
  case PackSpec::DenseBlocked:
    return s.outPad * s.shape[1];
  case PackSpec::Bias:
    return s.padTo;
  case PackSpec::Affine:
    return 2 * s.padTo;
  }
  return 0;
}

namespace {

/// Per-channel scale and shift of batchnorm `name` (scale 1, shift 0 without one).
struct Affine {
  std::vector<double> scale, shift;
};

Affine batchnorm(const std::string &name, double eps, int64_t n, const WeightViews &w) {
  Affine a{std::vector<double>(n, 1.0), std::vector<double>(n, 0.0)};
  if (name.empty())
    return a;
  const float *gamma = w.at(name + ".weight").data, *beta = w.at(name + ".bias").data;
  const float *mean = w.at(name + ".running_mean").data;
  const float *var = w.at(name + ".running_var").data;
  for (int64_t i = 0; i < n; ++i) {
    a.scale[i] = gamma[i] / std::sqrt((double)var[i] + eps);
    a.shift[i] = beta[i] - mean[i] * a.scale[i];
  }
  return a;
}

} // namespace

void pack(const PackSpec &s, const WeightViews &weights, float *arena, const Release &release) {
  float *dst = arena + s.offset;
  std::memset(dst, 0, packedSize(s) * sizeof(float));
  const float *w = s.key.empty() || s.kind == PackSpec::Affine ? nullptr : weights.at(s.key).data;
  // Output channels: the first dimension but for a transposed conv's [in, out / groups, ...].
  const int64_t channels =
      s.kind == PackSpec::ConvTransposeHWIO ? s.shape[1] * s.groups : s.shape[0];
  Affine bn = batchnorm(s.bn.empty() && s.kind == PackSpec::Affine ? s.key : s.bn, s.eps, channels,
                        weights);
  switch (s.kind) {
  case PackSpec::ConvHWIO: {
    int64_t O = s.shape[0], I = s.shape[1], KH = s.shape[2], KW = s.shape[3];
    int64_t OG = O / s.groups, B = s.block ? s.block : s.padTo; // per group, per block
    for (int64_t o = 0; o < O; ++o) {
      float *blk = dst + ((o / OG) * (s.padTo / B) + o % OG / B) * KH * KW * I * B + o % OG % B;
      for (int64_t i = 0; i < I; ++i)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw)
            blk[((kh * KW + kw) * I + i) * B] =
                (float)(w[((o * I + i) * KH + kh) * KW + kw] * bn.scale[o]);
    }
    break;
  }
  case PackSpec::ConvTransposeHWIO: {
    const int64_t I = s.shape[0], OG = s.shape[1], KH = s.shape[2], KW = s.shape[3];
    const int64_t IG = I / s.groups, B = s.block ? s.block : s.padTo, blocks = s.padTo / B;
    for (int64_t i = 0; i < I; ++i)
      for (int64_t og = 0; og < OG; ++og) {
        const int64_t grp = i / IG, o = grp * OG + og;
        float *blk = dst + (grp * blocks + og / B) * KH * KW * IG * B + og % B;
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw)
            blk[((kh * KW + kw) * IG + i % IG) * B] =
                (float)(w[((i * OG + og) * KH + kh) * KW + kw] * bn.scale[o]);
      }
    break;
  }
  case PackSpec::ConvWinograd:
  case PackSpec::ConvWinograd4: {
    // U = G g G^T (Lavin & Gray): F(2x2, 3x3)'s G is 4 x 3, F(4x4, 3x3)'s 6 x 3.
    static const double G2[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
    static const double G4[6][3] = {{1. / 4, 0, 0},
                                    {-1. / 6, -1. / 6, -1. / 6},
                                    {-1. / 6, 1. / 6, -1. / 6},
                                    {1. / 24, 1. / 12, 1. / 6},
                                    {1. / 24, -1. / 12, 1. / 6},
                                    {0, 0, 1}};
    const bool f4 = s.kind == PackSpec::ConvWinograd4;
    const int P = f4 ? 6 : 4;
    auto Gm = [&](int r, int c) { return f4 ? G4[r][c] : G2[r][c]; };
    int64_t O = s.shape[0], I = s.shape[1], B = s.block;
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < I; ++i) {
        const float *g = w + (o * I + i) * 9;
        double t[6][3]; // G g
        for (int r = 0; r < P; ++r)
          for (int c = 0; c < 3; ++c)
            t[r][c] = Gm(r, 0) * g[c] + Gm(r, 1) * g[3 + c] + Gm(r, 2) * g[6 + c];
        for (int r = 0; r < P; ++r)
          for (int c = 0; c < P; ++c) {
            double u = t[r][0] * Gm(c, 0) + t[r][1] * Gm(c, 1) + t[r][2] * Gm(c, 2);
            dst[(((r * P + c) * (s.padTo / B) + o / B) * I + i) * B + o % B] =
                (float)(u * bn.scale[o]);
          }
      }
    break;
  }
  case PackSpec::DenseBlocked: {
    int64_t O = s.shape[0], I = s.shape[1], G = s.padTo;
    // Row i of the packed weights is the input feature the kernel reads i-th.
    std::vector<int64_t> from(I);
    for (int64_t i = 0; i < I; ++i)
      from[i] = i;
    if (!s.image.empty()) { // HWC index (h*W + w)*C + c reads PyTorch's c*H*W + h*W + w
      int64_t HW = s.image[0] * s.image[1], C = s.image[2];
      for (int64_t p = 0; p < HW; ++p)
        for (int64_t c = 0; c < C; ++c)
          from[p * C + c] = c * HW + p;
    }
    // A group of G outputs at a time, writing its block in order: the G rows
    // it reads stay in cache, and every cache line written is written whole.
    for (int64_t o0 = 0; o0 < O; o0 += G) {
      const int64_t g1 = std::min(G, O - o0);
      float *block = dst + o0 * I;
      for (int64_t i = 0; i < I; ++i)
        for (int64_t g = 0; g < g1; ++g)
          block[i * G + g] = (float)(w[(o0 + g) * I + from[i]] * bn.scale[o0 + g]);
      if (release) // a big dense (VGG's 411 MB fc6) is let go as it goes
        release(w + o0 * I, g1 * I);
    }
    break;
  }
  case PackSpec::Bias:
    for (int64_t o = 0; o < s.shape[0]; ++o)
      dst[o] = (float)((w ? w[o] : 0.0) * bn.scale[o] + bn.shift[o]);
    break;
  case PackSpec::Affine:
    for (int64_t i = 0; i < s.shape[0]; ++i) {
      dst[i] = (float)bn.scale[i];
      dst[s.padTo + i] = (float)bn.shift[i];
    }
    break;
  }
}

} // namespace cnnc

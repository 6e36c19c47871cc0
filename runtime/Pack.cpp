// runtime/Pack.cpp - the repacking loops (run once per weight load).
#include "runtime/Pack.h"

#include <cstring>

namespace cnnc {

int64_t packedSize(const PackSpec &s) {
  switch (s.kind) {
  case PackSpec::ConvHWIO:
    return s.shape[2] * s.shape[3] * s.shape[1] * s.padTo;
  case PackSpec::DenseBlocked:
    return s.outPad * s.shape[1];
  case PackSpec::Bias:
    return s.padTo;
  }
  return 0;
}

void pack(const PackSpec &s, const Tensor &src, float *arena) {
  float *dst = arena + s.offset;
  std::memset(dst, 0, packedSize(s) * sizeof(float));
  const float *w = src.data();
  switch (s.kind) {
  case PackSpec::ConvHWIO: {
    int64_t O = s.shape[0], I = s.shape[1], KH = s.shape[2], KW = s.shape[3];
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < I; ++i)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw)
            dst[((kh * KW + kw) * I + i) * s.padTo + o] = w[((o * I + i) * KH + kh) * KW + kw];
    break;
  }
  case PackSpec::DenseBlocked: {
    int64_t O = s.shape[0], I = s.shape[1], G = s.padTo;
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < I; ++i) {
        int64_t src = i; // cnnc's input index i is HWC; PyTorch's is CHW
        if (s.flatH > 0) {
          int64_t c = i % s.flatC, hw = i / s.flatC;
          src = c * s.flatH * s.flatW + hw;
        }
        dst[((o / G) * I + i) * G + o % G] = w[o * I + src];
      }
    break;
  }
  case PackSpec::Bias:
    std::memcpy(dst, w, s.shape[0] * sizeof(float));
    break;
  }
}

} // namespace cnnc

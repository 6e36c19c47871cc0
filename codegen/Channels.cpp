// codegen/Channels.cpp - the ops that work across the channels of each pixel:
// prelu, lrn, channel_shuffle and slice. Like Kernels.cpp's, every shape is a
// constant; work items are an image's rows (a vector is one item), so large
// tensors split across threads.
#include "codegen/Emitter.h"

#include <algorithm>
#include <cmath>

namespace cnnc {

using namespace llvm;

namespace {

/// How a kernel walks a tensor of channel rows: `rows` work items (an
/// image's rows, or one for a vector) of `pixels` pixels of C channels.
struct Pixels {
  int64_t rows, pixels, C;
  explicit Pixels(const TensorType &t)
      : rows(t.dims.size() == 3 ? t.dims[0] : 1), pixels(t.elements() / t.dims.back() / rows),
        C(t.dims.back()) {}
  /// body(pixel index) for every pixel of this call's rows.
  void each(Emitter &e, const std::function<void(Value *)> &body) const {
    e.loop(e.lo(), e.hi(), [&](Value *r) {
      Value *p0 = e.b.CreateMul(r, e.c(pixels));
      e.loop(0, pixels, [&](Value *p) { body(e.b.CreateAdd(p0, p)); });
    });
  }
};

Value *input(Emitter &e, const Graph &g, const Node &n, int k = 0) {
  return e.at(e.arena(), g.nodes[n.inputs[k]].offset);
}

/// d^-beta, vectorised: 1 / sqrt(d)^1.5 for the usual 0.75 (AlexNet's,
/// GoogLeNet's, PyTorch's default), else e^(-beta log d).
Value *powNeg(Emitter &e, Value *d, double beta) {
  if (beta == 0.75) {
    Value *r = e.b.CreateFDiv(e.splat(1.f), e.b.CreateUnaryIntrinsic(Intrinsic::sqrt, d));
    return e.b.CreateFMul(r, e.b.CreateUnaryIntrinsic(Intrinsic::sqrt, r));
  }
  return e.exp(e.b.CreateFMul(e.splat((float)-beta), e.log(d)));
}

/// Output vector k of one block of a channel shuffle: lane l is output
/// channel o = k VL + l of the block, which is lane o / g of source row o % g.
/// Built from the g source rows by two-input shuffles.
Value *interleaved(Emitter &e, const std::vector<Value *> &src, int k) {
  const int g = (int)src.size(), VL = e.VL;
  Value *acc = nullptr;
  for (int i = 0; i < g; ++i) {
    std::vector<int> mask(VL);
    bool any = false;
    for (int l = 0; l < VL; ++l) {
      const int o = k * VL + l;
      const bool mine = o % g == i;
      any |= mine;
      mask[l] = mine ? (acc ? VL : 0) + o / g : (acc ? l : -1);
    }
    if (any)
      acc = acc ? e.b.CreateShuffleVector(acc, src[i], mask)
                : e.b.CreateShuffleVector(src[i], PoisonValue::get(e.vf), mask);
  }
  return acc;
}

} // namespace

// The slopes: "<name>.weight" [C], or its one shared slope, padded to whole vectors.
PackPlan planPreluPack(const Graph &g, const Node &n, const TargetInfo &t) {
  auto shapes = weightShapes(g, n);
  const int64_t c = shapes[0].second[0];
  return {PackSpec{PackSpec::Bias, shapes[0].first, {c}, 0, roundUp(c, t.vectorWidth)}};
}

// y = x > 0 ? x : w[c] x, vectorised over channels (a NaN stays NaN: w NaN).
int64_t emitPrelu(Emitter &e, const Graph &g, const Node &n, int64_t wOff) {
  const Pixels px(n.type);
  Value *in = input(e, g, n), *out = e.at(e.arena(), n.offset), *w = e.at(e.weights(), wOff);
  Value *shared =
      attrs<PreluAttrs>(n).shared ? e.splat(e.b.CreateLoad(e.f32, w)) : nullptr; // one slope
  px.each(e, [&](Value *p) {
    Value *row = e.b.CreateMul(p, e.c(px.C));
    e.vectors(px.C, [&](Value *c, Value *mask) {
      Value *x = e.loadV(e.at(in, e.b.CreateAdd(row, c)), mask);
      Value *slope = shared ? shared : e.loadV(e.at(w, c)); // padded: no mask needed
      Value *y = e.b.CreateSelect(e.b.CreateFCmpOGT(x, e.splat(0.f)), x, e.b.CreateFMul(x, slope));
      e.storeV(y, e.at(out, e.b.CreateAdd(row, c)), mask);
    });
  });
  return px.rows;
}

// PyTorch's LocalResponseNorm. Per pixel, the squares go into the thread's
// scratch between zeroes (F before, B + VL after), so every tap of the
// window is an unmasked vector load: sum_k sq[c + k], k = -F .. B. Taps that
// can only read zeroes (past C - 1 either way) are left out.
int64_t emitLrn(Emitter &e, const Graph &g, const Node &n) {
  const LrnAttrs &a = attrs<LrnAttrs>(n);
  const Pixels px(n.type);
  const int64_t C = px.C, F = std::min<int64_t>(a.size / 2, C - 1),
                B = std::min<int64_t>((a.size - 1) / 2, C - 1);
  e.scratchFloats = F + C + B + e.VL;
  Value *in = input(e, g, n), *out = e.at(e.arena(), n.offset), *sq = e.scratch();
  e.b.CreateMemSet(sq, e.b.getInt8(0), e.scratchFloats * 4, MaybeAlign(4));
  Value *sum = e.slot("sum");
  const float scale = (float)(a.alpha / a.size);
  px.each(e, [&](Value *p) {
    Value *x = e.at(in, e.b.CreateMul(p, e.c(C))), *y = e.at(out, e.b.CreateMul(p, e.c(C)));
    e.vectors(C, [&](Value *c, Value *mask) {
      Value *v = e.loadV(e.at(x, c), mask);
      e.storeV(e.b.CreateFMul(v, v), e.at(sq, e.b.CreateAdd(c, e.c(F))), mask);
    });
    e.vectors(C, [&](Value *c, Value *mask) {
      e.b.CreateStore(e.splat(0.f), sum);
      e.loop(0, F + B + 1, [&](Value *k) { // sq[c + F + k - F]
        Value *t = e.loadV(e.at(sq, e.b.CreateAdd(c, k)));
        e.b.CreateStore(e.b.CreateFAdd(e.b.CreateLoad(e.vf, sum), t), sum);
      });
      Value *d = e.fma(e.b.CreateLoad(e.vf, sum), e.splat(scale), e.splat((float)a.bias));
      Value *v = e.loadV(e.at(x, c), mask);
      e.storeV(a.beta == 0 ? v : e.b.CreateFMul(v, powNeg(e, d, a.beta)), e.at(y, c), mask);
    });
  });
  return px.rows;
}

// out[j g + i] = in[i Cg + j] per pixel (Cg = C / g). For g <= 16, blocks of
// VL channels j of all g groups are loaded as g vectors (contiguous runs)
// and interleaved by shuffles into g output vectors, stored contiguously;
// larger g copy scalars, reading contiguous runs.
int64_t emitChannelShuffle(Emitter &e, const Graph &g, const Node &n) {
  const Pixels px(n.type);
  const int64_t C = px.C, G = attrs<ShuffleAttrs>(n).groups, Cg = C / G;
  Value *in = input(e, g, n), *out = e.at(e.arena(), n.offset);
  px.each(e, [&](Value *p) {
    Value *x = e.at(in, e.b.CreateMul(p, e.c(C))), *y = e.at(out, e.b.CreateMul(p, e.c(C)));
    if (G == 1 || Cg == 1) { // the identity
      e.vectors(
          C, [&](Value *c, Value *mask) { e.storeV(e.loadV(e.at(x, c), mask), e.at(y, c), mask); });
      return;
    }
    if (G > 16) {
      e.loop(0, G, [&](Value *i) {
        e.loop(0, Cg, [&](Value *j) {
          Value *v = e.b.CreateLoad(e.f32, e.at(x, e.b.CreateAdd(e.b.CreateMul(i, e.c(Cg)), j)));
          e.b.CreateStore(v, e.at(y, e.b.CreateAdd(e.b.CreateMul(j, e.c(G)), i)));
        });
      });
      return;
    }
    e.vectors(Cg, [&](Value *j0, Value *mask) {
      std::vector<Value *> src;
      for (int64_t i = 0; i < G; ++i)
        src.push_back(e.loadV(e.at(x, e.b.CreateAdd(j0, e.c(i * Cg))), mask));
      // A tail block (j0 constant) has Cg - j0 channels per group: (Cg - j0) G outputs.
      const int64_t valid = mask ? (Cg - Cg / e.VL * e.VL) * G : G * e.VL;
      Value *dst = e.at(y, e.b.CreateMul(j0, e.c(G)));
      for (int k = 0; k < G && k * e.VL < valid; ++k)
        e.storeV(interleaved(e, src, k), e.at(dst, k * e.VL), e.tailMask(e.c(k * e.VL), valid));
    });
  });
  return px.rows;
}

// Channels [first, last) of every pixel: a contiguous run each, copied in vectors.
int64_t emitSlice(Emitter &e, const Graph &g, const Node &n) {
  const Pixels px(n.type);
  const int64_t C = g.nodes[n.inputs[0]].type.dims.back(), Co = px.C;
  const int64_t first = sliceRange(attrs<SliceAttrs>(n), C).first;
  Value *in = input(e, g, n), *out = e.at(e.arena(), n.offset);
  px.each(e, [&](Value *p) {
    Value *x = e.at(in, e.b.CreateAdd(e.b.CreateMul(p, e.c(C)), e.c(first)));
    Value *y = e.at(out, e.b.CreateMul(p, e.c(Co)));
    e.vectors(
        Co, [&](Value *c, Value *mask) { e.storeV(e.loadV(e.at(x, c), mask), e.at(y, c), mask); });
  });
  return px.rows;
}

} // namespace cnnc

// codegen/Kernels.cpp - one kernel per op, specialised to the node's constant
// shapes: every trip count, stride and offset below is a compile-time number.
// Tensors are channels-last; kernels vectorise over channels (pooling, dense
// outputs, element-wise ops) with the target's vector width VL, and mask the
// channel tail. Convolutions are in Conv.cpp.
#include "codegen/Emitter.h"

#include <llvm/IR/Intrinsics.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace cnnc {

using namespace llvm;

namespace {

// Max/min/average over each window, vectorised over channels, tile by tile as
// the tile-pooling pass planned. Window rows and columns outside the input are
// skipped: max and min ignore padding; average divides by the real pixel count
// for `same` (Keras) and count_include_pad=false, else by the window clipped
// to the padded input (PyTorch: a ceil_mode window past it counts only its
// part within; every other window is kh x kw).
int64_t emitPool(Emitter &e, const Graph &g, const Node &n) {
  using A = PoolAttrs;
  const PoolAttrs &a = attrs<PoolAttrs>(n);
  CNNC_ASSERT(readsAll(a, &A::kh, &A::kw, &A::sh, &A::sw, &A::pad, &A::tile, &A::ceilMode,
                       &A::countIncludePad),
              "emitPool ignores an attribute of " + n.name);
  const bool realCount = a.pad.mode == PadMode::Same || !a.countIncludePad;
  const bool isMax = n.op == OpKind::MaxPool2D, isMin = n.op == OpKind::MinPool2D;
  const Node &inNode = g.nodes[n.inputs[0]];
  const int64_t H = inNode.type.dims[0], W = inNode.type.dims[1], C = inNode.type.dims[2];
  const int64_t OH = n.type.dims[0], OW = n.type.dims[1];
  const int64_t nvc = (C + e.VL - 1) / e.VL;
  const int64_t rows = std::max(a.tile.rows, 1);
  // Vectors per tile: the plan's blocks of PoolChannelBlock channels.
  const int64_t vpt = std::max<int64_t>(1, std::max(a.tile.cblocks, 1) * PoolChannelBlock / e.VL);
  Value *in = e.at(e.arena(), inNode.offset), *out = e.at(e.arena(), n.offset);
  Value *acc = e.slot();
  // Taps lo..hi of the window at `start` are inside the input; `whole` of
  // them are inside the padded input (PyTorch's count_include_pad divisor).
  auto range = [&](Value *o, int s, int pad, int padAfter, int k, int64_t extent, Value *&lo,
                   Value *&hi, Value *&start, Value *&whole) {
    start = e.b.CreateSub(e.b.CreateMul(o, e.c(s)), e.c(pad));
    lo = e.max(e.c(0), e.b.CreateNeg(start));
    hi = e.min(e.c(k), e.b.CreateSub(e.c(extent), start));
    whole = e.min(e.c(k), e.b.CreateSub(e.c(extent + padAfter), start));
  };
  e.loop(e.lo(), e.hi(), [&](Value *tr) { // work items: row tiles
    e.loop(0, (nvc + vpt - 1) / vpt, [&](Value *tc) {
      Value *ohLo = e.b.CreateMul(tr, e.c(rows)), *vLo = e.b.CreateMul(tc, e.c(vpt));
      e.loop(ohLo, e.min(e.b.CreateAdd(ohLo, e.c(rows)), e.c(OH)), [&](Value *oh) {
        Value *khLo, *khHi, *ih0, *khAll;
        range(oh, a.sh, a.pad.top, a.pad.bottom, a.kh, H, khLo, khHi, ih0, khAll);
        e.loop(0, OW, [&](Value *ow) {
          Value *kwLo, *kwHi, *iw0, *kwAll;
          range(ow, a.sw, a.pad.left, a.pad.right, a.kw, W, kwLo, kwHi, iw0, kwAll);
          e.loop(vLo, e.min(e.b.CreateAdd(vLo, e.c(vpt)), e.c(nvc)), [&](Value *v) {
            Value *c0 = e.b.CreateMul(v, e.c(e.VL));
            Value *mask = C % e.VL ? e.tailMask(c0, C) : nullptr;
            e.b.CreateStore(e.splat(isMax ? -INFINITY : isMin ? INFINITY : 0.f), acc);
            e.loop(khLo, khHi, [&](Value *kh) {
              e.loop(kwLo, kwHi, [&](Value *kw) {
                Value *pix = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(ih0, kh), e.c(W)),
                                           e.b.CreateAdd(iw0, kw));
                Value *x = e.loadV(e.at(in, e.b.CreateAdd(e.b.CreateMul(pix, e.c(C)), c0)), mask);
                Value *old = e.b.CreateLoad(e.vf, acc);
                e.b.CreateStore(isMax   ? e.maxNaN(old, x)
                                : isMin ? e.minNaN(old, x)
                                        : e.b.CreateFAdd(old, x),
                                acc);
              });
            });
            Value *r = e.b.CreateLoad(e.vf, acc);
            if (!isMax && !isMin) {
              Value *count =
                  realCount ? e.b.CreateMul(e.b.CreateSub(khHi, khLo), e.b.CreateSub(kwHi, kwLo))
                            : e.b.CreateMul(khAll, kwAll);
              r = e.b.CreateFDiv(r, e.splat(e.b.CreateSIToFP(count, e.f32)));
            }
            Value *pix = e.b.CreateAdd(e.b.CreateMul(oh, e.c(OW)), ow);
            e.storeV(r, e.at(out, e.b.CreateAdd(e.b.CreateMul(pix, e.c(C)), c0)), mask);
          });
        });
      });
    });
  });
  return (OH + rows - 1) / rows;
}

/// Output vectors per group of a dense: its packed layout ([group][in][G*VL])
/// and both dense kernels' register tiles.
int denseVectors(const Node &n, int VL) {
  return (int)std::min<int64_t>(4, (n.type.dims[0] + VL - 1) / VL);
}

/// What both dense kernels share: output groups of G vectors (as packed),
/// the work items and the epilogue.
struct DenseFrame {
  const DenseAttrs &a;
  const Node &inNode;
  int64_t IN, OUT;
  int G, group;
  int64_t groups;
  bool whole; // softmax needs whole vectors: one call does every group

  DenseFrame(Emitter &e, const Graph &g, const Node &n)
      : a(attrs<DenseAttrs>(n)), inNode(g.nodes[n.inputs[0]]), IN(inNode.type.elements()),
        OUT(n.type.dims[0]), G(denseVectors(n, e.VL)), group(G * e.VL),
        groups((OUT + group - 1) / group), whole(a.act == Act::Softmax) {
    CNNC_ASSERT(n.type.dims.size() == 1, "a dense's output vector");
  }

  /// body(grp) for this call's output groups (work items: groups, or all at once).
  int64_t forGroups(Emitter &e, const std::function<void(Value *)> &body) const {
    e.loop(whole ? e.c(0) : e.lo(), whole ? e.c(groups) : e.hi(), body);
    return whole ? 1 : groups;
  }
  /// v + bias -> activation -> stored at out[o .. o + VL) (masked past OUT).
  void finish(Emitter &e, Value *v, Value *out, Value *o, int64_t bOff) const {
    if (bOff >= 0)
      v = e.b.CreateFAdd(v, e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff), o))));
    e.storeV(e.activate(a.act, v), e.at(out, o), OUT % group ? e.tailMask(o, OUT) : nullptr);
  }
};

// A batch of images (Options::batch) as a blocked GEMM: a tile of NB images x
// G output vectors stays in registers over the whole reduction, so each weight
// vector loaded serves NB images, and the weights stream once per block of NB
// images rather than once per image. Image b's activations are in its own
// arena, b * arenaStride floats on.
int64_t emitDenseBatch(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  const DenseFrame d(e, g, n);
  const int G = d.G, group = d.group;
  const int64_t N = e.batch;
  const int NB = (int)std::clamp<int64_t>((e.registers - G - 1) / G, 1, N); // as many as fit
  e.batched = true;
  e.unroll = false;
  e.plan = "tile " + std::to_string(NB) + " images x " + std::to_string(group) + " outputs";
  RegTile acc(e, NB, G);
  auto image = [&](Value *b, int64_t offset) {
    return e.at(e.arena(), e.b.CreateAdd(e.b.CreateMul(b, e.c(e.arenaStride)), e.c(offset)));
  };
  // Images n0 .. n0 + nb - 1 against output group grp.
  auto block = [&](Value *grp, Value *n0, int nb) {
    Value *o0 = e.b.CreateMul(grp, e.c(group));
    acc.init(NB);
    Value *wg = e.at(e.weights(), e.b.CreateAdd(e.c(wOff), e.b.CreateMul(grp, e.c(d.IN * group))));
    std::vector<Value *> in(nb);
    for (int b = 0; b < nb; ++b)
      in[b] = image(e.b.CreateAdd(n0, e.c(b)), d.inNode.offset);
    e.loop(0, d.IN, [&](Value *i) {
      acc.update(
          0, nb, [&](int b) { return e.at(in[b], i); },
          [&](int gi) { return e.at(e.at(wg, e.b.CreateMul(i, e.c(group))), gi * e.VL); });
    });
    for (int b = 0; b < nb; ++b) {
      Value *out = image(e.b.CreateAdd(n0, e.c(b)), n.offset);
      for (int gi = 0; gi < G; ++gi)
        d.finish(e, acc.get(b, gi), out, e.b.CreateAdd(o0, e.c(gi * e.VL)), bOff);
    }
  };
  int64_t items = d.forGroups(e, [&](Value *grp) {
    e.loop(0, N / NB, [&](Value *blk) { block(grp, e.b.CreateMul(blk, e.c(NB)), NB); });
    if (N % NB)
      block(grp, e.c(N / NB * NB), (int)(N % NB));
  });
  if (d.whole)
    e.loop(0, N, [&](Value *b) { e.softmaxRow(image(b, n.offset), d.OUT); });
  return items;
}

// out[o] = act(bias[o] + sum_i in[i] * w[o][i]) over weights packed in groups
// of G vectors of outputs ([group][in][G*VL]), so each group streams its
// weights once, contiguously. Softmax runs over the finished vector. An image
// input (an absorbed flatten) is read in its HWC order; the packed weights
// are permuted to match.
int64_t emitDense(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  if (e.batch > 1)
    return emitDenseBatch(e, g, n, wOff, bOff);
  const DenseFrame d(e, g, n);
  const int G = d.G, group = d.group;
  const int64_t IN = d.IN;
  Value *in = e.at(e.arena(), d.inNode.offset), *out = e.at(e.arena(), n.offset);
  // The reduction runs as K interleaved streams over K slices of the input
  // (summed at the end): more loads in flight from L2/L3/memory.
  const int K = IN < 4096 ? 1 : e.VL == 16 ? 4 : 2; // K x G accumulators fit the registers
  const int64_t slice = IN / K;
  RegTile acc(e, K, G); // a row per stream
  int64_t items = d.forGroups(e, [&](Value *grp) {
    Value *o0 = e.b.CreateMul(grp, e.c(group));
    acc.init(K);
    Value *wg = e.at(e.weights(), e.b.CreateAdd(e.c(wOff), e.b.CreateMul(grp, e.c(IN * group))));
    auto step = [&](Value *i, int k) {
      Value *wrow = e.at(wg, e.b.CreateMul(i, e.c(group)));
      acc.update(
          k, 1, [&](int) { return e.at(in, i); }, [&](int gi) { return e.at(wrow, gi * e.VL); });
    };
    e.loop(0, slice, [&](Value *i) {
      for (int k = 0; k < K; ++k)
        step(e.b.CreateAdd(i, e.c(k * slice)), k);
    });
    e.loop(K * slice, IN, [&](Value *i) { step(i, K - 1); });
    for (int gi = 0; gi < G; ++gi) {
      Value *v = acc.get(0, gi);
      for (int k = 1; k < K; ++k)
        v = e.b.CreateFAdd(v, acc.get(k, gi));
      d.finish(e, v, out, e.b.CreateAdd(o0, e.c(gi * e.VL)), bOff);
    }
  });
  if (d.whole)
    e.softmaxRow(out, d.OUT);
  return items;
}

// A standalone activation: element-wise over the whole tensor, or softmax
// over the last (channel) axis. Linear (a dropout that is the model's output) copies.
void emitActivation(Emitter &e, const Graph &g, const Node &n, ActFn act) {
  Value *in = e.at(e.arena(), g.nodes[n.inputs[0]].offset), *out = e.at(e.arena(), n.offset);
  const int64_t N = n.type.elements();
  if (act == Act::Softmax) {
    const int64_t C = n.type.dims.back();
    e.b.CreateMemCpy(out, MaybeAlign(4), in, MaybeAlign(4), N * 4);
    e.loop(0, N / C, [&](Value *r) { e.softmaxRow(e.at(out, e.b.CreateMul(r, e.c(C))), C); });
    return;
  }
  e.vectors(N, [&](Value *i, Value *mask) {
    e.storeV(e.activate(act, e.loadV(e.at(in, i), mask)), e.at(out, i), mask);
  });
}

// out = f(a, b) of one shape, or with one of them a vector of the other's
// channels, read again for every pixel (in either order).
void emitBinary(Emitter &e, const Graph &g, const Node &n, Instruction::BinaryOps op) {
  const Node &a = g.nodes[n.inputs[0]], &b = g.nodes[n.inputs[1]];
  const int64_t N = n.type.elements();
  const bool whole = a.type.elements() == N && b.type.elements() == N;
  const int64_t C = whole ? N : n.type.dims.back(); // one row of C, or N / C pixels
  Value *x = e.at(e.arena(), a.offset), *y = e.at(e.arena(), b.offset);
  Value *out = e.at(e.arena(), n.offset);
  e.loop(0, N / C, [&](Value *p) {
    Value *row = e.b.CreateMul(p, e.c(C));
    e.vectors(C, [&](Value *c, Value *mask) {
      Value *i = e.b.CreateAdd(row, c);
      Value *u = e.loadV(e.at(x, a.type.elements() == N ? i : c), mask);
      Value *v = e.loadV(e.at(y, b.type.elements() == N ? i : c), mask);
      e.storeV(e.b.CreateBinOp(op, u, v), e.at(out, i), mask);
    });
  });
}

// out[p][c] = in[p][c] * scale[c] + shift[c], packed [scale | shift] of Cpad each.
void emitBatchNorm(Emitter &e, const Graph &g, const Node &n, int64_t wOff) {
  const int64_t C = n.type.dims.back(), P = n.type.elements() / C;
  const int64_t Cp = roundUp(C, e.VL);
  Value *in = e.at(e.arena(), g.nodes[n.inputs[0]].offset), *out = e.at(e.arena(), n.offset);
  Value *w = e.at(e.weights(), wOff);
  e.loop(0, P, [&](Value *p) {
    Value *row = e.b.CreateMul(p, e.c(C));
    e.vectors(C, [&](Value *c, Value *mask) {
      Value *x = e.loadV(e.at(in, e.b.CreateAdd(row, c)), mask);
      Value *y = e.fma(x, e.loadV(e.at(w, c)), e.loadV(e.at(w, e.b.CreateAdd(c, e.c(Cp)))));
      e.storeV(y, e.at(out, e.b.CreateAdd(row, c)), mask);
    });
  });
}

// The mean or the maximum of each channel over all pixels; the maximum is NaN
// if any pixel is (PyTorch's max).
void emitGlobalPool(Emitter &e, const Graph &g, const Node &n, bool isMax) {
  CNNC_ASSERT(readsAll(attrs<GlobalPoolAttrs>(n), &GlobalPoolAttrs::keepdims), "");
  const std::vector<int64_t> &d = g.nodes[n.inputs[0]].type.dims;
  const int64_t P = d[0] * d[1], C = d[2];
  Value *in = e.at(e.arena(), g.nodes[n.inputs[0]].offset), *out = e.at(e.arena(), n.offset);
  Value *acc = e.slot();
  e.vectors(C, [&](Value *c, Value *mask) {
    e.b.CreateStore(e.splat(isMax ? -INFINITY : 0.f), acc);
    e.loop(0, P, [&](Value *p) {
      Value *x = e.loadV(e.at(in, e.b.CreateAdd(e.b.CreateMul(p, e.c(C)), c)), mask);
      Value *old = e.b.CreateLoad(e.vf, acc);
      e.b.CreateStore(isMax ? e.maxNaN(old, x) : e.b.CreateFAdd(old, x), acc);
    });
    Value *r = e.b.CreateLoad(e.vf, acc);
    e.storeV(isMax ? r : e.b.CreateFDiv(r, e.splat((float)P)), e.at(out, c), mask);
  });
}

// Flatten of an [H, W, C] image into PyTorch's order: out[c][h][w] = in[h][w][c],
// so weights (dense, batchnorm) and outputs after it are PyTorch's as they are.
void emitFlatten(Emitter &e, const Graph &g, const Node &n) {
  const std::vector<int64_t> &d = g.nodes[n.inputs[0]].type.dims;
  const int64_t HW = d[0] * d[1], C = d[2];
  Value *in = e.at(e.arena(), g.nodes[n.inputs[0]].offset), *out = e.at(e.arena(), n.offset);
  e.loop(0, HW, [&](Value *p) {
    e.loop(0, C, [&](Value *c) {
      Value *x = e.b.CreateLoad(e.f32, e.at(in, e.b.CreateAdd(e.b.CreateMul(p, e.c(C)), c)));
      e.b.CreateStore(x, e.at(out, e.b.CreateAdd(e.b.CreateMul(c, e.c(HW)), p)));
    });
  });
}

// Channel concatenation: each input's channels of a pixel go to their slice.
void emitConcat(Emitter &e, const Graph &g, const Node &n) {
  const int64_t C = n.type.dims.back(), P = n.type.elements() / C;
  Value *out = e.at(e.arena(), n.offset);
  int64_t c0 = 0;
  for (ValueId id : n.inputs) {
    const int64_t Ci = g.nodes[id].type.dims.back();
    Value *in = e.at(e.arena(), g.nodes[id].offset);
    e.loop(0, P, [&](Value *p) {
      Value *src = e.at(in, e.b.CreateMul(p, e.c(Ci)));
      Value *dst = e.at(out, e.b.CreateAdd(e.b.CreateMul(p, e.c(C)), e.c(c0)));
      e.vectors(Ci, [&](Value *c, Value *mask) {
        e.storeV(e.loadV(e.at(src, c), mask), e.at(dst, c), mask);
      });
    });
    c0 += Ci;
  }
}

/// Where one output row or column of an upsample reads, PyTorch's
/// F.interpolate rules in float as its CPU kernels compute them: input
/// indices i0, i1 and weights w0, w1 (nearest: i1 = i0, w0 = 1, w1 = 0).
struct UpsampleAxis {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};

/// `scale` > 0: the integer factor given (PyTorch's ratio is then 1 / scale),
/// else size= (in / out).
UpsampleAxis upsampleAxis(int64_t in, int64_t out, int scale, UpsampleMode mode, bool corners) {
  UpsampleAxis a;
  const float ratio = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;
  const bool bilinear = mode == UpsampleMode::Bilinear;
  for (int64_t d = 0; d < out; ++d) {
    float src = 0, lambda = 0;
    int64_t i0 = 0;
    if (!bilinear) {
      i0 = std::min((int64_t)std::floor((float)d * ratio), in - 1);
    } else {
      const float r = corners ? (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.f) : ratio;
      src = corners ? r * (float)d : std::max(r * ((float)d + 0.5f) - 0.5f, 0.f);
      i0 = std::min((int64_t)std::floor(src), in - 1);
      lambda = std::clamp(src - (float)i0, 0.f, 1.f);
    }
    a.i0.push_back(i0);
    a.i1.push_back(i0 + (bilinear && i0 < in - 1 ? 1 : 0));
    a.w0.push_back(1.f - lambda);
    a.w1.push_back(lambda);
  }
  return a;
}

/// A constant table in the kernel's module; element i loaded by `index`.
template <class T> Value *tableAt(Emitter &e, const std::vector<T> &data, Value *index) {
  Module &m = *e.fn->getParent();
  Constant *init = ConstantDataArray::get(m.getContext(), ArrayRef<T>(data));
  auto *gv = new GlobalVariable(m, init->getType(), true, GlobalValue::PrivateLinkage, init,
                                "upsample.table");
  Type *elem = std::is_same_v<T, float> ? e.f32 : e.i64;
  return e.b.CreateLoad(elem, e.b.CreateInBoundsGEP(elem, gv, index));
}

/// Offsets scaled by `stride` floats (a row's W * C, a pixel's C).
std::vector<int64_t> scaled(std::vector<int64_t> v, int64_t stride) {
  for (int64_t &x : v)
    x *= stride;
  return v;
}

// F.interpolate, vectorised over channels, a work item per output row. Every
// source index and weight comes from constant tables built here (the shapes
// are constants): no division at run time. Bilinear blends four pixels with
// the products of the row's and the column's weights.
int64_t emitUpsample(Emitter &e, const Graph &g, const Node &n) {
  const UpsampleAttrs &a = attrs<UpsampleAttrs>(n);
  const Node &inNode = g.nodes[n.inputs[0]];
  const int64_t H = inNode.type.dims[0], W = inNode.type.dims[1], C = inNode.type.dims[2];
  const int64_t OH = n.type.dims[0], OW = n.type.dims[1];
  const bool bilinear = a.mode == UpsampleMode::Bilinear, bySize = a.oh > 0;
  const UpsampleAxis ys = upsampleAxis(H, OH, bySize ? 0 : a.sh, a.mode, a.alignCorners);
  const UpsampleAxis xs = upsampleAxis(W, OW, bySize ? 0 : a.sw, a.mode, a.alignCorners);
  Value *in = e.at(e.arena(), inNode.offset), *out = e.at(e.arena(), n.offset);
  e.loop(e.lo(), e.hi(), [&](Value *oy) {
    Value *r0 = e.at(in, tableAt(e, scaled(ys.i0, W * C), oy));
    Value *r1 = bilinear ? e.at(in, tableAt(e, scaled(ys.i1, W * C), oy)) : nullptr;
    Value *wy0 = bilinear ? tableAt(e, ys.w0, oy) : nullptr;
    Value *wy1 = bilinear ? tableAt(e, ys.w1, oy) : nullptr;
    Value *row = e.at(out, e.b.CreateMul(oy, e.c(OW * C)));
    e.loop(0, OW, [&](Value *ox) {
      Value *c0 = tableAt(e, scaled(xs.i0, C), ox), *dst = e.at(row, e.b.CreateMul(ox, e.c(C)));
      if (!bilinear) {
        e.vectors(C, [&](Value *c, Value *mask) {
          e.storeV(e.loadV(e.at(e.at(r0, c0), c), mask), e.at(dst, c), mask);
        });
        return;
      }
      Value *c1 = tableAt(e, scaled(xs.i1, C), ox);
      Value *wx0 = tableAt(e, xs.w0, ox), *wx1 = tableAt(e, xs.w1, ox);
      Value *src[4] = {e.at(r0, c0), e.at(r0, c1), e.at(r1, c0), e.at(r1, c1)};
      Value *w[4] = {e.splat(e.b.CreateFMul(wy0, wx0)), e.splat(e.b.CreateFMul(wy0, wx1)),
                     e.splat(e.b.CreateFMul(wy1, wx0)), e.splat(e.b.CreateFMul(wy1, wx1))};
      e.vectors(C, [&](Value *c, Value *mask) {
        Value *acc = e.b.CreateFMul(e.loadV(e.at(src[0], c), mask), w[0]);
        for (int k = 1; k < 4; ++k)
          acc = e.fma(e.loadV(e.at(src[k], c), mask), w[k], acc);
        e.storeV(acc, e.at(dst, c), mask);
      });
    });
  });
  return OH;
}

} // namespace

std::optional<PackSpec> biasSpec(const Graph &g, const Node &n, bool useBias, const FoldedBN &bn,
                                 int64_t pad) {
  if (!useBias && bn.name.empty())
    return std::nullopt;
  auto shapes = weightShapes(g, n);
  PackSpec b{PackSpec::Bias, useBias ? shapes[1].first : "", {shapes[0].second[0]}, 0, pad};
  b.bn = bn.name, b.eps = bn.eps;
  return b;
}

// Weights [group][in][G x VL] (emitDense's and emitDenseBatch's groups),
// the bias padded to whole groups.
PackPlan planDensePack(const Graph &g, const Node &n, const TargetInfo &t) {
  const DenseAttrs &a = attrs<DenseAttrs>(n);
  const int64_t group = denseVectors(n, t.vectorWidth) * t.vectorWidth;
  auto shapes = weightShapes(g, n);
  PackSpec w{PackSpec::DenseBlocked, shapes[0].first, shapes[0].second};
  w.padTo = group;
  w.outPad = roundUp(a.units, group);
  if (a.image) // an absorbed flatten: the kernel reads the image in HWC order
    w.image = g.nodes[n.inputs[0]].type.dims;
  w.bn = a.bn.name, w.eps = a.bn.eps;
  return {w, biasSpec(g, n, a.useBias, a.bn, w.outPad)};
}

// [scale | shift], Cpad each, as emitBatchNorm reads them.
PackPlan planBatchNormPack(const Node &n, const TargetInfo &t) {
  const int64_t c = n.type.dims.back();
  PackSpec p{PackSpec::Affine, n.name, {c}, 0, roundUp(c, t.vectorWidth)};
  p.eps = attrs<BatchNormAttrs>(n).eps;
  return {p};
}

int64_t emitKernel(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  int64_t items = 1;
  switch (n.op) {
  case OpKind::Conv2D:
    items = emitConv(e, g, n, wOff, bOff);
    break;
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D:
    items = emitPool(e, g, n);
    break;
  case OpKind::Dense:
    items = emitDense(e, g, n, wOff, bOff);
    break;
  case OpKind::Activation:
    emitActivation(e, g, n, attrs<ActAttrs>(n).act);
    break;
  case OpKind::Dropout:
    emitActivation(e, g, n, Act::Linear);
    break;
  case OpKind::Add:
    emitBinary(e, g, n, Instruction::FAdd);
    break;
  case OpKind::Sub:
    emitBinary(e, g, n, Instruction::FSub);
    break;
  case OpKind::Mul:
    emitBinary(e, g, n, Instruction::FMul);
    break;
  case OpKind::Div:
    emitBinary(e, g, n, Instruction::FDiv);
    break;
  case OpKind::BatchNorm:
    emitBatchNorm(e, g, n, wOff);
    break;
  case OpKind::GlobalAvgPool2D:
  case OpKind::GlobalMaxPool2D:
    emitGlobalPool(e, g, n, n.op == OpKind::GlobalMaxPool2D);
    break;
  case OpKind::ZeroPad2D: {
    const std::vector<int64_t> &d = g.nodes[n.inputs[0]].type.dims;
    e.padRows(e.at(e.arena(), n.offset), e.at(e.arena(), g.nodes[n.inputs[0]].offset), d[0], d[1],
              d[2], attrs<ZeroPadAttrs>(n).pad);
    items = n.type.dims[0];
    break;
  }
  case OpKind::Concat:
    emitConcat(e, g, n);
    break;
  case OpKind::Flatten:
    emitFlatten(e, g, n);
    break;
  case OpKind::Upsample2D:
    items = emitUpsample(e, g, n);
    break;
  case OpKind::Prelu:
    items = emitPrelu(e, g, n, wOff);
    break;
  case OpKind::Lrn:
    items = emitLrn(e, g, n);
    break;
  case OpKind::ChannelShuffle:
    items = emitChannelShuffle(e, g, n);
    break;
  case OpKind::Slice:
    items = emitSlice(e, g, n);
    break;
  case OpKind::ConvTranspose2D:
    items = emitConvTranspose(e, g, n, wOff, bOff);
    break;
  case OpKind::Input:
    break; // the runtime copies the input in
  }
  e.b.CreateRetVoid();
  return items;
}

} // namespace cnnc

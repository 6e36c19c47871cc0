// codegen/Kernels.cpp - one kernel per op, specialised to the node's constant
// shapes: every trip count, stride and offset below is a compile-time number.
// Tensors are channels-last; kernels vectorise over channels (conv, pooling,
// dense outputs) with the target's vector width VL, and mask the channel tail.
#include "codegen/Emitter.h"

#include <llvm/IR/Intrinsics.h>

#include <cmath>

namespace cnnc {

using namespace llvm;

namespace {

struct Args {
  Value *weights, *arena;
};

Args args(Emitter &e) { return {e.fn->getArg(0), e.fn->getArg(1)}; }

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Largest divisor of n that is at most limit.
int divisorAtMost(int64_t n, int limit) {
  for (int d = limit; d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

// Copies the conv input into its scratch slice with a zero border of the
// conv's padding; returns the pointer the conv reads.
Value *padInput(Emitter &e, const Node &n, Value *in, int64_t H, int64_t W, int64_t C,
                const Padding &p) {
  if (n.scratch < 0)
    return in;
  Value *dst = e.at(args(e).arena, n.scratch);
  int64_t Wp = W + p.left + p.right, Hp = H + p.top + p.bottom;
  e.b.CreateMemSet(dst, e.b.getInt8(0), Hp * Wp * C * 4, MaybeAlign(4));
  e.loop(0, H, [&](Value *h) {
    Value *row = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(h, e.c(p.top)), e.c(Wp)), e.c(p.left));
    e.b.CreateMemCpy(e.at(dst, e.b.CreateMul(row, e.c(C))), MaybeAlign(4),
                     e.at(in, e.b.CreateMul(h, e.c(W * C))), MaybeAlign(4), W * C * 4);
  });
  return dst;
}

// out[oh][ow][oc] = act(bias[oc] + sum_{kh,kw,ic} in[oh*sh+kh][ow*sw+kw][ic] * w[kh][kw][ic][oc])
// A tile of `ur` output pixels x G output-channel vectors is held in
// accumulators across the whole reduction; a tail tile covers OW % ur.
void emitConv(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const Node &inNode = g.nodes[n.inputs[0]];
  const int64_t H = inNode.type.dims[0], W = inNode.type.dims[1], IC = inNode.type.dims[2];
  const int64_t OH = n.type.dims[0], OW = n.type.dims[1], OC = n.type.dims[2];
  const int64_t Wp = W + a.pad.left + a.pad.right;
  const int64_t OCp = roundUp(OC, e.VL), nv = OCp / e.VL;
  const int G = divisorAtMost(nv, 4);
  const int budget = e.VL == 16 ? 24 : 12; // accumulator registers (32 or 16 in the file)
  const int ur = (int)std::clamp<int64_t>(budget / G, 1, std::min<int64_t>(OW, 14));
  Args A = args(e);
  Value *in = padInput(e, n, e.at(A.arena, inNode.offset), H, W, IC, a.pad);
  Value *out = e.at(A.arena, n.offset), *w = e.at(A.weights, wOff);
  std::vector<Value *> acc;
  for (int i = 0; i < ur * G; ++i)
    acc.push_back(e.slot());

  auto tile = [&](Value *oh, Value *ocg, Value *ow0, int tw) {
    Value *oc0 = e.b.CreateMul(ocg, e.c(G * e.VL));
    for (int gi = 0; gi < G; ++gi) {
      Value *init =
          bOff >= 0 ? e.loadV(e.at(A.weights,
                                   e.b.CreateAdd(e.c(bOff), e.b.CreateAdd(oc0, e.c(gi * e.VL)))))
                    : e.splat(0.f);
      for (int u = 0; u < tw; ++u)
        e.b.CreateStore(init, acc[u * G + gi]);
    }
    e.loop(0, a.kh, [&](Value *kh) {
      Value *ih = e.b.CreateAdd(e.b.CreateMul(oh, e.c(a.sh)), kh);
      e.loop(0, a.kw, [&](Value *kw) {
        // Input pixel of the tile's first output column, and this tap's weight row.
        Value *pix = e.b.CreateAdd(e.b.CreateMul(ih, e.c(Wp)),
                                   e.b.CreateAdd(e.b.CreateMul(ow0, e.c(a.sw)), kw));
        Value *xrow = e.at(in, e.b.CreateMul(pix, e.c(IC)));
        Value *wrow =
            e.at(w, e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(kh, e.c(a.kw)), kw),
                                                e.c(IC * OCp)),
                                  oc0));
        e.loop(0, IC, [&](Value *ic) {
          std::vector<Value *> wv(G);
          for (int gi = 0; gi < G; ++gi)
            wv[gi] =
                e.loadV(e.at(wrow, e.b.CreateAdd(e.b.CreateMul(ic, e.c(OCp)), e.c(gi * e.VL))));
          for (int u = 0; u < tw; ++u) {
            Value *x =
                e.splat(e.b.CreateLoad(e.f32, e.at(xrow, e.b.CreateAdd(ic, e.c(u * a.sw * IC)))));
            for (int gi = 0; gi < G; ++gi) {
              Value *s = acc[u * G + gi];
              e.b.CreateStore(e.fma(x, wv[gi], e.b.CreateLoad(e.vf, s)), s);
            }
          }
        });
      });
    });
    for (int u = 0; u < tw; ++u)
      for (int gi = 0; gi < G; ++gi) {
        Value *oc = e.b.CreateAdd(oc0, e.c(gi * e.VL));
        Value *pix = e.b.CreateAdd(e.b.CreateMul(oh, e.c(OW)), e.b.CreateAdd(ow0, e.c(u)));
        Value *dst = e.at(out, e.b.CreateAdd(e.b.CreateMul(pix, e.c(OC)), oc));
        Value *v = e.activate(a.act, e.b.CreateLoad(e.vf, acc[u * G + gi]));
        e.storeV(v, dst, OC % e.VL ? e.tailMask(oc, OC) : nullptr);
      }
  };

  e.loop(0, nv / G, [&](Value *ocg) {
    e.loop(0, OH, [&](Value *oh) {
      e.loop(0, OW / ur, [&](Value *t) { tile(oh, ocg, e.b.CreateMul(t, e.c(ur)), ur); });
      if (OW % ur)
        tile(oh, ocg, e.c(OW / ur * ur), (int)(OW % ur));
    });
  });
}

// Max/average over each window, vectorised over channels, tile by tile as the
// tile-pooling pass planned. Window rows and columns outside the input are
// skipped: max ignores padding, average divides by the real pixel count (Keras).
void emitPool(Emitter &e, const Graph &g, const Node &n) {
  const PoolAttrs &a = attrs<PoolAttrs>(n);
  const bool isMax = n.op == OpKind::MaxPool2D;
  const Node &inNode = g.nodes[n.inputs[0]];
  const int64_t H = inNode.type.dims[0], W = inNode.type.dims[1], C = inNode.type.dims[2];
  const int64_t OH = n.type.dims[0], OW = n.type.dims[1];
  const int64_t nvc = (C + e.VL - 1) / e.VL;
  const int64_t rows = std::max(a.tile.rows, 1);
  const int64_t vpt =
      std::max<int64_t>(1, std::max(a.tile.cblocks, 1) * 16 / e.VL); // vectors per tile
  Args A = args(e);
  Value *in = e.at(A.arena, inNode.offset), *out = e.at(A.arena, n.offset);
  Value *acc = e.slot();
  auto range = [&](Value *o, int s, int pad, int k, int64_t extent, Value *&lo, Value *&hi,
                   Value *&start) {
    start = e.b.CreateSub(e.b.CreateMul(o, e.c(s)), e.c(pad));
    lo = e.max(e.c(0), e.b.CreateNeg(start));
    hi = e.min(e.c(k), e.b.CreateSub(e.c(extent), start));
  };
  e.loop(0, (OH + rows - 1) / rows, [&](Value *tr) {
    e.loop(0, (nvc + vpt - 1) / vpt, [&](Value *tc) {
      Value *ohLo = e.b.CreateMul(tr, e.c(rows)), *vLo = e.b.CreateMul(tc, e.c(vpt));
      e.loop(ohLo, e.min(e.b.CreateAdd(ohLo, e.c(rows)), e.c(OH)), [&](Value *oh) {
        Value *khLo, *khHi, *ih0;
        range(oh, a.sh, a.pad.top, a.kh, H, khLo, khHi, ih0);
        e.loop(0, OW, [&](Value *ow) {
          Value *kwLo, *kwHi, *iw0;
          range(ow, a.sw, a.pad.left, a.kw, W, kwLo, kwHi, iw0);
          e.loop(vLo, e.min(e.b.CreateAdd(vLo, e.c(vpt)), e.c(nvc)), [&](Value *v) {
            Value *c0 = e.b.CreateMul(v, e.c(e.VL));
            Value *mask = C % e.VL ? e.tailMask(c0, C) : nullptr;
            e.b.CreateStore(e.splat(isMax ? -INFINITY : 0.f), acc);
            e.loop(khLo, khHi, [&](Value *kh) {
              e.loop(kwLo, kwHi, [&](Value *kw) {
                Value *pix = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(ih0, kh), e.c(W)),
                                           e.b.CreateAdd(iw0, kw));
                Value *x = e.loadV(e.at(in, e.b.CreateAdd(e.b.CreateMul(pix, e.c(C)), c0)), mask);
                Value *old = e.b.CreateLoad(e.vf, acc);
                e.b.CreateStore(isMax ? e.maxNaN(old, x) : e.b.CreateFAdd(old, x), acc);
              });
            });
            Value *r = e.b.CreateLoad(e.vf, acc);
            if (!isMax) {
              Value *count = e.b.CreateMul(e.b.CreateSub(khHi, khLo), e.b.CreateSub(kwHi, kwLo));
              r = e.b.CreateFDiv(r, e.splat(e.b.CreateSIToFP(count, e.f32)));
            }
            Value *pix = e.b.CreateAdd(e.b.CreateMul(oh, e.c(OW)), ow);
            e.storeV(r, e.at(out, e.b.CreateAdd(e.b.CreateMul(pix, e.c(C)), c0)), mask);
          });
        });
      });
    });
  });
}

// out[o] = act(bias[o] + sum_i in[i] * w[o][i]) over weights packed in groups
// of G vectors of outputs ([group][in][G*VL]), so each group streams its
// weights once, contiguously. Softmax runs over the finished vector.
void emitDense(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  const DenseAttrs &a = attrs<DenseAttrs>(n);
  const Node &inNode = g.nodes[n.inputs[0]];
  const int64_t IN = inNode.type.dims[0], OUT = n.type.dims[0];
  const int G = (int)std::min<int64_t>(4, (OUT + e.VL - 1) / e.VL), group = G * e.VL;
  const int64_t groups = (OUT + group - 1) / group;
  Args A = args(e);
  Value *in = e.at(A.arena, inNode.offset), *out = e.at(A.arena, n.offset);
  std::vector<Value *> acc;
  for (int i = 0; i < G; ++i)
    acc.push_back(e.slot());
  e.loop(0, groups, [&](Value *grp) {
    Value *o0 = e.b.CreateMul(grp, e.c(group));
    for (int gi = 0; gi < G; ++gi)
      e.b.CreateStore(e.splat(0.f), acc[gi]);
    Value *wg = e.at(A.weights, e.b.CreateAdd(e.c(wOff), e.b.CreateMul(grp, e.c(IN * group))));
    e.loop(0, IN, [&](Value *i) {
      Value *x = e.splat(e.b.CreateLoad(e.f32, e.at(in, i)));
      Value *wrow = e.at(wg, e.b.CreateMul(i, e.c(group)));
      for (int gi = 0; gi < G; ++gi)
        e.b.CreateStore(e.fma(x, e.loadV(e.at(wrow, gi * e.VL)), e.b.CreateLoad(e.vf, acc[gi])),
                        acc[gi]);
    });
    for (int gi = 0; gi < G; ++gi) {
      Value *o = e.b.CreateAdd(o0, e.c(gi * e.VL));
      Value *v = e.b.CreateLoad(e.vf, acc[gi]);
      if (bOff >= 0)
        v = e.b.CreateFAdd(v, e.loadV(e.at(A.weights, e.b.CreateAdd(e.c(bOff), o))));
      e.storeV(e.activate(a.act, v), e.at(out, o), OUT % group ? e.tailMask(o, OUT) : nullptr);
    }
  });
  if (a.act == Act::Softmax)
    e.softmaxRow(out, OUT);
}

// A standalone activation: element-wise over the whole tensor, or softmax
// over the last (channel) axis.
void emitActivation(Emitter &e, const Graph &g, const Node &n) {
  Act act = attrs<ActAttrs>(n).act;
  const Node &inNode = g.nodes[n.inputs[0]];
  Args A = args(e);
  Value *in = e.at(A.arena, inNode.offset), *out = e.at(A.arena, n.offset);
  const int64_t N = n.type.elements();
  if (act == Act::Softmax) {
    const int64_t C = n.type.dims.back();
    e.b.CreateMemCpy(out, MaybeAlign(4), in, MaybeAlign(4), N * 4);
    e.loop(0, N / C, [&](Value *r) { e.softmaxRow(e.at(out, e.b.CreateMul(r, e.c(C))), C); });
    return;
  }
  e.loop(0, N / e.VL, [&](Value *v) {
    Value *i = e.b.CreateMul(v, e.c(e.VL));
    e.storeV(e.activate(act, e.loadV(e.at(in, i))), e.at(out, i));
  });
  if (N % e.VL) {
    Value *i = e.c(N / e.VL * e.VL), *mask = e.tailMask(i, N);
    e.storeV(e.activate(act, e.loadV(e.at(in, i), mask)), e.at(out, i), mask);
  }
}

} // namespace

void emitKernel(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  switch (n.op) {
  case OpKind::Conv2D:
    emitConv(e, g, n, wOff, bOff);
    break;
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    emitPool(e, g, n);
    break;
  case OpKind::Dense:
    emitDense(e, g, n, wOff, bOff);
    break;
  case OpKind::Activation:
    emitActivation(e, g, n);
    break;
  case OpKind::Input:
  case OpKind::Flatten:
    break; // the runtime copies the input in; flatten is a view
  }
  e.b.CreateRetVoid();
}

} // namespace cnnc

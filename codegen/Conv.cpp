// codegen/Conv.cpp - convolution kernels, specialised to the node's constant
// shapes, over channels-last tensors:
//   out[oh][ow][oc] = act(bias[oc] + residual[oh][ow][oc]
//                         + sum_{kh,kw,ic} in[oh*sh+kh][ow*sw+kw][ic] * w[kh][kw][ic][oc])
// (a folded batchnorm is already in the packed weights and bias). A padded
// conv reads a zero-bordered copy of its input that a kernel of its own made
// first (emitPadScratch), so the inner loops have no edge cases. Each kernel
// covers the work items [lo, hi) of its outer loop, so threads can share it.
#include "codegen/Emitter.h"

namespace cnnc {

using namespace llvm;

namespace {

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Largest divisor of n that is at most limit.
int divisorAtMost(int64_t n, int limit) {
  for (int d = limit; d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// What every conv variant shares: its tensors and the epilogue.
struct ConvFrame {
  const ConvAttrs &a;
  int64_t H, W, IC, OH, OW, OC, Wp;
  Value *in, *out, *w, *residual = nullptr;

  ConvFrame(Emitter &e, const Graph &g, const Node &n, int64_t wOff) : a(attrs<ConvAttrs>(n)) {
    const Node &inNode = g.nodes[n.inputs[0]];
    H = inNode.type.dims[0], W = inNode.type.dims[1], IC = inNode.type.dims[2];
    OH = n.type.dims[0], OW = n.type.dims[1], OC = n.type.dims[2];
    Wp = W + a.pad.left + a.pad.right;
    Value *arena = e.arena();
    in = e.at(arena, n.scratch >= 0 ? n.scratch : inNode.offset);
    out = e.at(arena, n.offset);
    w = e.at(e.weights(), wOff);
    if (a.residual)
      residual = e.at(arena, g.nodes[n.inputs[1]].offset);
  }

  /// acc (bias included) -> + residual -> activation -> store at element `index`.
  void finish(Emitter &e, Value *acc, Value *index, Value *mask) {
    if (residual)
      acc = e.b.CreateFAdd(acc, e.loadV(e.at(residual, index), mask));
    e.storeV(e.activate(a.act, acc), e.at(out, index), mask);
  }
};

// A tile of `ur` output pixels x G output-channel vectors is held in
// accumulators across the whole reduction; a tail tile covers OW % ur. Groups
// (groups > 1) run one after another, each over its own channel slices.
int64_t emitDirect(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  ConvFrame f(e, g, n, wOff);
  const ConvAttrs &a = f.a;
  const int64_t ICg = f.IC / a.groups, OCg = f.OC / a.groups;
  const int64_t OCp = roundUp(OCg, e.VL), nv = OCp / e.VL;
  const int G = divisorAtMost(nv, 4);
  const int budget = e.VL == 16 ? 24 : 12; // accumulator registers (32 or 16 in the file)
  const int ur = (int)std::clamp<int64_t>(budget / G, 1, std::min<int64_t>(f.OW, 14));
  std::vector<Value *> acc;
  for (int i = 0; i < ur * G; ++i)
    acc.push_back(e.slot());

  auto tile = [&](Value *grp, Value *oh, Value *ocg, Value *ow0, int tw) {
    Value *oc0 = e.b.CreateMul(ocg, e.c(G * e.VL)); // within the group
    Value *ocBase = e.b.CreateAdd(e.b.CreateMul(grp, e.c(OCg)), oc0);
    for (int gi = 0; gi < G; ++gi) {
      Value *init = bOff >= 0
                        ? e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff + gi * e.VL), ocBase)))
                        : e.splat(0.f);
      for (int u = 0; u < tw; ++u)
        e.b.CreateStore(init, acc[u * G + gi]);
    }
    Value *wg = e.at(f.w, e.b.CreateMul(grp, e.c(a.kh * a.kw * ICg * OCp)));
    e.loop(0, a.kh, [&](Value *kh) {
      Value *ih = e.b.CreateAdd(e.b.CreateMul(oh, e.c(a.sh)), kh);
      e.loop(0, a.kw, [&](Value *kw) {
        // Input pixel of the tile's first output column, and this tap's weight row.
        Value *pix = e.b.CreateAdd(e.b.CreateMul(ih, e.c(f.Wp)),
                                   e.b.CreateAdd(e.b.CreateMul(ow0, e.c(a.sw)), kw));
        Value *xrow =
            e.at(f.in, e.b.CreateAdd(e.b.CreateMul(pix, e.c(f.IC)), e.b.CreateMul(grp, e.c(ICg))));
        Value *tap = e.b.CreateAdd(e.b.CreateMul(kh, e.c(a.kw)), kw);
        Value *wrow = e.at(wg, e.b.CreateAdd(e.b.CreateMul(tap, e.c(ICg * OCp)), oc0));
        e.loop(0, ICg, [&](Value *ic) {
          std::vector<Value *> wv(G);
          for (int gi = 0; gi < G; ++gi)
            wv[gi] =
                e.loadV(e.at(wrow, e.b.CreateAdd(e.b.CreateMul(ic, e.c(OCp)), e.c(gi * e.VL))));
          for (int u = 0; u < tw; ++u) {
            Value *x =
                e.splat(e.b.CreateLoad(e.f32, e.at(xrow, e.b.CreateAdd(ic, e.c(u * a.sw * f.IC)))));
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
        Value *pix = e.b.CreateAdd(e.b.CreateMul(oh, e.c(f.OW)), e.b.CreateAdd(ow0, e.c(u)));
        Value *index =
            e.b.CreateAdd(e.b.CreateMul(pix, e.c(f.OC)), e.b.CreateAdd(ocBase, e.c(gi * e.VL)));
        f.finish(e, e.b.CreateLoad(e.vf, acc[u * G + gi]), index,
                 OCg % e.VL ? e.tailMask(oc, OCg) : nullptr);
      }
  };

  // Work items: (group, channel block, output row), rows innermost so one
  // thread's rows reuse the same weights.
  const int64_t blocks = nv / G;
  e.loop(e.lo(), e.hi(), [&](Value *item) {
    Value *grp = e.b.CreateUDiv(item, e.c(blocks * f.OH));
    Value *rest = e.b.CreateURem(item, e.c(blocks * f.OH));
    Value *ocg = e.b.CreateUDiv(rest, e.c(f.OH)), *oh = e.b.CreateURem(rest, e.c(f.OH));
    e.loop(0, f.OW / ur, [&](Value *t) { tile(grp, oh, ocg, e.b.CreateMul(t, e.c(ur)), ur); });
    if (f.OW % ur)
      tile(grp, oh, ocg, e.c(f.OW / ur * ur), (int)(f.OW % ur));
  });
  return a.groups * blocks * f.OH;
}

// Depthwise (groups == in == out channels): vectorised over channels, a tile
// of `ur` output pixels per channel vector; weights packed [kh][kw][Cpad].
int64_t emitDepthwise(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  ConvFrame f(e, g, n, wOff);
  const ConvAttrs &a = f.a;
  const int64_t C = f.OC, Cp = roundUp(C, e.VL);
  const int ur = (int)std::min<int64_t>(f.OW, e.VL == 16 ? 8 : 4);
  std::vector<Value *> acc;
  for (int i = 0; i < ur; ++i)
    acc.push_back(e.slot());
  auto tile = [&](Value *oh, Value *c0, Value *mask, Value *ow0, int tw) {
    Value *init =
        bOff >= 0 ? e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff), c0))) : e.splat(0.f);
    for (int u = 0; u < tw; ++u)
      e.b.CreateStore(init, acc[u]);
    e.loop(0, a.kh, [&](Value *kh) {
      Value *ih = e.b.CreateAdd(e.b.CreateMul(oh, e.c(a.sh)), kh);
      e.loop(0, a.kw, [&](Value *kw) {
        Value *tap = e.b.CreateAdd(e.b.CreateMul(kh, e.c(a.kw)), kw);
        Value *wv = e.loadV(e.at(f.w, e.b.CreateAdd(e.b.CreateMul(tap, e.c(Cp)), c0)));
        Value *pix = e.b.CreateAdd(e.b.CreateMul(ih, e.c(f.Wp)),
                                   e.b.CreateAdd(e.b.CreateMul(ow0, e.c(a.sw)), kw));
        Value *xrow = e.at(f.in, e.b.CreateAdd(e.b.CreateMul(pix, e.c(C)), c0));
        for (int u = 0; u < tw; ++u) {
          Value *x = e.loadV(e.at(xrow, u * a.sw * C), mask);
          e.b.CreateStore(e.fma(x, wv, e.b.CreateLoad(e.vf, acc[u])), acc[u]);
        }
      });
    });
    for (int u = 0; u < tw; ++u) {
      Value *pix = e.b.CreateAdd(e.b.CreateMul(oh, e.c(f.OW)), e.b.CreateAdd(ow0, e.c(u)));
      f.finish(e, e.b.CreateLoad(e.vf, acc[u]), e.b.CreateAdd(e.b.CreateMul(pix, e.c(C)), c0),
               mask);
    }
  };
  e.loop(e.lo(), e.hi(), [&](Value *oh) {
    e.loop(0, Cp / e.VL, [&](Value *cv) {
      Value *c0 = e.b.CreateMul(cv, e.c(e.VL));
      Value *mask = C % e.VL ? e.tailMask(c0, C) : nullptr;
      e.loop(0, f.OW / ur, [&](Value *t) { tile(oh, c0, mask, e.b.CreateMul(t, e.c(ur)), ur); });
      if (f.OW % ur)
        tile(oh, c0, mask, e.c(f.OW / ur * ur), (int)(f.OW % ur));
    });
  });
  return f.OH;
}

} // namespace

bool isDepthwise(const Graph &g, const Node &n) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  return a.groups > 1 && a.groups == a.filters && a.groups == g.nodes[n.inputs[0]].type.dims.back();
}

int64_t emitConv(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  return isDepthwise(g, n) ? emitDepthwise(e, g, n, wOff, bOff) : emitDirect(e, g, n, wOff, bOff);
}

int64_t emitPadScratch(Emitter &e, const Graph &g, const Node &n) {
  const Node &in = g.nodes[n.inputs[0]];
  const Padding &p = attrs<ConvAttrs>(n).pad;
  e.padRows(e.at(e.arena(), n.scratch), e.at(e.arena(), in.offset), in.type.dims[0],
            in.type.dims[1], in.type.dims[2], p);
  e.b.CreateRetVoid();
  return in.type.dims[0] + p.top + p.bottom;
}

} // namespace cnnc

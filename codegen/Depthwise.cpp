// codegen/Depthwise.cpp - the depthwise convolution (groups == input ==
// output channels > 1), over channels-last tensors:
//   out[oh][ow][c] = act(bias[c] + residual[oh][ow][c]
//                        + sum_{kh,kw} in[oh*sh - pt + kh*dh][ow*sw - pl + kw*dw][c] *
//                        w[kh][kw][c])
// with w packed [kh][kw][Cpad] (a folded batchnorm already in it) and the bias [Cpad].
//
// Vectorised over channels: a tile of R output pixels of one row x V channel
// vectors stays in accumulators over all the taps (depthwiseTile picks R and
// V per layer from a cost model). Per kernel row the tile loads its kw x V
// weight vectors once, and each input vector it reads once, for every tap
// that reads it: stride 1, 3x3, R + 2 loads for 3R FMAs; stride 2 loads only
// the 2R + 1 columns some output reads, nothing is computed and dropped.
// The padding is never copied into a bordered buffer (that copy cost as much
// as the conv): an output row's loop over kernel rows runs only over the rows
// inside the input (bounds computed per row), and the output columns whose
// taps reach past the left or right edge are tiles of their own at
// compile-time columns, in which those taps are not emitted at all; the
// middle tiles, a loop, have no edge cases. Work items: output rows; in a
// row, column tiles, then channel blocks.
#include "codegen/Conv.h"

namespace cnnc {

using namespace llvm;

namespace {

int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// The input columns a tile of r pixels reads in one kernel row.
int64_t tileColumns(int64_t r, const ConvAttrs &a) {
  std::vector<char> used((r - 1) * a.sw + (a.kw - 1) * (int64_t)a.dw + 1, 0);
  for (int64_t u = 0; u < r; ++u)
    for (int k = 0; k < a.kw; ++k)
      used[u * a.sw + k * (int64_t)a.dw] = 1;
  return std::count(used.begin(), used.end(), 1);
}

/// Cycles of one tile of r pixels x v vectors, as tileStepCycles: per kernel
/// row two FMAs and two loads a cycle, and each accumulator's chain of kw
/// FMAs 4 cycles a step, plus a cycle of loop overhead and a cycle per input
/// column, the start of a separate run of v vectors in memory (measured:
/// 112 x 112 x 32 ran at 3/4 the time with tiles of both vectors of each
/// pixel than with one vector and twice the pixels); then the bias loads and
/// the epilogue's stores.
double dwTileCycles(int64_t r, int v, const ConvAttrs &a) {
  if (r <= 0)
    return 0.0;
  const int64_t cols = tileColumns(r, a);
  const double fmas = (double)r * v * a.kw, loads = (double)v * (cols + a.kw);
  return a.kh * (std::max({fmas / 2, loads / 2, 4.0 * a.kw}) + 1 + cols) + (double)r * v + v + 2;
}

} // namespace

ConvTile depthwiseTile(const Graph &g, const Node &n, const TargetInfo &target, ConvTile forced) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const int64_t OW = n.type.dims[1],
                nv = (n.type.dims[2] + target.vectorWidth - 1) / target.vectorWidth;
  // Accumulators, the kernel row's weights and an input vector in registers,
  // with one to spare (at 32 of 32, LLVM spilled an accumulator in the loop).
  auto fits = [&](int64_t r, int v) {
    return r * v + (int64_t)a.kw * v + 3 <= target.vectorRegisters;
  };
  if (forced.vectors > 0 && forced.cols > 0 && forced.vectors <= nv &&
      fits(forced.cols, forced.vectors))
    return {forced.vectors, 1, (int)std::min<int64_t>(forced.cols, OW)};
  ConvTile best{1, 1, 1};
  double bestCost = 1e300;
  for (int v = 1; v <= std::min<int64_t>(nv, 4); ++v)
    for (int64_t r = 1; r <= OW && fits(r, v); ++r) {
      auto row = [&](int vv) {
        return OW / r * dwTileCycles(r, vv, a) + dwTileCycles(OW % r, vv, a);
      };
      const double cost = nv / v * row(v) + (nv % v ? row((int)(nv % v)) : 0.0);
      if (cost < bestCost * 0.999)
        bestCost = cost, best = {v, 1, (int)r};
    }
  return best;
}

int64_t emitDepthwise(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  ConvFrame f(e, g, n, wOff);
  const ConvAttrs &a = f.a;
  const Node &in = g.nodes[n.inputs[0]];
  CNNC_ASSERT(!f.scale && f.pool == 1 && n.scratch < 0 && !hasBorder(in),
              "a depthwise conv reads its unpadded input, with no fused pool or scale");
  const int64_t H = in.type.dims[0], W = in.type.dims[1], C = f.OC, VL = e.VL;
  const int64_t Cp = roundUp(C, VL), nv = Cp / VL, pt = a.pad.top, pl = a.pad.left;
  const int R = e.convTile.cols, V = e.convTile.vectors; // planned with the weights (planConvPack)
  CNNC_ASSERT(R >= 1 && V >= 1 && V <= nv, "a depthwise tile");
  e.unroll = false;
  e.plan = "dw tile " + std::to_string(R) + " px x " + std::to_string(V * VL) + " ch";
  // Output columns [owL, owR) read no padding; the rest are edge tiles.
  const int64_t owL = std::min(f.OW, (pl + a.sw - 1) / a.sw);
  const int64_t owR =
      std::clamp(floorDiv(W - 1 + pl - (a.kw - 1) * (int64_t)a.dw, a.sw) + 1, owL, f.OW);
  const int64_t nMid = (owR - owL) / R;
  std::vector<Value *> acc(R * V);
  for (Value *&s : acc)
    s = e.slot();

  // A tile of tw pixels from column ow0 x v vectors from channel c0, kernel rows
  // [khLo, khHi). At a compile-time column `fixed` (else -1), taps outside are left out.
  auto tile = [&](Value *oh, Value *khLo, Value *khHi, Value *c0, int v, Value *ow0, int64_t fixed,
                  int tw) {
    std::vector<Value *> mask(v);
    for (int vi = 0; vi < v; ++vi) // only a compile-time block holds the channel tail
      mask[vi] =
          C % VL && isa<ConstantInt>(c0) ? e.tailMask(e.b.CreateAdd(c0, e.c(vi * VL)), C) : nullptr;
    for (int vi = 0; vi < v; ++vi) {
      Value *init = bOff >= 0 ? e.loadV(e.at(e.weights(), e.b.CreateAdd(c0, e.c(bOff + vi * VL))))
                              : e.splat(0.f);
      for (int u = 0; u < tw; ++u)
        e.b.CreateStore(init, acc[u * V + vi]);
    }
    Value *col0 = e.b.CreateSub(e.b.CreateMul(ow0, e.c(a.sw)), e.c(pl)); // the tile's first column
    e.loop(khLo, khHi, [&](Value *kh) {
      Value *ih = e.b.CreateAdd(e.b.CreateSub(e.b.CreateMul(oh, e.c(a.sh)), e.c(pt)),
                                e.b.CreateMul(kh, e.c(a.dh)));
      Value *rowp = e.at(f.in, e.b.CreateAdd(e.b.CreateMul(ih, e.c(W * C)), c0));
      std::vector<Value *> wv(a.kw * v);
      for (int k = 0; k < a.kw; ++k)
        for (int vi = 0; vi < v; ++vi) {
          Value *tap = e.b.CreateAdd(e.b.CreateMul(kh, e.c(a.kw)), e.c(k));
          wv[k * v + vi] = e.loadV(e.at(
              f.w, e.b.CreateAdd(e.b.CreateMul(tap, e.c(Cp)), e.b.CreateAdd(c0, e.c(vi * VL)))));
        }
      // Input column j of the tile feeds pixel u through tap k when j = u * sw + k * dw.
      for (int64_t j = 0; j < (tw - 1) * a.sw + (a.kw - 1) * (int64_t)a.dw + 1; ++j) {
        if (fixed >= 0 && (fixed * a.sw - pl + j < 0 || fixed * a.sw - pl + j >= W))
          continue;                            // in the padding
        std::vector<std::pair<int, int>> taps; // (k, u)
        for (int k = 0; k < a.kw; ++k) {
          const int64_t off = j - (int64_t)k * a.dw;
          if (off >= 0 && off % a.sw == 0 && off / a.sw < tw)
            taps.push_back({k, (int)(off / a.sw)});
        }
        for (int vi = 0; vi < v && !taps.empty(); ++vi) {
          Value *col = e.b.CreateMul(e.b.CreateAdd(col0, e.c(j)), e.c(C));
          Value *x = e.loadV(e.at(rowp, e.b.CreateAdd(col, e.c(vi * VL))), mask[vi]);
          for (auto [k, u] : taps) {
            Value *s = acc[u * V + vi];
            e.b.CreateStore(e.fma(x, wv[k * v + vi], e.b.CreateLoad(e.vf, s)), s);
          }
        }
      }
    });
    for (int u = 0; u < tw; ++u)
      for (int vi = 0; vi < v; ++vi)
        f.finish(e, e.b.CreateLoad(e.vf, acc[u * V + vi]), oh, e.b.CreateAdd(ow0, e.c(u)),
                 e.b.CreateAdd(c0, e.c(vi * VL)), mask[vi]);
  };
  // Every channel block at one column tile: blocks of V vectors, the last
  // vector's tail (C % VL) only in a compile-time block. Blocks are innermost,
  // so a tile reads its input columns whole, block after block: a stream
  // the prefetchers follow. (Blocks outside the rows, each block a strided
  // slice of every pixel, ran at 2/3 the speed, though it kept the kernel
  // rows' slices in L1 from one output row to the next.)
  const int64_t looped = nv / V - (C % VL && nv % V == 0 ? 1 : 0);
  auto blocks = [&](const std::function<void(Value *, int)> &at) {
    e.loop(0, looped, [&](Value *blk) { at(e.b.CreateMul(blk, e.c(V * VL)), V); });
    for (int64_t c = looped * V; c < nv; c += V)
      at(e.c(c * VL), (int)std::min<int64_t>(V, nv - c));
  };
  e.loop(e.lo(), e.hi(), [&](Value *oh) {
    // The kernel rows inside the input: top + kh * dh in [0, H).
    Value *top = e.b.CreateSub(e.b.CreateMul(oh, e.c(a.sh)), e.c(pt));
    Value *above = e.b.CreateICmpSLT(top, e.c(0));
    Value *khLo = e.b.CreateSelect(
        above, e.b.CreateUDiv(e.b.CreateSub(e.c(a.dh - 1), top), e.c(a.dh)), e.c(0));
    Value *left = e.b.CreateSub(e.c(H - 1), top); // rows below top, top's own excluded
    Value *khHi =
        e.b.CreateSelect(e.b.CreateICmpSLT(left, e.c(0)), e.c(0),
                         e.min(e.c(a.kh), e.b.CreateAdd(e.b.CreateUDiv(left, e.c(a.dh)), e.c(1))));
    // Edge tiles, the middle's loop, edge tiles.
    auto edge = [&](int64_t from, int64_t to) {
      for (int64_t x = from; x < to; x += R)
        blocks([&](Value *c0, int v) {
          tile(oh, khLo, khHi, c0, v, e.c(x), x, (int)std::min<int64_t>(R, to - x));
        });
    };
    edge(0, owL);
    e.loop(0, nMid, [&](Value *i) {
      Value *ow0 = e.b.CreateAdd(e.c(owL), e.b.CreateMul(i, e.c(R)));
      blocks([&](Value *c0, int v) { tile(oh, khLo, khHi, c0, v, ow0, -1, R); });
    });
    edge(owL + nMid * R, f.OW);
  });
  return f.OH;
}

} // namespace cnnc

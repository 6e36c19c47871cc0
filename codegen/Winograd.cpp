// codegen/Winograd.cpp - 3x3 stride-1 convolutions (dilated too: by phases,
// see Phases) by Winograd's minimal filtering F(m x m, 3x3) (Lavin & Gray,
// 2016), m = 2 or 4. Each m x m block of outputs (a "tile") comes from the
// (m + 2) x (m + 2) input patch d above it:
//   Y = A^T [ sum_ic U[oc][ic] (.) V[ic] ] A,   V = B^T d B,   U = G g G^T,
// (m + 2)^2 multiplications per tile and channel pair where the direct
// convolution takes 9 m^2: 2.25x fewer for F(2x2), 4x for F(4x4), whose
// larger transforms and U cost more (winogradTileSize chooses). U is
// computed when the weights are loaded (PackSpec::ConvWinograd,
// ConvWinograd4); the (m + 2)^2 sums over input channels are independent
// matrix products, [tiles x IC] x [IC x OC], each one run by the same
// register tile as the direct convolution (tiles x G channel vectors in
// accumulators, one broadcast per tile and G weight loads per input channel).
//
// A work item is a run of consecutive tiles (row-major over the output).
// It transforms their input patches into the thread's scratch (V), then per
// block of G output vectors: the products into scratch (M), and the
// output transform with the conv's epilogue (bias, residual, activation, a
// fused 2x2 max pool: an F(2x2) tile is exactly one pooling window) and the
// stores. With a large U (over 8 MB) the products of all the item's blocks
// come first, in chunks of input channels, into one M per block: U is
// streamed once per item rather than re-read per block from beyond L2.
#include "codegen/Conv.h"

#include <array>

namespace cnnc {

using namespace llvm;

/// Tiles: 2x2 blocks of the conv's output; with a fused pool, whole windows
/// only. Dilated by d, the output splits into d x d phases (the pixels of
/// equal (oh mod d, ow mod d)): each phase is an undilated 3x3 conv of its
/// own input pixels, tiled alone, so a tile's 2x2 outputs and 4x4 input
/// patch are d pixels apart.
struct Phases {
  int64_t d, SH, SW, TH, TW; // dilation, a phase's output size, its tiles per column and row
  int64_t tiles() const { return d * d * TH * TW; }
};
/// The phases of conv n tiled by m x m output tiles.
static Phases phases(const Node &n, int m) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const int64_t k = std::max(a.pool, 1), d = a.dh;
  const int64_t SH = n.type.dims[0] * k / d, SW = n.type.dims[1] * k / d;
  return {d, SH, SW, (SH + m - 1) / m, (SW + m - 1) / m};
}
static int64_t tileCount(const Node &n) { return phases(n, 2).tiles(); }

// Fewer than 32 tiles (ResNet-18's 7x7 layers): U, 1.8x the direct weights,
// is streamed from memory for too little work, and the direct conv is faster.
bool winogradApplies(const Graph &g, const Node &n) {
  if (n.op != OpKind::Conv2D)
    return false;
  using A = ConvAttrs;
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  // Stride, groups and anything added later stay at their defaults.
  // A dilated conv: phases of equal size, no pool.
  const bool phased =
      a.dh == a.dw &&
      (a.dh == 1 || (a.pool == 0 && n.type.dims[0] % a.dh == 0 && n.type.dims[1] % a.dh == 0));
  return readsAll(a, &A::filters, &A::kh, &A::kw, &A::pad, &A::useBias, &A::bn, &A::residual,
                  &A::act, &A::pool, &A::dh, &A::dw) &&
         phased && a.kh == 3 && a.kw == 3 && a.sh == 1 && a.sw == 1 && a.groups == 1 &&
         (a.pool == 0 || a.pool == 2) && g.nodes[n.inputs[0]].type.dims[2] >= 16 &&
         a.filters >= 16 && tileCount(n) >= 32;
}

// U ((m + 2)^2 x IC x OC floats) beyond 8 MB: the GEMMs go in chunks of input
// channels (see emitWinograd) so that each work item streams U once, and
// work items are long runs of tiles.
static int64_t uBytes(int m, int64_t IC, int64_t OC, int VL) {
  return 4 * (m + 2) * (m + 2) * IC * roundUp(OC, VL);
}
static bool largeU(int m, int64_t IC, int64_t OC, int VL) {
  return uBytes(m, IC, OC, VL) > (int64_t(8) << 20);
}

// The output tile m: F(4x4, 3x3) (36 products per 16 outputs where F(2x2)
// takes 16 per 4: 1.8x fewer multiplications, larger transforms) where it
// still makes 32 tiles (over the phases of a dilated conv) without a fused
// pool; with a U over 8 MB (2.25x F(2x2)'s) only up to 2048 input channels, as
// its rounding error grows with them (1.2e-4 at 4100). Else F(2x2, 3x3).
// FCN-ResNet50's dilated 512-channel convs took 19 ms instead of 24, its head
// (2048 -> 512) 60 instead of 76; VGG-16's 28x28x512 convs 7.0 and 15.0 ms
// instead of 8.6 and 17.5.
static int winogradTileSize(const Graph &g, const Node &n, int VL) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const int64_t IC = g.nodes[n.inputs[0]].type.dims[2];
  return a.pool == 0 && phases(n, 4).tiles() >= 32 &&
                 (IC <= 2048 || !largeU(4, IC, n.type.dims[2], VL))
             ? 4
             : 2;
}

// The tile: G output vectors x `rows` tiles in registers, `cols` tiles per work item.
static ConvTile winogradTile(const Graph &g, const Node &n, const TargetInfo &target) {
  const int VL = target.vectorWidth, regs = target.vectorRegisters;
  const int64_t IC = g.nodes[n.inputs[0]].type.dims[2], OC = n.type.dims[2];
  const int m = winogradTileSize(g, n, VL);
  const int64_t ICp = roundUp(IC, VL), T = phases(n, m).tiles(),
                vBytes = 4 * (m + 2) * (m + 2) * ICp;
  const int G = (OC + VL - 1) / VL % 2 == 0 ? 2 : 1;
  const int64_t Rmax = std::min(14, (regs - G - 1) / G); // tiles per register block
  // Tiles per work item: every item streams all of U ((m + 2)^2 x IC x OC floats),
  // so a large U wants many tiles per item; their V ((m + 2)^2 x ICp floats each)
  // stays within L2 when U is small (and is then split in two items for two
  // threads), within 2 MiB when it is not.
  // A large U is streamed once per item: then 32 MB of V per item (FCN's
  // head, 196 tiles of 2048 channels, in one item: 67 ms; in four: 85).
  const bool smallU = uBytes(m, IC, OC, VL) <= (1 << 20);
  const int64_t budget = smallU ? 256 << 10 : largeU(m, IC, OC, VL) ? 32 << 20 : 2 << 20;
  int64_t per = std::min<int64_t>(T, std::max<int64_t>(1, budget / vBytes));
  if (smallU && T > Rmax)
    per = std::min(per, (T + 1) / 2);
  per = (T + (T + per - 1) / per - 1) / ((T + per - 1) / per); // balanced over the items
  const int64_t blocksPerItem = (per + Rmax - 1) / Rmax;
  const int64_t R = (per + blocksPerItem - 1) / blocksPerItem;
  return {G, (int)R, (int)(R * blocksPerItem)};
}

// U: [16][block][ic][G x VL], the tile's G output vectors per block.
PackPlan planWinogradPack(const Graph &g, const Node &n, const TargetInfo &t) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  PackPlan p;
  p.winograd = true;
  p.tile = winogradTile(g, n, t);
  auto shapes = weightShapes(g, n);
  PackSpec w{winogradTileSize(g, n, t.vectorWidth) == 4 ? PackSpec::ConvWinograd4
                                                        : PackSpec::ConvWinograd,
             shapes[0].first, shapes[0].second};
  w.padTo = roundUp(a.filters, t.vectorWidth);
  w.block = p.tile.vectors * t.vectorWidth;
  w.bn = a.bn.name, w.eps = a.bn.eps;
  p.weight = w;
  p.bias = biasSpec(g, n, a.useBias, a.bn, w.padTo);
  return p;
}

int64_t emitWinograd(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  ConvFrame f(e, g, n, wOff);
  const Node &inNode = g.nodes[n.inputs[0]];
  const ConvTile t = e.convTile; // winogradTile(), chosen with the weights' packing
  const int G = t.vectors, R = t.rows, VL = e.VL;
  const int64_t NT = t.cols, B = G * VL, IC = f.IC, OC = f.OC;
  // V's rows (a tile's IC floats) an odd number of cache lines apart: a
  // register block's R rows, read side by side, then fall in different L1
  // sets (2048 channels, 8 KB apart, all fell in one: 13 rows in 12 ways).
  const int64_t ICp = roundUp(IC, 16) / 16 % 2 ? roundUp(IC, 16) : roundUp(IC, 16) + 16;
  const int64_t blocks = roundUp(OC, VL) / B;
  CNNC_ASSERT(roundUp(OC, VL) % B == 0 && NT % R == 0,
              "Winograd's tile: whole channel blocks, whole register blocks per item");
  const int64_t Hp = inNode.type.dims[0] + f.a.pad.top + f.a.pad.bottom;
  const int m = winogradTileSize(g, n, VL), P = m + 2, P2 = P * P; // output tile, patch, products
  const Phases ph = phases(n, m);
  const int64_t dil = ph.d, T = ph.tiles(), perPhase = ph.TH * ph.TW;
  // Tile -> its phase's first output pixel (p, q) and its tile row and column there.
  struct At {
    Value *p, *q, *tr, *tc;
  };
  auto locate = [&](Value *tile) {
    Value *phase = dil == 1 ? e.c(0) : e.b.CreateUDiv(tile, e.c(perPhase));
    Value *rest = dil == 1 ? tile : e.b.CreateURem(tile, e.c(perPhase));
    return At{e.b.CreateUDiv(phase, e.c(dil)), e.b.CreateURem(phase, e.c(dil)),
              e.b.CreateUDiv(rest, e.c(ph.TW)), e.b.CreateURem(rest, e.c(ph.TW))};
  };
  // Pixel index i of phase offset p: p + d * i.
  auto pixel = [&](Value *p, Value *i) { return e.b.CreateAdd(p, e.b.CreateMul(i, e.c(dil))); };
  // Work items: runs of NT tiles x groups of channel blocks. A layer of few
  // runs (deep and small) is split by channel blocks too, into an item per
  // thread (at least 4 items and an even count where it can be when the
  // threads are not known: an object's), so threads get equal shares. Each
  // group transforms the run's input again: on one thread ResNet-18's 14x14
  // layers took 0.80 ms in one group, 1.0 in four (and 8 were 20% slower still).
  const int64_t runs = (T + NT - 1) / NT, want = e.threads > 0 ? e.threads : 4;
  int64_t groups = std::min<int64_t>(blocks, std::max<int64_t>(1, (want + runs - 1) / runs));
  if (!e.threads && runs % 2 && groups % 2 && groups < blocks)
    ++groups;
  e.unroll = false;
  const bool chunked = largeU(m, IC, OC, VL);
  const int64_t KC = 512, groupBlocks = chunked ? (blocks + groups - 1) / groups : 1;
  e.scratchFloats = P2 * NT * (ICp + groupBlocks * B);
  e.plan =
      "winograd " + std::to_string(m) + "x" + std::to_string(m) + ": " + std::to_string(R) +
      " tiles x " + std::to_string(B) + " ch" +
      (chunked ? ", " + std::to_string(NT) + " tiles x " + std::to_string(KC) + " ic chunks" : "");
  Value *V = e.scratch(), *M0 = e.at(e.scratch(), P2 * NT * ICp);
  // Row r of B^T (P x P) or A^T (m x P) times a column x of P values, x(i)
  // loaded on demand: only the terms with a nonzero coefficient are read.
  static const double BT2[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static const double AT2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
  static const double BT4[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                   {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static const double AT4[4][6] = {
      {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
  auto coef = [&](bool bt, int r, int i) {
    return m == 2 ? (bt ? BT2[r][i] : AT2[r][i]) : (bt ? BT4[r][i] : AT4[r][i]);
  };
  auto lin = [&](bool bt, int r, const std::function<Value *(int)> &x) {
    Value *sum = nullptr;
    for (int i = 0; i < P; ++i) {
      const double k = coef(bt, r, i);
      if (k == 0)
        continue;
      Value *v = x(i);
      if (!sum) {
        sum = k == 1 ? v : e.b.CreateFMul(v, e.splat((float)k));
        continue;
      }
      sum = k == 1    ? e.b.CreateFAdd(sum, v)
            : k == -1 ? e.b.CreateFSub(sum, v)
                      : e.b.CreateFAdd(sum, e.b.CreateFMul(v, e.splat((float)k)));
    }
    return sum;
  };
  // Z = C X C^T (C = B^T, P x P, or A^T, m x P) in two passes: W = X C^T
  // row by row (rowPass: row i of X, read by x(i, j), in; row i of W out),
  // then Z = C W column by column (colPass: column c of W, read by w(i, c),
  // in; Z's elements to out(r, c, z)). F(4x4)'s 36 values do not fit in
  // registers (nor does a pass that reads them again: LLVM merges the
  // loads), so its passes run in loops of their own through X's memory: only
  // a row or a column is live, and no register spills, on 16 registers too.
  auto rowPass = [&](bool bt, const std::function<Value *(int, int)> &x,
                     const std::function<void(int, int, Value *)> &out) {
    for (int i = 0; i < P; ++i) {
      Value *row[6];
      for (int j = 0; j < P; ++j)
        row[j] = x(i, j);
      for (int c = 0; c < (bt ? P : m); ++c)
        out(i, c, lin(bt, c, [&](int j) { return row[j]; }));
    }
  };
  auto colPass = [&](bool bt, const std::function<Value *(int, int)> &w,
                     const std::function<void(int, int, Value *)> &out) {
    for (int c = 0; c < (bt ? P : m); ++c) {
      Value *col[6];
      for (int i = 0; i < P; ++i)
        col[i] = w(i, c);
      for (int r = 0; r < (bt ? P : m); ++r)
        out(r, c, lin(bt, r, [&](int i) { return col[i]; }));
      if (m == 4 && !bt) // an output column's epilogues done before the next one's loads
        e.barrier();
    }
  };
  // Z = C X C^T (C = B^T, P x P, or A^T, m x P) for the P x P X read by
  // x(i, j), each element handed to out(r, c, z), in registers: F(2x2)'s 16
  // values fit.
  auto sandwich = [&](bool bt, const std::function<Value *(int, int)> &x,
                      const std::function<void(int, int, Value *)> &out) {
    Value *w[6][6];
    rowPass(bt, x, [&](int i, int c, Value *v) { w[i][c] = v; });
    colPass(
        bt, [&](int i, int c) { return w[i][c]; }, out);
  };
  RegTile acc(e, R, G);

  e.loop(e.lo(), e.hi(), [&](Value *item) {
    Value *q = e.b.CreateURem(item, e.c(groups));
    Value *t0 = e.b.CreateMul(e.b.CreateUDiv(item, e.c(groups)), e.c(NT));
    Value *count = e.min(e.c(NT), e.b.CreateSub(e.c(T), t0)); // tiles in this item
    // 1. V[xi][j][ic] = (B^T d B)[xi] for the item's tiles (past the last
    //    tile: the last tile again, for the register blocks' unused rows).
    e.loop(0, NT, [&](Value *j) {
      const At loc = locate(e.min(e.b.CreateAdd(t0, j), e.c(T - 1)));
      Value *ih = pixel(loc.p, e.b.CreateMul(loc.tr, e.c(m)));
      Value *iw = pixel(loc.q, e.b.CreateMul(loc.tc, e.c(m)));
      // The patch's P input rows, from its first column; its columns and V's
      // P^2 rows are constant offsets from these (immediates, few registers).
      // An output size that is not a multiple of m: the last tiles' patch
      // reaches past the input by rows and columns that only feed outputs
      // that are not stored, so any row or column will do.
      Value *rows[6], *cols[6];
      for (int r = 0; r < P; ++r) {
        Value *row = e.b.CreateAdd(ih, e.c(r * dil));
        if (ph.SH % m && r >= ph.SH % m + 2)
          row = e.min(row, e.c(Hp - 1));
        rows[r] =
            e.at(f.in, e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(row, e.c(f.Wp)), iw), e.c(IC)));
      }
      for (int c = 0; c < P; ++c)
        cols[c] =
            ph.SW % m && c >= ph.SW % m + 2
                ? e.b.CreateMul(
                      e.b.CreateSub(e.min(e.b.CreateAdd(iw, e.c(c * dil)), e.c(f.Wp - 1)), iw),
                      e.c(IC))
                : e.c(c * dil * IC);
      Value *vj = e.at(V, e.b.CreateMul(j, e.c(ICp)));
      auto load = [&](Value *ic, Value *mask) {
        return
            [&, ic, mask](int r, int c) { return e.loadV(e.at(e.at(rows[r], cols[c]), ic), mask); };
      };
      auto vAt = [&](Value *ic, int r, int c) {
        return e.at(vj, e.b.CreateAdd(ic, e.c((r * P + c) * NT * ICp)));
      };
      auto toV = [&](Value *ic) {
        return [&, ic](int r, int c, Value *v) { e.storeV(v, vAt(ic, r, c)); };
      };
      if (m == 2) {
        e.vectors(IC, [&](Value *ic, Value *mask) { sandwich(true, load(ic, mask), toV(ic)); });
        return;
      }
      e.vectors(IC, [&](Value *ic, Value *mask) { rowPass(true, load(ic, mask), toV(ic)); });
      e.vectors(IC, [&](Value *ic, Value *) {
        colPass(
            true, [&](int r, int c) { return e.loadV(vAt(ic, r, c)); }, toV(ic));
      });
    });
    Value *regBlocks = e.b.CreateUDiv(e.b.CreateAdd(count, e.c(R - 1)), e.c(R));
    Value *blkLo = e.b.CreateUDiv(e.b.CreateMul(q, e.c(blocks)), e.c(groups));
    Value *blkHi =
        e.b.CreateUDiv(e.b.CreateMul(e.b.CreateAdd(q, e.c(1)), e.c(blocks)), e.c(groups));
    // Block blk's M: [P^2][NT][B] (chunked: one per block of the group).
    auto mOf = [&](Value *blk) {
      return chunked ? e.at(M0, e.b.CreateMul(e.b.CreateSub(blk, blkLo), e.c(P2 * NT * B))) : M0;
    };
    // 2. M[xi][j][oc] = sum_ic V[xi][j][ic] U[xi][ic][oc], R tiles x G
    //    vectors at a time, over input channels [ic0, ic1); `first`: M starts
    //    at zero, else the earlier chunks' sums are added to.
    auto gemm = [&](Value *blk, Value *xi, Value *m0, Value *ic0, Value *ic1, Value *first) {
      Value *u = e.at(
          e.weights(),
          e.b.CreateAdd(e.c(wOff), e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(xi, e.c(blocks)), blk),
                                                 e.c(IC * B))));
      // The U slice that comes next (the next xi's, chunked: the next
      // block's) is prefetched into L2, spread evenly over the slice's
      // register blocks and steps: a model's U comes from memory, which
      // the hardware prefetchers did not hide. (Paired runs: ResNet-18
      // 0.94-0.96 with a line per step in the first G register blocks,
      // spread 0.95 more; six 14x14x256 convs in a row 0.89 more.)
      const Spread pf = spread(e, IC * B, NT / R * IC); // B / (NT / R) floats a step, any chunk
      // (Unchunked, after the last xi comes the next block's first.)
      Value *ahead =
          chunked ? e.c(IC * B)
                  : e.b.CreateSelect(e.b.CreateICmpEQ(xi, e.c(P2 - 1)),
                                     e.c(IC * B * (1 - (P2 - 1) * blocks)), e.c(blocks * IC * B));
      Value *next = e.at(u, e.b.CreateAdd(ahead, e.b.CreateMul(ic0, e.c(B))));
      e.loop(e.c(0), regBlocks, [&](Value *rb) {
        Value *j0 = e.b.CreateAdd(e.b.CreateMul(xi, e.c(NT)), e.b.CreateMul(rb, e.c(R)));
        Value *v = e.at(V, e.b.CreateMul(j0, e.c(ICp)));
        Value *mp = e.at(m0, e.b.CreateMul(j0, e.c(B)));
        acc.init(R);
        if (first) // (on the first chunk M's load is garbage, selected away)
          for (int r = 0; r < R; ++r)
            for (int gi = 0; gi < G; ++gi)
              acc.set(r, gi,
                      e.b.CreateSelect(first, e.splat(0.f), e.loadV(e.at(mp, r * B + gi * VL))));
        e.loop(ic0, ic1, [&](Value *ic) {
          Value *step =
              e.b.CreateAdd(e.b.CreateMul(rb, e.b.CreateSub(ic1, ic0)), e.b.CreateSub(ic, ic0));
          pf.emit(e, next, step);
          acc.update(
              0, R, [&](int r) { return e.at(v, e.b.CreateAdd(ic, e.c(r * ICp))); },
              [&](int gi) {
                return e.at(u, e.b.CreateAdd(e.b.CreateMul(ic, e.c(B)), e.c(gi * VL)));
              });
        });
        for (int r = 0; r < R; ++r)
          for (int gi = 0; gi < G; ++gi)
            e.storeV(acc.get(r, gi), e.at(mp, r * B + gi * VL));
      });
    };
    // A large U in chunks of KC input channels: per chunk and xi, the tiles'
    // V rows (NT x KC floats) stay in L2 while every block's U slice (KC x B)
    // streams through once; M holds all the group's blocks. (At FCN's head
    // chunks of 256, 512 and 2048 were within the noise; 64 was 30% slower.) Otherwise U per block
    // and xi (IC x B) is small enough, and each block's M is transformed out right away.
    if (chunked)
      e.loop(0, (IC + KC - 1) / KC, [&](Value *k) {
        Value *ic0 = e.b.CreateMul(k, e.c(KC)), *ic1 = e.min(e.b.CreateAdd(ic0, e.c(KC)), e.c(IC));
        Value *first = e.b.CreateICmpEQ(k, e.c(0));
        e.loop(0, P2, [&](Value *xi) {
          e.loop(blkLo, blkHi, [&](Value *blk) { gemm(blk, xi, mOf(blk), ic0, ic1, first); });
        });
      });
    e.loop(blkLo, blkHi, [&](Value *blk) {
      Value *M = mOf(blk);
      if (!chunked)
        e.loop(0, P2, [&](Value *xi) { gemm(blk, xi, M, e.c(0), e.c(IC), nullptr); });
      // 3. Y = A^T M A per tile, then the epilogue and the stores (F(4x4):
      //    M A in place first, in a loop of its own).
      if (m == 4)
        e.loop(e.c(0), count, [&](Value *j) {
          Value *mj = e.at(M, e.b.CreateMul(j, e.c(B)));
          for (int gi = 0; gi < G; ++gi) {
            auto mAt = [&](int r, int c) { return e.at(mj, (r * P + c) * NT * B + gi * VL); };
            rowPass(
                false, [&](int r, int c) { return e.loadV(mAt(r, c)); },
                [&](int r, int c, Value *v) { e.storeV(v, mAt(r, c)); });
          }
        });
      e.loop(e.c(0), count, [&](Value *j) {
        const At loc = locate(e.b.CreateAdd(t0, j));
        Value *tr = loc.tr, *tc = loc.tc;
        Value *oh = pixel(loc.p, e.b.CreateMul(tr, e.c(m)));
        Value *ow = pixel(loc.q, e.b.CreateMul(tc, e.c(m)));
        for (int gi = 0; gi < G; ++gi) {
          Value *oc = e.b.CreateAdd(e.b.CreateMul(blk, e.c(B)), e.c(gi * VL));
          Value *mask = OC % VL ? e.tailMask(oc, OC) : nullptr;
          Value *mj = e.at(M, e.b.CreateMul(j, e.c(B)));
          Value *bias =
              bOff >= 0 ? e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff), oc))) : nullptr;
          Value *pooled = nullptr;
          auto mAt = [&](int r, int c) { return e.at(mj, (r * P + c) * NT * B + gi * VL); };
          auto mLoad = [&](int r, int c) { return e.loadV(mAt(r, c)); };
          auto finish = [&](int r, int c, Value *y) {
            if (bias)
              y = e.b.CreateFAdd(y, bias);
            Value *row = e.b.CreateAdd(oh, e.c(r * dil)), *col = e.b.CreateAdd(ow, e.c(c * dil));
            if (f.pool > 1) { // (F(2x2) only) the tile is the pooling window: its maximum
              Value *v = f.value(e, y, row, col, oc, mask);
              pooled = pooled ? e.maxNaN(pooled, v) : v;
              return;
            }
            auto store = [&] { f.finish(e, y, row, col, oc, mask); };
            // An output size that is not a multiple of m: the last tiles'
            // rows and columns from SH % m on are not there.
            Value *inside = nullptr;
            if (ph.SH % m && r >= ph.SH % m)
              inside = e.b.CreateICmpULT(tr, e.c(ph.SH / m));
            if (ph.SW % m && c >= ph.SW % m) {
              Value *ok = e.b.CreateICmpULT(tc, e.c(ph.SW / m));
              inside = inside ? e.b.CreateAnd(inside, ok) : ok;
            }
            if (inside)
              e.ifElse(inside, store, [] {});
            else
              store();
          };
          if (m == 2)
            sandwich(false, mLoad, finish);
          else
            colPass(false, mLoad, finish);
          if (pooled)
            f.store(e, pooled, tr, tc, oc, mask);
        }
      });
    });
  });
  return runs * groups;
}

} // namespace cnnc

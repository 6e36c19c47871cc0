// codegen/Winograd.cpp - 3x3 stride-1 convolutions (dilated too: by phases,
// see Phases) by Winograd's minimal
// filtering F(2x2, 3x3) (Lavin & Gray, 2016). Each 2x2 block of outputs (a
// "tile") comes from the 4x4 input patch d above it:
//   Y = A^T [ sum_ic U[oc][ic] (.) V[ic] ] A,   V = B^T d B,   U = G g G^T,
// 16 multiplications per tile and channel pair where the direct convolution
// takes 36: 2.25x fewer. U is computed when the weights are loaded
// (PackSpec::ConvWinograd); the 16 sums over input channels are 16
// independent matrix products, [tiles x IC] x [IC x OC], each one run by the
// same register tile as the direct convolution (tiles x G channel vectors in
// accumulators, one broadcast per tile and G weight loads per input channel).
//
// A work item is a run of consecutive tiles (row-major over the output).
// It transforms their input patches into the thread's scratch (V), then per
// block of G output vectors: the 16 products into scratch (M), and the
// output transform with the conv's epilogue (bias, residual, activation, a
// fused 2x2 max pool: a tile is exactly one pooling window) and the stores.
// With a large U (over 8 MB) the products of all the item's blocks come
// first, in chunks of input channels, into one M per block: U is streamed
// once per item rather than re-read per block from beyond L2.
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
static Phases phases(const Node &n) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const int64_t k = std::max(a.pool, 1), d = a.dh;
  const int64_t SH = n.type.dims[0] * k / d, SW = n.type.dims[1] * k / d;
  return {d, SH, SW, (SH + 1) / 2, (SW + 1) / 2};
}
static int64_t tileCount(const Node &n) { return phases(n).tiles(); }

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

// U (16 x IC x OC floats) beyond 8 MB: the GEMMs go in chunks of input
// channels (see emitWinograd) so that each work item streams U once, and
// work items are long runs of tiles.
static bool largeU(int64_t IC, int64_t OC, int VL) {
  return 64 * IC * roundUp(OC, VL) > (int64_t(8) << 20);
}

// The tile: G output vectors x `rows` tiles in registers, `cols` tiles per work item.
static ConvTile winogradTile(const Graph &g, const Node &n, const TargetInfo &target) {
  const int VL = target.vectorWidth, regs = target.vectorRegisters;
  const int64_t IC = g.nodes[n.inputs[0]].type.dims[2], OC = n.type.dims[2];
  const int64_t ICp = roundUp(IC, VL), T = tileCount(n);
  const int G = (OC + VL - 1) / VL % 2 == 0 ? 2 : 1;
  const int64_t Rmax = std::min(14, (regs - G - 1) / G); // tiles per register block
  // Tiles per work item: every item streams all of U (16 x IC x OC floats),
  // so a large U wants many tiles per item; their V (16 x ICp floats each)
  // stays within L2 when U is small (and is then split in two items for two
  // threads), within 2 MiB when it is not.
  // A large U is streamed once per item: then 32 MB of V per item (FCN's
  // head, 196 tiles of 2048 channels, in one item: 67 ms; in four: 85).
  const bool smallU = 64 * IC * roundUp(OC, VL) <= (1 << 20);
  const int64_t budget = smallU ? 256 << 10 : largeU(IC, OC, VL) ? 32 << 20 : 2 << 20;
  int64_t per = std::min<int64_t>(T, std::max<int64_t>(1, budget / (64 * ICp)));
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
  PackSpec w{PackSpec::ConvWinograd, shapes[0].first, shapes[0].second};
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
  const Phases ph = phases(n);
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
  // runs (deep and small) is split by channel blocks too, into at least 4
  // items and an even count where it can be, so threads get equal shares;
  // each group transforms the run's input again (more groups cost more than
  // they balance: 8 made ResNet-18's 14x14 layers 20% slower).
  const int64_t runs = (T + NT - 1) / NT;
  int64_t groups = std::min<int64_t>(blocks, std::max<int64_t>(1, (4 + runs - 1) / runs));
  if (runs % 2 && groups % 2 && groups < blocks)
    ++groups;
  e.unroll = false;
  const bool chunked = largeU(IC, OC, VL);
  const int64_t KC = 512, groupBlocks = chunked ? (blocks + groups - 1) / groups : 1;
  e.scratchFloats = 16 * NT * (ICp + groupBlocks * B);
  e.plan =
      "winograd 2x2: " + std::to_string(R) + " tiles x " + std::to_string(B) + " ch" +
      (chunked ? ", " + std::to_string(NT) + " tiles x " + std::to_string(KC) + " ic chunks" : "");
  Value *V = e.scratch(), *M0 = e.at(e.scratch(), 16 * NT * ICp);
  auto add = [&](Value *x, Value *y) { return e.b.CreateFAdd(x, y); };
  auto sub = [&](Value *x, Value *y) { return e.b.CreateFSub(x, y); };
  // B^T x for a column x of 4: [x0 - x2, x1 + x2, x2 - x1, x1 - x3].
  auto bt = [&](Value *x0, Value *x1, Value *x2, Value *x3) {
    return std::array<Value *, 4>{sub(x0, x2), add(x1, x2), sub(x2, x1), sub(x1, x3)};
  };
  // A^T x for a column x of 4: [x0 + x1 + x2, x1 - x2 - x3].
  auto at = [&](Value *x0, Value *x1, Value *x2, Value *x3) {
    return std::array<Value *, 2>{add(add(x0, x1), x2), sub(sub(x1, x2), x3)};
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
      Value *ih = pixel(loc.p, e.b.CreateMul(loc.tr, e.c(2)));
      Value *iw = pixel(loc.q, e.b.CreateMul(loc.tc, e.c(2)));
      // The patch's four input rows, from its first column; its columns and
      // V's 16 rows are constant offsets from these (immediates, few registers).
      Value *rows[4];
      for (int r = 0; r < 4; ++r) {
        // An odd output size: the last tiles' 4th row/column is past the
        // input; it only feeds outputs that are not stored, so any row will do.
        Value *row = e.b.CreateAdd(ih, e.c(r * dil));
        if (r == 3 && ph.SH % 2)
          row = e.min(row, e.c(Hp - 1));
        rows[r] =
            e.at(f.in, e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(row, e.c(f.Wp)), iw), e.c(IC)));
      }
      Value *last = e.c(3 * dil * IC); // the 4th column
      if (ph.SW % 2)
        last = e.b.CreateMul(
            e.b.CreateSub(e.min(e.b.CreateAdd(iw, e.c(3 * dil)), e.c(f.Wp - 1)), iw), e.c(IC));
      Value *vj = e.at(V, e.b.CreateMul(j, e.c(ICp)));
      e.vectors(IC, [&](Value *ic, Value *mask) {
        Value *d[4][4];
        for (int r = 0; r < 4; ++r)
          for (int c = 0; c < 4; ++c) {
            Value *px = c == 3 ? e.at(rows[r], last) : e.at(rows[r], (int64_t)c * dil * IC);
            d[r][c] = e.loadV(e.at(px, ic), mask);
          }
        std::array<Value *, 4> s[4]; // s[c] = B^T (column c of d)
        for (int c = 0; c < 4; ++c)
          s[c] = bt(d[0][c], d[1][c], d[2][c], d[3][c]);
        Value *v0 = e.at(vj, ic);
        for (int r = 0; r < 4; ++r) {
          std::array<Value *, 4> v = bt(s[0][r], s[1][r], s[2][r], s[3][r]);
          for (int c = 0; c < 4; ++c)
            e.storeV(v[c], e.at(v0, (r * 4 + c) * NT * ICp));
        }
      });
    });
    Value *regBlocks = e.b.CreateUDiv(e.b.CreateAdd(count, e.c(R - 1)), e.c(R));
    Value *blkLo = e.b.CreateUDiv(e.b.CreateMul(q, e.c(blocks)), e.c(groups));
    Value *blkHi =
        e.b.CreateUDiv(e.b.CreateMul(e.b.CreateAdd(q, e.c(1)), e.c(blocks)), e.c(groups));
    // Block blk's M: [16][NT][B] (chunked: one per block of the group).
    auto mOf = [&](Value *blk) {
      return chunked ? e.at(M0, e.b.CreateMul(e.b.CreateSub(blk, blkLo), e.c(16 * NT * B))) : M0;
    };
    // 2. M[xi][j][oc] = sum_ic V[xi][j][ic] U[xi][ic][oc], R tiles x G
    //    vectors at a time, over input channels [ic0, ic1); `first`: M starts
    //    at zero, else the earlier chunks' sums are added to.
    auto gemm = [&](Value *blk, Value *xi, Value *m0, Value *ic0, Value *ic1, Value *first) {
      Value *u = e.at(
          e.weights(),
          e.b.CreateAdd(e.c(wOff), e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(xi, e.c(blocks)), blk),
                                                 e.c(IC * B))));
      e.loop(e.c(0), regBlocks, [&](Value *rb) {
        Value *j0 = e.b.CreateAdd(e.b.CreateMul(xi, e.c(NT)), e.b.CreateMul(rb, e.c(R)));
        Value *v = e.at(V, e.b.CreateMul(j0, e.c(ICp)));
        Value *m = e.at(m0, e.b.CreateMul(j0, e.c(B)));
        acc.init(R);
        if (first) // (on the first chunk M's load is garbage, selected away)
          for (int r = 0; r < R; ++r)
            for (int gi = 0; gi < G; ++gi)
              acc.set(r, gi,
                      e.b.CreateSelect(first, e.splat(0.f), e.loadV(e.at(m, r * B + gi * VL))));
        e.loop(ic0, ic1, [&](Value *ic) {
          acc.update(
              0, R, [&](int r) { return e.at(v, e.b.CreateAdd(ic, e.c(r * ICp))); },
              [&](int gi) {
                return e.at(u, e.b.CreateAdd(e.b.CreateMul(ic, e.c(B)), e.c(gi * VL)));
              });
        });
        for (int r = 0; r < R; ++r)
          for (int gi = 0; gi < G; ++gi)
            e.storeV(acc.get(r, gi), e.at(m, r * B + gi * VL));
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
        e.loop(0, 16, [&](Value *xi) {
          e.loop(blkLo, blkHi, [&](Value *blk) { gemm(blk, xi, mOf(blk), ic0, ic1, first); });
        });
      });
    e.loop(blkLo, blkHi, [&](Value *blk) {
      Value *M = mOf(blk);
      if (!chunked)
        e.loop(0, 16, [&](Value *xi) { gemm(blk, xi, M, e.c(0), e.c(IC), nullptr); });
      // 3. Y = A^T M A per tile, then the epilogue and the stores.
      e.loop(e.c(0), count, [&](Value *j) {
        const At loc = locate(e.b.CreateAdd(t0, j));
        Value *tr = loc.tr, *tc = loc.tc;
        Value *oh = pixel(loc.p, e.b.CreateMul(tr, e.c(2)));
        Value *ow = pixel(loc.q, e.b.CreateMul(tc, e.c(2)));
        for (int gi = 0; gi < G; ++gi) {
          Value *oc = e.b.CreateAdd(e.b.CreateMul(blk, e.c(B)), e.c(gi * VL));
          Value *mask = OC % VL ? e.tailMask(oc, OC) : nullptr;
          Value *mv[4][4], *mj = e.at(M, e.b.CreateMul(j, e.c(B)));
          for (int xi = 0; xi < 16; ++xi)
            mv[xi / 4][xi % 4] = e.loadV(e.at(mj, xi * NT * B + gi * VL));
          std::array<Value *, 2> s[4]; // s[c] = A^T (column c of M)
          for (int c = 0; c < 4; ++c)
            s[c] = at(mv[0][c], mv[1][c], mv[2][c], mv[3][c]);
          Value *bias =
              bOff >= 0 ? e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff), oc))) : nullptr;
          Value *y[2][2], *pooled = nullptr;
          for (int r = 0; r < 2; ++r) {
            std::array<Value *, 2> yr = at(s[0][r], s[1][r], s[2][r], s[3][r]);
            for (int c = 0; c < 2; ++c)
              y[r][c] = bias ? add(yr[c], bias) : yr[c];
          }
          for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 2; ++c) {
              Value *row = e.b.CreateAdd(oh, e.c(r * dil)), *col = e.b.CreateAdd(ow, e.c(c * dil));
              if (f.pool > 1) { // the tile is the pooling window: its maximum
                Value *v = f.value(e, y[r][c], row, col, oc, mask);
                pooled = pooled ? e.maxNaN(pooled, v) : v;
                continue;
              }
              auto store = [&] { f.finish(e, y[r][c], row, col, oc, mask); };
              // An odd output size: the last tiles' second row/column is not there.
              Value *inside = nullptr;
              if (r == 1 && ph.SH % 2)
                inside = e.b.CreateICmpULT(tr, e.c(ph.SH / 2));
              if (c == 1 && ph.SW % 2) {
                Value *ok = e.b.CreateICmpULT(tc, e.c(ph.SW / 2));
                inside = inside ? e.b.CreateAnd(inside, ok) : ok;
              }
              if (inside)
                e.ifElse(inside, store, [] {});
              else
                store();
            }
          if (pooled)
            f.store(e, pooled, tr, tc, oc, mask);
        }
      });
    });
  });
  return runs * groups;
}

} // namespace cnnc

// codegen/Conv.cpp - convolution kernels, specialised to the node's constant
// shapes, over channels-last tensors:
//   out[oh][ow][oc] = act(bias[oc] + residual[oh][ow][oc]
//                         + sum_{kh,kw,ic} in[oh*sh+kh*dh][ow*sw+kw*dw][ic] * w[kh][kw][ic][oc])
// (a folded batchnorm is already in the packed weights and bias; dh, dw is
// the dilation: a dilated kernel reads its taps dh, dw pixels apart, with the
// same register tiles and no zero-filled weights).
//
// The direct conv keeps a register tile of rows x cols output pixels x G
// channel vectors in accumulators over the whole reduction: per input
// channel it loads G weight vectors and broadcasts one input float per pixel
// (convTile picks the tile per layer from a cost model). Weights are packed
// per block of G vectors ([block][kh][kw][ic][G x VL]), so a tile streams
// them contiguously (depthwise convs have a kernel of their own, Depthwise.cpp).
// A padded conv reads a zero-bordered input, so the inner
// loops have no edge cases: its producer's own buffer when plan-memory gave
// that a border (then a small kernel only zeroes the border first), else a
// copy made by a kernel of its own (emitPadScratch). Each kernel covers the
// work items [lo, hi) of its outer loop, so threads can share it.
#include "codegen/Conv.h"

namespace cnnc {

using namespace llvm;

namespace {

// A tile of `rows` x `cols` output pixels x G output-channel vectors is held
// in accumulators across the whole reduction (kh, kw, input channel); tail
// tiles cover OW % cols and OH % rows. Weights are packed per block of G
// vectors, so a tile streams them contiguously. Groups (groups > 1) run one
// after another, each over its own channel slices.
int64_t emitDirect(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  ConvFrame f(e, g, n, wOff);
  const ConvAttrs &a = f.a;
  const ConvTile t = e.convTile; // chosen with the weights' packing (planConvPack)
  e.unroll = false;
  e.plan = "tile " + std::to_string(t.rows) + "x" + std::to_string(t.cols) + " px x " +
           std::to_string(t.vectors * e.VL) + " ch";
  const int G = t.vectors;
  const int64_t ICg = f.IC / a.groups, OCg = f.OC / a.groups, OCp = roundUp(OCg, e.VL);
  const int64_t B = G * e.VL, blocks = OCp / B, blockFloats = a.kh * a.kw * ICg * B;
  CNNC_ASSERT(f.IC % a.groups == 0 && f.OC % a.groups == 0 && OCp % B == 0 &&
                  t.rows % f.pool == 0 && t.cols % f.pool == 0,
              "a conv tile of whole groups, channel blocks and pooling windows");
  const int64_t rowTiles = (f.OH + t.rows - 1) / t.rows;
  RegTile acc(e, t.rows * t.cols, G); // a row per pixel of the tile

  // A block whose weights outweigh L2 (3x3 over 2048 input channels: 2.4 MB)
  // would stream them from L3 for every tile. Its reduction is split into
  // chunks of input channels whose weights fit in 256 KB; each chunk runs
  // over all of the block's tiles, adding into the output, the last one with
  // the epilogue. (Not with a fused pool: the output holds only the maxima.)
  const bool chunked = blockFloats * 4 > (1 << 20) && f.pool == 1;
  const int64_t chunk =
      chunked ? std::max<int64_t>(e.VL, (256 << 10) / (a.kh * a.kw * B) / e.VL * e.VL) : ICg;
  const int chunks = (int)((ICg + chunk - 1) / chunk);
  // A layer whose weights outweigh L2 streams them from memory: every tile of a
  // block's row tiles prefetches its share of the next block's weights into L2
  // (a line per reduction step), so the next block's first tile need not wait.
  const int64_t steps = a.kh * a.kw * ICg, weightBytes = a.groups * blocks * blockFloats * 4;
  const bool prefetch = weightBytes > (256 << 10) && G > 1 && !chunked;
  // Work items: (group, channel block, row tile). When the layer's weights and
  // a row tile's input rows fit in L2 together, channel blocks are innermost so
  // each input row is read from memory once. Otherwise a block runs over
  // `run` consecutive row tiles, whose input rows (a panel of at most 1 MB)
  // stay in L2 while every block passes over them: the weights stream once
  // per panel, the input once (a 28x28x1024 -> 2048 1x1 conv re-read its
  // 3.2 MB input from L3 for each of its 64 blocks).
  const int64_t inRowBytes = (t.rows * a.sh + (a.kh - 1) * a.dh) * f.Wp * f.IC * 4;
  const bool blocksInner = weightBytes + inRowBytes <= 768 * 1024;
  const int64_t newRowBytes = std::max<int64_t>(1, t.rows * a.sh * f.Wp * f.IC * 4);
  const int64_t perPanel = std::max<int64_t>(1, (1024 << 10) / newRowBytes);
  const int64_t panels = blocksInner ? 1 : (rowTiles + perPanel - 1) / perPanel;
  const int64_t run = (rowTiles + panels - 1) / panels; // row tiles per panel
  // The next block's weights are spread evenly (Spread) over the `shares` row
  // tiles that pass over this block, each taking its share a little per
  // reduction step. (All in the first row tiles asked for up to 15 GB/s from
  // memory while the last ones asked for none; spread, 6 layer4-like convs in
  // a row ran 8% faster.) Channel blocks innermost: the first G row tiles, one
  // line per step each.
  const int64_t shares = blocksInner ? G : run;
  const Spread wSpread = spread(e, blockFloats, shares * steps);
  // The epilogue; with a fused pool, the maximum of each k x k window of the
  // tile (tiles are whole windows) is stored at the pooled pixel.
  auto epilogue = [&](Value *grp, Value *ocb, Value *oh0, Value *ow0, int th, int tw) {
    Value *oc0 = e.b.CreateMul(ocb, e.c(B));
    Value *ocBase = e.b.CreateAdd(e.b.CreateMul(grp, e.c(OCg)), oc0);
    const int k = (int)f.pool;
    for (int pr = 0; pr < th / k; ++pr)
      for (int pc = 0; pc < tw / k; ++pc)
        for (int gi = 0; gi < G; ++gi) {
          Value *oc = e.b.CreateAdd(ocBase, e.c(gi * e.VL));
          Value *mask = OCg % e.VL ? e.tailMask(e.b.CreateAdd(oc0, e.c(gi * e.VL)), OCg) : nullptr;
          Value *m = nullptr;
          for (int p = 0; p < k * k; ++p) {
            int r = pr * k + p / k, col = pc * k + p % k;
            Value *v = f.value(e, acc.get(r * tw + col, gi), e.b.CreateAdd(oh0, e.c(r)),
                               e.b.CreateAdd(ow0, e.c(col)), oc, mask);
            m = m ? e.maxNaN(m, v) : v;
          }
          f.store(e, m, e.b.CreateAdd(e.b.CreateUDiv(oh0, e.c(k)), e.c(pr)),
                  e.b.CreateAdd(e.b.CreateUDiv(ow0, e.c(k)), e.c(pc)), oc, mask);
        }
  };
  // Chunk k of the reduction: input channels [k * chunk, min((k + 1) * chunk, ICg)).
  auto tile = [&](Value *grp, Value *ocb, Value *oh0, Value *ow0, int th, int tw, int k) {
    Value *oc0 = e.b.CreateMul(ocb, e.c(B)); // within the group
    Value *ocBase = e.b.CreateAdd(e.b.CreateMul(grp, e.c(OCg)), oc0);
    auto mask = [&](int gi) {
      return OCg % e.VL ? e.tailMask(e.b.CreateAdd(oc0, e.c(gi * e.VL)), OCg) : nullptr;
    };
    auto outAt = [&](int p, int gi) {
      return e.at(f.out,
                  f.index(e, e.b.CreateAdd(oh0, e.c(p / tw)), e.b.CreateAdd(ow0, e.c(p % tw)),
                          e.b.CreateAdd(ocBase, e.c(gi * e.VL)), f.OW, f.border));
    };
    acc.init(th * tw, [&](int gi) {
      return bOff >= 0 ? e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff + gi * e.VL), ocBase)))
                       : e.splat(0.f);
    });
    for (int p = 0; k > 0 && p < th * tw; ++p) // the sums of the chunks before
      for (int gi = 0; gi < G; ++gi)
        acc.set(p, gi, e.loadV(outAt(p, gi), mask(gi)));
    // The share of the next block's weights this row tile prefetches.
    Value *part =
        prefetch ? e.b.CreateURem(e.b.CreateUDiv(oh0, e.c(t.rows)), e.c(shares)) : nullptr;
    Value *wb = e.at(
        f.w, e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(grp, e.c(blocks)), ocb), e.c(blockFloats)));
    e.loop(0, a.kh, [&](Value *kh) {
      e.loop(0, a.kw, [&](Value *kw) {
        // Each tile row's first input pixel for this tap, and the tap's weights.
        std::vector<Value *> xrow(th);
        for (int r = 0; r < th; ++r) {
          Value *ih = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(oh0, e.c(r)), e.c(a.sh)),
                                    e.b.CreateMul(kh, e.c(a.dh)));
          Value *pix = e.b.CreateAdd(
              e.b.CreateMul(ih, e.c(f.Wp)),
              e.b.CreateAdd(e.b.CreateMul(ow0, e.c(a.sw)), e.b.CreateMul(kw, e.c(a.dw))));
          xrow[r] = e.at(
              f.in, e.b.CreateAdd(e.b.CreateMul(pix, e.c(f.IC)), e.b.CreateMul(grp, e.c(ICg))));
        }
        Value *tap = e.b.CreateAdd(e.b.CreateMul(kh, e.c(a.kw)), kw);
        Value *wrow = e.at(wb, e.b.CreateMul(tap, e.c(ICg * B)));
        e.loop(k * chunk, std::min((k + 1) * chunk, ICg), [&](Value *ic) {
          if (prefetch) // this row tile's share of the next block, a step's worth
            wSpread.emit(e, e.at(wb, blockFloats),
                         e.b.CreateAdd(e.b.CreateMul(part, e.c(steps)),
                                       e.b.CreateAdd(e.b.CreateMul(tap, e.c(ICg)), ic)));
          // A fused mul scales input channel ic: its weights, once per step.
          Value *s =
              f.scale ? e.splat(e.b.CreateLoad(
                            e.f32, e.at(f.scale, e.b.CreateAdd(e.b.CreateMul(grp, e.c(ICg)), ic))))
                      : nullptr;
          acc.update(
              0, th * tw,
              [&](int p) {
                return e.at(xrow[p / tw], e.b.CreateAdd(ic, e.c(p % tw * a.sw * f.IC)));
              },
              [&](int gi) {
                return e.at(wrow, e.b.CreateAdd(e.b.CreateMul(ic, e.c(B)), e.c(gi * e.VL)));
              },
              s);
        });
      });
    });
    if (k < chunks - 1) { // a partial sum
      for (int p = 0; p < th * tw; ++p)
        for (int gi = 0; gi < G; ++gi)
          e.storeV(acc.get(p, gi), outAt(p, gi), mask(gi));
      return;
    }
    epilogue(grp, ocb, oh0, ow0, th, tw);
  };
  // A row of tiles: `th` output rows from oh0, all columns.
  auto tileRow = [&](Value *grp, Value *ocb, Value *oh0, int th, int k) {
    e.loop(0, f.OW / t.cols,
           [&](Value *c) { tile(grp, ocb, oh0, e.b.CreateMul(c, e.c(t.cols)), th, t.cols, k); });
    if (f.OW % t.cols)
      tile(grp, ocb, oh0, e.c(f.OW / t.cols * t.cols), th, (int)(f.OW % t.cols), k);
  };
  // Row tile rt (a value) of a block, chunk k.
  auto rowTile = [&](Value *grp, Value *ocb, Value *rt, int k) {
    Value *oh0 = e.b.CreateMul(rt, e.c(t.rows));
    if (f.OH % t.rows == 0)
      return tileRow(grp, ocb, oh0, t.rows, k);
    e.ifElse(
        e.b.CreateICmpULT(rt, e.c(rowTiles - 1)), [&] { tileRow(grp, ocb, oh0, t.rows, k); },
        [&] { tileRow(grp, ocb, oh0, (int)(f.OH % t.rows), k); });
  };
  if (chunked) { // work items: (group, channel block); chunks outermost within them
    e.plan += ", " + std::to_string(chunks) + " chunks of " + std::to_string(chunk) + " in";
    e.loop(e.lo(), e.hi(), [&](Value *item) {
      Value *grp = e.b.CreateUDiv(item, e.c(blocks)), *ocb = e.b.CreateURem(item, e.c(blocks));
      for (int k = 0; k < chunks; ++k)
        e.loop(0, rowTiles, [&](Value *rt) { rowTile(grp, ocb, rt, k); });
    });
    return a.groups * blocks;
  }

  if (blocksInner) {
    e.loop(e.lo(), e.hi(), [&](Value *item) {
      Value *grp = e.b.CreateUDiv(item, e.c(blocks * rowTiles));
      Value *rest = e.b.CreateURem(item, e.c(blocks * rowTiles));
      rowTile(grp, e.b.CreateURem(rest, e.c(blocks)), e.b.CreateUDiv(rest, e.c(blocks)), 0);
    });
    return a.groups * blocks * rowTiles;
  }
  // Items (group, panel, block, row tile of the panel); the last panel may be
  // shorter, and its missing row tiles are empty items.
  if (panels > 1)
    e.plan += ", " + std::to_string(panels) + " panels";
  e.loop(e.lo(), e.hi(), [&](Value *item) {
    Value *grp = e.b.CreateUDiv(item, e.c(panels * blocks * run));
    Value *rest = e.b.CreateURem(item, e.c(panels * blocks * run));
    Value *panel = e.b.CreateUDiv(rest, e.c(blocks * run));
    Value *ocb = e.b.CreateURem(e.b.CreateUDiv(rest, e.c(run)), e.c(blocks));
    Value *rt = e.b.CreateAdd(e.b.CreateMul(panel, e.c(run)), e.b.CreateURem(rest, e.c(run)));
    if (panels * run == rowTiles)
      return rowTile(grp, ocb, rt, 0);
    e.ifElse(
        e.b.CreateICmpULT(rt, e.c(rowTiles)), [&] { rowTile(grp, ocb, rt, 0); }, [] {});
  });
  return a.groups * panels * blocks * run;
}

} // namespace

// Cycles per reduction step of an r x u tile of G vectors, measured on Zen 5
// and consistent with Intel's AVX-512 cores: two FMA ports, two load ports,
// but broadcasts at about 1.6 per cycle; every accumulator's FMA chain is 4
// cycles long; about a cycle of loop overhead. The bias load and the epilogue
// are spread over the `steps` reduction steps.
double tileStepCycles(int64_t r, int64_t u, int G, double steps) {
  if (!r || !u)
    return 0.0;
  double pixels = (double)r * u;
  return std::max({pixels * G / 2, (pixels + G) / 2, pixels / 1.6, 4.0}) + 1.0 +
         pixels * G * 2 / steps;
}

namespace {

// The register tile of a direct conv: `forced` when it fits, else the cost model's.
ConvTile convTile(const Graph &g, const Node &n, const TargetInfo &target, ConvTile forced) {
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const int64_t IC = g.nodes[n.inputs[0]].type.dims[2] / a.groups;
  // The conv's own output; a fused k x k pool needs tiles of whole windows.
  const int k = std::max(a.pool, 1);
  const int64_t OH = n.type.dims[0] * k, OW = n.type.dims[1] * k;
  const int VL = target.vectorWidth, regs = target.vectorRegisters;
  const int64_t nv = (n.type.dims[2] / a.groups + VL - 1) / VL;
  const double steps = (double)a.kh * a.kw * IC; // reduction steps per tile
  const int G0 = forced.vectors;
  if (G0 > 0 && nv % G0 == 0 && forced.rows > 0 && forced.cols > 0 && forced.rows % k == 0 &&
      forced.cols % k == 0 && forced.rows * forced.cols * G0 + G0 + 1 <= regs)
    return {G0, (int)std::min<int64_t>(forced.rows, OH), (int)std::min<int64_t>(forced.cols, OW)};
  // An output that streams to memory (beyond L2 with the input) is written as
  // one run of G vectors per pixel per channel block: a run costs about 12
  // cycles more than its stores (measured: 112x112x32 -> 64 1x1 took 0.36 ms
  // in one block of 4 vectors, 0.42 in two of 2; 224x224x3 -> 64 3x3 alike).
  const double runCost = OH * OW * a.filters * 4 > (1 << 20) ? 12.0 / steps : 0.0;
  ConvTile best{1, k, k};
  double bestCost = 1e300;
  for (int G = 1; G <= std::min<int64_t>(nv, 4); ++G) {
    if (nv % G)
      continue;
    for (int R = k; R <= OH && R * k * G + G + 1 <= regs; R += k)
      for (int U = k; U <= OW && R * U * G + G + 1 <= regs; U += k) {
        auto cost = [&](int64_t r, int64_t u) { return tileStepCycles(r, u, G, steps); };
        double perRow = OW / U * cost(R, U) + cost(R, OW % U);
        double tailRow = OW / U * cost(OH % R, U) + cost(OH % R, OW % U);
        // Ties go to the tile that reads the fewest input pixels per output pixel.
        double window =
            (double)(R * a.sh + (a.kh - 1) * a.dh) * (U * a.sw + (a.kw - 1) * a.dw) / (R * U);
        double total =
            (nv / G) * ((OH / R * perRow + tailRow) * (1 + 0.001 * window) + OH * OW * runCost);
        if (total < bestCost * 0.999)
          bestCost = total, best = {G, R, U};
      }
  }
  return best;
}

} // namespace

// Weights [group][block][kh][kw][ic][G x VL] for the direct conv's tile;
// depthwise ones are one [kh][kw][Cpad] table: the ungrouped layout of [C, 1, kh, kw].
PackPlan planConvPack(const Graph &g, const Node &n, const CodegenOptions &opts) {
  if (opts.winograd && winogradApplies(g, n))
    return planWinogradPack(g, n, opts.target);
  const ConvAttrs &a = attrs<ConvAttrs>(n);
  const bool depthwise = isDepthwise(g, n);
  const int64_t ocg = a.filters / a.groups;
  PackPlan p;
  p.tile = depthwise ? depthwiseTile(g, n, opts.target, opts.convTile)
                     : convTile(g, n, opts.target, opts.convTile);
  auto shapes = weightShapes(g, n);
  PackSpec w{PackSpec::ConvHWIO, shapes[0].first, shapes[0].second};
  w.groups = depthwise ? 1 : a.groups;
  w.padTo = roundUp(depthwise ? a.filters : ocg, opts.target.vectorWidth);
  w.block = depthwise ? w.padTo : p.tile.vectors * opts.target.vectorWidth;
  w.bn = a.bn.name, w.eps = a.bn.eps;
  p.weight = w;
  // The kernel reads whole vectors from each group's first bias.
  p.bias = biasSpec(g, n, a.useBias, a.bn, depthwise ? w.padTo : (a.groups - 1) * ocg + w.padTo);
  return p;
}

int64_t emitConv(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  using A = ConvAttrs;
  CNNC_ASSERT(readsAll(attrs<ConvAttrs>(n), &A::filters, &A::kh, &A::kw, &A::sh, &A::sw, &A::pad,
                       &A::dh, &A::dw, &A::groups, &A::useBias, &A::bn, &A::residual, &A::act,
                       &A::pool, &A::scaled),
              "conv '" + n.name + "' has an attribute no conv kernel reads");
  if (e.winograd)
    return emitWinograd(e, g, n, wOff, bOff);
  return isDepthwise(g, n) ? emitDepthwise(e, g, n, wOff, bOff) : emitDirect(e, g, n, wOff, bOff);
}

int64_t emitPadScratch(Emitter &e, const Graph &g, const Node &n) {
  const Node &in = g.nodes[n.inputs[0]];
  const Padding p = inputBorder(g, n);
  // A copy into the scratch buffer, or (the input's buffer has the border) only zeroes.
  Value *src = n.scratch >= 0 ? e.at(e.arena(), in.offset) : nullptr;
  e.padRows(e.at(e.arena(), n.scratch >= 0 ? n.scratch : in.offset), src, in.type.dims[0],
            in.type.dims[1], in.type.dims[2], p);
  e.b.CreateRetVoid();
  return in.type.dims[0] + p.top + p.bottom;
}

} // namespace cnnc

// codegen/ConvTranspose.cpp - conv2d_transpose (PyTorch's ConvTranspose2d),
// specialised to the node's constant shapes, over channels-last tensors:
//   out[oy][ox][oc] = act(bias[oc] + sum in[iy][ix][ic] * w[ic][oc][ky][kx])
// over oy = iy * sh + ky * dh - top, ox = ix * sw + kx * dw - left (a folded
// batchnorm is already in the packed weights and bias).
//
// No zero-upsampled input and no zero taps: the output rows of one phase
// py = oy mod sh all read the same taps, those ky with
// (py + top - ky * dh) = 0 (mod sh), from input rows
//   iy = t + base(py) - off(ky),  oy = t * sh + py,
// so each phase (py, px) is an ordinary stride-1 convolution of the input
// with its subset of the taps (for a 2x2 stride-2 kernel, one tap each).
// The phases' tap lists are arithmetic (ky0, ky0 + sh / gcd(sh, dh), ...)
// and come from small constant tables; a tap reaching past the input reads
// the zero border of the input's padded copy (inputBorder), so the inner
// loops have no edge cases. Like the direct conv (Conv.cpp), a register tile
// of rows x cols output pixels of one phase x G channel vectors stays in
// accumulators over the whole reduction: per (tap, input channel) it loads G
// weight vectors and broadcasts one input float per pixel, the pixels of a
// tile row being consecutive input pixels.
#include "codegen/Emitter.h"

#include <map>
#include <numeric>
#include <set>

namespace cnnc {

using namespace llvm;

namespace {

/// x^-1 modulo m, for x and m coprime (extended Euclid); 0 when m is 1.
int64_t inverse(int64_t x, int64_t m) {
  int64_t a = x % m, b = m, u = 1, v = 0;
  while (b) {
    const int64_t q = a / b;
    a -= q * b, std::swap(a, b);
    u -= q * v, std::swap(u, v);
  }
  return ((u % m) + m) % m;
}

/// One axis of a transposed conv, split into its stride's phases.
struct PhaseAxis {
  int s;                                   // the stride: phases 0 .. s - 1
  int64_t kStep, iStep;                    // between a phase's taps: kernel index, input pixel
  std::vector<int64_t> k0, taps, start, n; // per phase: first tap, taps, its input pixel, outputs
  int64_t most = 0;                        // outputs of the largest phase

  /// `in` input pixels inside a border of `before` read by `out` outputs.
  PhaseAxis(int64_t in, int64_t out, int k, int stride, int d, int crop, int64_t before,
            int64_t after)
      : s(stride) {
    const int64_t g = std::gcd(stride, d);
    kStep = stride / g, iStep = d / g;
    for (int p = 0; p < stride; ++p) {
      const int64_t q = p + crop, r = q % stride, base = q / stride;
      // The smallest tap with first * d = r (mod s): r / g times the inverse
      // of d / g modulo s / g, when g divides r (else the phase has no taps).
      const int64_t first = r % g ? k : r / g * inverse(d / g, kStep) % kStep;
      const int64_t count = first < k ? (k - first + kStep - 1) / kStep : 0;
      const int64_t rows = p < out ? (out - p + stride - 1) / stride : 0;
      k0.push_back(first);
      taps.push_back(count);
      start.push_back(base - (first * d - r) / stride + before); // tap 0 of output 0
      n.push_back(rows);
      most = std::max(most, rows);
      // The border is what the taps reach (inputBorder): never past it.
      CNNC_ASSERT(!count || !rows ||
                      (start.back() - (count - 1) * iStep >= 0 &&
                       start.back() + rows - 1 < in + before + after),
                  "a transposed conv's taps stay inside its input's zero border");
    }
  }
  /// The tile tails (outputs of a phase mod `tile`) some phase has, 0 left out.
  std::set<int> tails(int tile) const {
    std::set<int> t;
    for (int64_t rows : n)
      if (rows % tile)
        t.insert((int)(rows % tile));
    return t;
  }
};

/// The phase tables of one kernel: constants in its module, element `index` loaded.
struct Tables {
  Emitter &e;
  std::map<const std::vector<int64_t> *, GlobalVariable *> made;
  Value *operator()(const std::vector<int64_t> &data, Value *index) {
    GlobalVariable *&gv = made[&data];
    if (!gv) {
      Module &m = *e.fn->getParent();
      Constant *init = ConstantDataArray::get(m.getContext(), ArrayRef<int64_t>(data));
      gv = new GlobalVariable(m, init->getType(), true, GlobalValue::PrivateLinkage, init,
                              "phase.table");
    }
    return e.b.CreateLoad(e.i64, e.b.CreateInBoundsGEP(e.i64, gv, index));
  }
};

/// Calls body(v) for the value v of `x` among the constants `values` (x is one of them).
void dispatch(Emitter &e, Value *x, const std::set<int> &values,
              const std::function<void(int)> &body) {
  if (values.empty())
    return;
  auto it = values.begin();
  const int v = *it;
  if (values.size() == 1)
    return body(v);
  std::set<int> rest(std::next(it), values.end());
  e.ifElse(
      e.b.CreateICmpEQ(x, e.c(v)), [&] { body(v); }, [&] { dispatch(e, x, rest, body); });
}

struct Shapes {
  int64_t IC, OC, ICg, OCg, H, W, OH, OW;
  Shapes(const Graph &g, const Node &n) {
    const ConvTransposeAttrs &a = attrs<ConvTransposeAttrs>(n);
    const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
    H = in[0], W = in[1], IC = in[2];
    OH = n.type.dims[0], OW = n.type.dims[1], OC = n.type.dims[2];
    ICg = IC / a.groups, OCg = OC / a.groups;
  }
};

/// The register tile: `forced` when it fits, else the direct conv's cost
/// model over a phase's output grid and its share of the taps.
ConvTile transposeTile(const Graph &g, const Node &n, const TargetInfo &target, ConvTile forced) {
  const ConvTransposeAttrs &a = attrs<ConvTransposeAttrs>(n);
  const Shapes sh(g, n);
  const int VL = target.vectorWidth, regs = target.vectorRegisters;
  const int64_t nv = (sh.OCg + VL - 1) / VL;
  const int64_t PH = (sh.OH + a.sh - 1) / a.sh, PW = (sh.OW + a.sw - 1) / a.sw;
  const int G0 = forced.vectors;
  if (G0 > 0 && nv % G0 == 0 && forced.rows > 0 && forced.cols > 0 &&
      forced.rows * forced.cols * G0 + G0 + 1 <= regs)
    return {G0, (int)std::min<int64_t>(forced.rows, PH), (int)std::min<int64_t>(forced.cols, PW)};
  const double steps = std::max(1.0, (double)a.kh * a.kw / (a.sh * a.sw)) * sh.ICg;
  ConvTile best{1, 1, 1};
  double bestCost = 1e300;
  for (int G = 1; G <= std::min<int64_t>(nv, 4); ++G) {
    if (nv % G)
      continue;
    for (int R = 1; R <= PH && R * G + G + 1 <= regs; ++R)
      for (int U = 1; U <= PW && R * U * G + G + 1 <= regs; ++U) {
        auto cost = [&](int64_t r, int64_t u) { return tileStepCycles(r, u, G, steps); };
        double perRow = PW / U * cost(R, U) + cost(R, PW % U);
        double tailRow = PW / U * cost(PH % R, U) + cost(PH % R, PW % U);
        double total = (nv / G) * (PH / R * perRow + tailRow);
        if (total < bestCost * 0.999)
          bestCost = total, best = {G, R, U};
      }
  }
  return best;
}

} // namespace

// Weights [group][block][kh][kw][ic][G x VL] for the tile; the bias padded so
// that the kernel reads whole vectors from each group's first.
PackPlan planConvTransposePack(const Graph &g, const Node &n, const CodegenOptions &opts) {
  const ConvTransposeAttrs &a = attrs<ConvTransposeAttrs>(n);
  const int64_t ocg = a.filters / a.groups;
  PackPlan p;
  p.tile = transposeTile(g, n, opts.target, opts.convTile);
  auto shapes = weightShapes(g, n);
  PackSpec w{PackSpec::ConvTransposeHWIO, shapes[0].first, shapes[0].second};
  w.groups = a.groups;
  w.padTo = roundUp(ocg, opts.target.vectorWidth);
  w.block = p.tile.vectors * opts.target.vectorWidth;
  w.bn = a.bn.name, w.eps = a.bn.eps;
  p.weight = w;
  if (a.useBias || !a.bn.name.empty()) {
    PackSpec b{PackSpec::Bias,
               a.useBias ? n.name + ".bias" : "",
               {a.filters},
               0,
               (a.groups - 1) * ocg + w.padTo};
    b.bn = a.bn.name, b.eps = a.bn.eps;
    p.bias = b;
  }
  return p;
}

int64_t emitConvTranspose(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff) {
  using A = ConvTransposeAttrs;
  const A &a = attrs<A>(n);
  CNNC_ASSERT(readsAll(a, &A::filters, &A::kh, &A::kw, &A::sh, &A::sw, &A::pad, &A::oph, &A::opw,
                       &A::dh, &A::dw, &A::groups, &A::useBias, &A::bn, &A::act),
              "conv2d_transpose '" + n.name + "' has an attribute its kernel does not read");
  const Shapes d(g, n);
  const Padding bin = inputBorder(g, n), bout = n.border;
  const PhaseAxis ys(d.H, d.OH, a.kh, a.sh, a.dh, a.pad.top, bin.top, bin.bottom);
  const PhaseAxis xs(d.W, d.OW, a.kw, a.sw, a.dw, a.pad.left, bin.left, bin.right);
  const int64_t Wp = d.W + bin.left + bin.right, OWb = d.OW + bout.left + bout.right;
  const ConvTile t = e.convTile; // chosen with the weights' packing
  e.unroll = false;
  e.plan = "tile " + std::to_string(t.rows) + "x" + std::to_string(t.cols) + " px x " +
           std::to_string(t.vectors * e.VL) + " ch, " + std::to_string(a.sh * a.sw) + " phases";
  const int G = t.vectors;
  const int64_t OCp = roundUp(d.OCg, e.VL), B = G * e.VL, blocks = OCp / B;
  const int64_t blockFloats = a.kh * a.kw * d.ICg * B;
  CNNC_ASSERT(OCp % B == 0, "a transposed conv's tile of whole channel blocks");
  const int64_t rowTiles = (ys.most + t.rows - 1) / t.rows;
  RegTile acc(e, t.rows * t.cols, G);
  Tables table{e, {}};
  Value *arena = e.arena();
  Value *in = e.at(arena, n.scratch >= 0 ? n.scratch : g.nodes[n.inputs[0]].offset);
  Value *out = e.at(arena, n.offset), *w = e.at(e.weights(), wOff);

  // A tile: th x tw outputs (t0.., u0..) of phase (py, px), channel block ocb.
  auto tile = [&](Value *grp, Value *ocb, Value *py, Value *px, Value *t0, Value *u0, int th,
                  int tw) {
    Value *oc0 = e.b.CreateMul(ocb, e.c(B)); // within the group
    Value *ocBase = e.b.CreateAdd(e.b.CreateMul(grp, e.c(d.OCg)), oc0);
    acc.init(th * tw, [&](int gi) {
      return bOff >= 0 ? e.loadV(e.at(e.weights(), e.b.CreateAdd(e.c(bOff + gi * e.VL), ocBase)))
                       : e.splat(0.f);
    });
    Value *wb = e.at(
        w, e.b.CreateMul(e.b.CreateAdd(e.b.CreateMul(grp, e.c(blocks)), ocb), e.c(blockFloats)));
    Value *ky0 = table(ys.k0, py), *kx0 = table(xs.k0, px);
    Value *row0 = e.b.CreateAdd(table(ys.start, py), t0);
    Value *col0 = e.b.CreateAdd(table(xs.start, px), u0);
    Value *xTaps = table(xs.taps, px);
    e.loop(e.c(0), table(ys.taps, py), [&](Value *jy) {
      Value *ky = e.b.CreateAdd(ky0, e.b.CreateMul(jy, e.c(ys.kStep)));
      Value *row = e.b.CreateSub(row0, e.b.CreateMul(jy, e.c(ys.iStep)));
      e.loop(e.c(0), xTaps, [&](Value *jx) {
        Value *kx = e.b.CreateAdd(kx0, e.b.CreateMul(jx, e.c(xs.kStep)));
        Value *col = e.b.CreateSub(col0, e.b.CreateMul(jx, e.c(xs.iStep)));
        // Each tile row's first input pixel for this tap, and the tap's weights.
        std::vector<Value *> xrow(th);
        for (int r = 0; r < th; ++r) {
          Value *pix = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(row, e.c(r)), e.c(Wp)), col);
          xrow[r] = e.at(
              in, e.b.CreateAdd(e.b.CreateMul(pix, e.c(d.IC)), e.b.CreateMul(grp, e.c(d.ICg))));
        }
        Value *tap = e.b.CreateAdd(e.b.CreateMul(ky, e.c(a.kw)), kx);
        Value *wrow = e.at(wb, e.b.CreateMul(tap, e.c(d.ICg * B)));
        e.loop(0, d.ICg, [&](Value *ic) {
          acc.update(
              0, th * tw,
              [&](int p) { return e.at(xrow[p / tw], e.b.CreateAdd(ic, e.c(p % tw * d.IC))); },
              [&](int gi) {
                return e.at(wrow, e.b.CreateAdd(e.b.CreateMul(ic, e.c(B)), e.c(gi * e.VL)));
              });
        });
      });
    });
    // The epilogue: activation, stored at (t * sh + py, u * sw + px).
    for (int r = 0; r < th; ++r) {
      Value *oy = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(t0, e.c(r)), e.c(a.sh)), py);
      for (int col = 0; col < tw; ++col) {
        Value *ox = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(u0, e.c(col)), e.c(a.sw)), px);
        Value *pix = e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(oy, e.c(bout.top)), e.c(OWb)),
                                   e.b.CreateAdd(ox, e.c(bout.left)));
        for (int gi = 0; gi < G; ++gi) {
          Value *oc = e.b.CreateAdd(ocBase, e.c(gi * e.VL));
          Value *mask =
              d.OCg % e.VL ? e.tailMask(e.b.CreateAdd(oc0, e.c(gi * e.VL)), d.OCg) : nullptr;
          e.storeV(e.activate(a.act, acc.get(r * tw + col, gi)),
                   e.at(out, e.b.CreateAdd(e.b.CreateMul(pix, e.c(d.OC)), oc)), mask);
        }
      }
    }
  };
  // th rows of phase py from t0: every x phase, every column.
  const std::set<int> colTails = xs.tails(t.cols);
  auto tileRow = [&](Value *grp, Value *ocb, Value *py, Value *t0, int th) {
    e.loop(0, a.sw, [&](Value *px) {
      Value *cols = table(xs.n, px);
      Value *full = e.b.CreateUDiv(cols, e.c(t.cols));
      e.loop(e.c(0), full, [&](Value *c) {
        tile(grp, ocb, py, px, t0, e.b.CreateMul(c, e.c(t.cols)), th, t.cols);
      });
      Value *u0 = e.b.CreateMul(full, e.c(t.cols)), *left = e.b.CreateSub(cols, u0);
      e.ifElse(
          e.b.CreateICmpSGT(left, e.c(0)),
          [&] {
            dispatch(e, left, colTails, [&](int tw) { tile(grp, ocb, py, px, t0, u0, th, tw); });
          },
          [] {});
    });
  };

  // Work items: (group, channel block, y phase, row tile), channel blocks
  // innermost when the weights fit in L2 (each input row is then read from
  // memory once), else outermost (one thread's items reuse a block's weights).
  const int64_t weightBytes = a.groups * blocks * blockFloats * 4;
  const bool blocksInner = weightBytes <= 512 * 1024;
  const int64_t rows = a.sh * rowTiles;
  const std::set<int> rowTails = ys.tails(t.rows);
  e.loop(e.lo(), e.hi(), [&](Value *item) {
    Value *grp = e.b.CreateUDiv(item, e.c(blocks * rows));
    Value *rest = e.b.CreateURem(item, e.c(blocks * rows));
    Value *ocb = blocksInner ? e.b.CreateURem(rest, e.c(blocks)) : e.b.CreateUDiv(rest, e.c(rows));
    Value *rt = blocksInner ? e.b.CreateUDiv(rest, e.c(blocks)) : e.b.CreateURem(rest, e.c(rows));
    Value *py = e.b.CreateURem(rt, e.c(a.sh));
    Value *t0 = e.b.CreateMul(e.b.CreateUDiv(rt, e.c(a.sh)), e.c(t.rows));
    Value *left = e.b.CreateSub(table(ys.n, py), t0); // this phase's rows from t0
    e.ifElse(
        e.b.CreateICmpSGE(left, e.c(t.rows)), [&] { tileRow(grp, ocb, py, t0, t.rows); },
        [&] {
          e.ifElse(
              e.b.CreateICmpSGT(left, e.c(0)),
              [&] { dispatch(e, left, rowTails, [&](int th) { tileRow(grp, ocb, py, t0, th); }); },
              [] {});
        });
  });
  return a.groups * blocks * rows;
}

} // namespace cnnc

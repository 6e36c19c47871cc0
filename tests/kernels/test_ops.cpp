// tests/kernels/test_ops.cpp - every kernel against the double-precision
// reference in tests/Reference.h, over deterministic pseudo-random sweeps of
// shapes and attributes, on the host target and the forced AVX2 and SSE4
// targets (vector widths 16/8/4 on an AVX-512 host), so channel tails, tile
// tails and every vector width are exercised.
//
// Tolerance: max |got - want| <= 1e-4 * max(1, max |want|) over the output
// (float accumulation and the polynomial exp against exact double math).
// A failure prints the target, the configuration, the model source and the
// worst element.
#include "../Reference.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <random>
#include <sstream>

namespace {

using cnnc::ref::Act;
using cnnc::ref::Array;
using cnnc::ref::Pads;

constexpr double Tolerance = 1e-4;

struct TargetName {
  cnnc::Target target;
  const char *name;
};
const TargetName Targets[] = {{cnnc::Target::Host, "host"},
                              {cnnc::Target::AVX2, "avx2"},
                              {cnnc::Target::SSE4, "sse4"},
                              {cnnc::Target::Generic, "generic"}};

const Act AllActs[] = {Act::Linear, Act::Relu, Act::Tanh, Act::Sigmoid, Act::Softmax};

struct Rng {
  std::mt19937 g;
  explicit Rng(uint32_t seed) : g(seed) {}
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); } // inclusive
  double uni(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g); }
  template <class T, size_t N> T of(const T (&list)[N]) { return list[pick(0, (int)N - 1)]; }
  bool coin(int oneIn = 2) { return pick(0, oneIn - 1) == 0; }
};

cnnc::Tensor randomTensor(const cnnc::Shape &shape, Rng &rng, double bound) {
  cnnc::Tensor t(shape);
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = (float)rng.uni(-bound, bound);
  return t;
}

// --- layers: one description gives the DSL statement and the reference -------

enum class PadKind { Valid, Same, Scalar, Pair, Four, Omitted };

struct Layer {
  enum Kind { Conv, MaxPool, AvgPool, Dense, Flatten, Activation } kind = Conv;
  int units = 1; // filters / units
  int kh = 1, kw = 1, sh = 1, sw = 1;
  int dh = 1, dw = 1; // a conv's dilation, written when not 1
  PadKind pad = PadKind::Valid;
  Pads pads; // Scalar / Pair / Four
  bool strideGiven = true;
  bool bias = true;
  Act act = Act::Linear;
  bool actGiven = true;

  std::string dsl() const {
    std::ostringstream s;
    auto pair = [&](int a, int b) {
      if (a == b)
        s << a;
      else
        s << "(" << a << ", " << b << ")";
    };
    auto padding = [&] {
      switch (pad) {
      case PadKind::Valid:
        s << ", padding=valid";
        break;
      case PadKind::Same:
        s << ", padding=same";
        break;
      case PadKind::Scalar:
        s << ", padding=" << pads.top;
        break;
      case PadKind::Pair:
        s << ", padding=(" << pads.top << ", " << pads.left << ")";
        break;
      case PadKind::Four:
        s << ", padding=(" << pads.top << ", " << pads.bottom << ", " << pads.left << ", "
          << pads.right << ")";
        break;
      case PadKind::Omitted:
        break;
      }
    };
    switch (kind) {
    case Conv:
      s << "conv2d(filters=" << units << ", kernel=(" << kh << ", " << kw << ")";
      if (strideGiven) {
        s << ", stride=";
        pair(sh, sw);
      }
      padding();
      if (dh != 1 || dw != 1) {
        s << ", dilation=";
        pair(dh, dw);
      }
      if (actGiven)
        s << ", activation=" << cnnc::ref::actName(act);
      s << ", use_bias=" << (bias ? "true" : "false") << ")";
      break;
    case MaxPool:
    case AvgPool:
      s << (kind == MaxPool ? "maxpool2d" : "avgpool2d") << "(size=(" << kh << ", " << kw << ")";
      if (strideGiven)
        s << ", stride=(" << sh << ", " << sw << ")";
      padding();
      s << ")";
      break;
    case Dense:
      s << "dense(units=" << units;
      if (actGiven)
        s << ", activation=" << cnnc::ref::actName(act);
      s << ", use_bias=" << (bias ? "true" : "false") << ")";
      break;
    case Flatten:
      s << "flatten()";
      break;
    case Activation:
      s << cnnc::ref::actName(act) << "()";
      break;
    }
    return s.str();
  }

  Pads resolvePads(int64_t H, int64_t W) const {
    switch (pad) {
    case PadKind::Same: // a dilated kernel counts as its span
      return cnnc::ref::samePads(H, W, cnnc::ref::dilatedSpan(kh, dh),
                                 cnnc::ref::dilatedSpan(kw, dw), sh, sw);
    case PadKind::Scalar:
      return {pads.top, pads.top, pads.top, pads.top};
    case PadKind::Pair:
      return {pads.top, pads.top, pads.left, pads.left};
    case PadKind::Four:
      return pads;
    case PadKind::Valid:
    case PadKind::Omitted:
      return {};
    }
    return {};
  }
};

Layer conv(int filters, int kh, int kw, int sh, int sw, PadKind pad, Act act, bool bias,
           Pads pads = {}) {
  Layer l;
  l.kind = Layer::Conv;
  l.units = filters, l.kh = kh, l.kw = kw, l.sh = sh, l.sw = sw, l.pad = pad, l.pads = pads,
  l.act = act, l.bias = bias;
  return l;
}
Layer pool(bool isMax, int kh, int kw, int sh, int sw, PadKind pad) {
  Layer l;
  l.kind = isMax ? Layer::MaxPool : Layer::AvgPool;
  l.kh = kh, l.kw = kw, l.sh = sh, l.sw = sw, l.pad = pad;
  return l;
}
Layer dense(int units, Act act, bool bias) {
  Layer l;
  l.kind = Layer::Dense;
  l.units = units, l.act = act, l.bias = bias;
  return l;
}
Layer flatten() {
  Layer l;
  l.kind = Layer::Flatten;
  return l;
}
Layer activation(Act act) {
  Layer l;
  l.kind = Layer::Activation;
  l.act = act;
  return l;
}

/// One model and everything needed to check it on every target.
struct Case {
  std::string what;   // short label
  std::string source; // the .cnn text
  cnnc::Tensor input;
  cnnc::WeightMap weights;
  Array expected;
};

/// Builds the DSL source, random weights (uniform, scaled so pre-activations
/// are O(1) times `weightGain`), a random input (uniform in +-inputScale) and
/// the reference output of `layers` applied in order.
Case makeCase(const std::string &what, const cnnc::Shape &inShape, const std::vector<Layer> &layers,
              Rng &rng, double inputScale = 1.0, double weightGain = 1.0) {
  Case c;
  c.what = what;
  std::vector<std::string> stmts;
  for (const Layer &l : layers)
    stmts.push_back(l.dsl());
  c.source = cnnc::ref::modelSource(inShape, stmts);
  c.input = randomTensor(inShape, rng, inputScale);
  Array x = cnnc::ref::fromTensor(c.input);
  int convs = 0, denses = 0;
  for (const Layer &l : layers) {
    switch (l.kind) {
    case Layer::Conv: {
      std::string name = convs ? "conv2d_" + std::to_string(convs) : "conv2d";
      ++convs;
      const int64_t C = x.shape[2];
      double bound = weightGain * std::sqrt(3.0 / double(C * l.kh * l.kw));
      cnnc::Tensor &w = c.weights[name + ".weight"] =
          randomTensor({l.units, C, l.kh, l.kw}, rng, bound);
      const cnnc::Tensor *b = nullptr;
      if (l.bias)
        b = &(c.weights[name + ".bias"] = randomTensor({l.units}, rng, 0.5 * weightGain));
      x = cnnc::ref::conv2d(x, w, b, l.sh, l.sw, l.resolvePads(x.shape[0], x.shape[1]), 1, l.dh,
                            l.dw);
      x = cnnc::ref::activate(x, l.act);
      break;
    }
    case Layer::MaxPool:
    case Layer::AvgPool:
      x = cnnc::ref::pool2d(x, l.kind == Layer::MaxPool, l.kh, l.kw, l.sh, l.sw,
                            l.resolvePads(x.shape[0], x.shape[1]));
      break;
    case Layer::Dense: {
      std::string name = denses ? "dense_" + std::to_string(denses) : "dense";
      ++denses;
      const int64_t N = x.size();
      double bound = weightGain * std::sqrt(3.0 / double(N));
      cnnc::Tensor &w = c.weights[name + ".weight"] = randomTensor({l.units, N}, rng, bound);
      const cnnc::Tensor *b = nullptr;
      if (l.bias)
        b = &(c.weights[name + ".bias"] = randomTensor({l.units}, rng, 0.5 * weightGain));
      x = cnnc::ref::activate(cnnc::ref::dense(x, w, b), l.act);
      break;
    }
    case Layer::Flatten:
      x = cnnc::ref::flattenCHW(x);
      break;
    case Layer::Activation:
      x = cnnc::ref::activate(x, l.act);
      break;
    }
  }
  c.expected = std::move(x);
  return c;
}

/// Compiles `c` for every target, runs it and compares with the reference.
/// A `tile` forces that register tile on every conv it fits (all direct then);
/// with `winograd` false every conv is direct. `plan`, when given, must be part
/// of some kernel's plan (on every target): the kernel under test was used.
void check(const Case &c, cnnc::ConvTile tile = {}, bool winograd = true,
           const std::string &plan = "") {
  for (const TargetName &t : Targets) {
    INFO("target " << t.name << ", " << c.what << ", input " << cnnc::shapeToString(c.input.shape())
                   << "\n"
                   << c.source);
    cnnc::Options opts;
    opts.target = t.target;
    opts.checkArena = true; // guard zones around every buffer, checked after each kernel
    opts.convTile = tile;
    opts.winograd = winograd && !tile.vectors; // a forced tile is a direct conv's
    INFO("conv tile " << tile.vectors << " vectors x " << tile.rows << " x " << tile.cols
                      << (winograd ? "" : ", no Winograd"));
    try {
      cnnc::Model m = cnnc::Model::compileString(c.source, "test.cnn", opts);
      m.loadWeights(c.weights);
      cnnc::Tensor y = m.run(c.input);
      INFO("output shape " << cnnc::shapeToString(y.shape()) << ", expected "
                           << cnnc::shapeToString(c.expected.shape));
      CHECK(y.shape() == c.expected.shape);
      if (y.shape() != c.expected.shape)
        continue;
      double scale = std::max(1.0, cnnc::ref::maxAbs(c.expected));
      double err = cnnc::ref::maxAbsError(y, c.expected);
      int64_t wi = cnnc::ref::worstIndex(y, c.expected);
      INFO("max abs error " << err << " (tolerance " << Tolerance * scale
                            << "); worst at flat index " << wi << ": got " << y[wi] << ", want "
                            << c.expected.v[(size_t)wi]);
      CHECK(err <= Tolerance * scale);
      if (!plan.empty()) {
        bool used = false;
        for (const cnnc::KernelProfile &k : m.profileKernels(c.input, 1))
          used |= k.plan.find(plan) != std::string::npos;
        CHECK(used);
      }
    } catch (const cnnc::Error &e) {
      FAIL_CHECK("cnnc::Error: " << e.what());
    }
  }
}

// --- conv2d ------------------------------------------------------------------

/// A random conv configuration that fits its input.
Layer randomConv(Rng &rng, int i, cnnc::Shape &inShape) {
  static const int Channels[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 35};
  static const int Filters[] = {1, 3, 4, 5, 7, 8, 12, 16, 17, 24, 31, 32, 33, 40};
  Layer l = conv(0, 0, 0, 0, 0, PadKind::Valid, AllActs[i % 5], rng.pick(0, 3) != 0);
  l.units = rng.coin(3) ? rng.pick(1, 40) : rng.of(Filters);
  l.kh = rng.pick(1, 11);
  l.kw = rng.coin() ? l.kh : rng.pick(1, 11);
  l.sh = rng.pick(1, 4);
  l.sw = rng.coin() ? l.sh : rng.pick(1, 4);
  l.strideGiven = !(l.sh == 1 && l.sw == 1 && rng.coin());
  l.actGiven = !(l.act == Act::Linear && rng.coin());
  static const PadKind Kinds[] = {PadKind::Valid,  PadKind::Same, PadKind::Four,
                                  PadKind::Scalar, PadKind::Pair, PadKind::Omitted};
  l.pad = Kinds[(i / 5 + i) % 6];
  l.pads = {rng.pick(0, 3), rng.pick(0, 3), rng.pick(0, 3), rng.pick(0, 3)};
  if (l.pad == PadKind::Scalar)
    l.pads = {l.pads.top, l.pads.top, l.pads.top, l.pads.top};
  if (l.pad == PadKind::Pair)
    l.pads = {l.pads.top, l.pads.top, l.pads.left, l.pads.left};
  Pads p = l.resolvePads(1, 1); // explicit pads count towards the fit; 'same' always fits
  if (l.pad == PadKind::Same)
    p = {};
  int64_t C = rng.coin(3) ? rng.pick(1, 35) : rng.of(Channels);
  int64_t H =
      std::max<int64_t>(rng.pick(1, 20), l.pad == PadKind::Same ? 1 : l.kh - p.top - p.bottom);
  int64_t W =
      std::max<int64_t>(rng.pick(1, 20), l.pad == PadKind::Same ? 1 : l.kw - p.left - p.right);
  inShape = {std::max<int64_t>(H, 1), std::max<int64_t>(W, 1), C};
  return l;
}

} // namespace

TEST_CASE("conv2d: hand-picked edge configurations", "[kernels][conv]") {
  Rng rng(1001);
  struct Cfg {
    cnnc::Shape in;
    Layer l;
  };
  const Cfg cfgs[] = {
      {{1, 1, 1}, conv(1, 1, 1, 1, 1, PadKind::Valid, Act::Linear, true)},
      {{1, 1, 3}, conv(5, 1, 1, 1, 1, PadKind::Same, Act::Relu, false)},
      {{1, 1, 2}, conv(17, 3, 3, 1, 1, PadKind::Same, Act::Tanh, true)}, // all taps but one padded
      {{1, 1, 4}, conv(3, 7, 7, 2, 2, PadKind::Same, Act::Sigmoid, true)}, // 1x1 input, 7x7 same
      {{20, 20, 3}, conv(40, 7, 7, 1, 1, PadKind::Same, Act::Relu, true)},
      {{20, 19, 35},
       conv(33, 3, 3, 1, 1, PadKind::Valid, Act::Linear, true)}, // 17 output columns: tile tail
      {{19, 20, 1}, conv(16, 1, 7, 1, 1, PadKind::Same, Act::Tanh, true)},  // non-square 1x7
      {{20, 9, 5}, conv(8, 7, 1, 2, 1, PadKind::Same, Act::Linear, false)}, // 7x1, stride (2, 1)
      {{20, 19, 3}, conv(24, 7, 7, 4, 4, PadKind::Valid, Act::Relu, true)}, // stride 4
      {{17, 17, 17}, conv(31, 5, 3, 3, 2, PadKind::Valid, Act::Sigmoid, true)},
      {{5, 6, 3},
       conv(4, 1, 1, 1, 1, PadKind::Four, Act::Linear, true, {4, 0, 1, 3})}, // pad > kernel
      {{6, 5, 2}, conv(9, 3, 2, 2, 3, PadKind::Four, Act::Relu, true, {0, 3, 2, 0})},
      {{3, 3, 1}, conv(1, 5, 5, 1, 1, PadKind::Scalar, Act::Linear, true, {2, 2, 2, 2})},
      {{9, 8, 7},
       conv(12, 4, 4, 1, 1, PadKind::Same, Act::Softmax,
            true)}, // even kernel: odd pad bottom/right
      {{16, 16, 16}, conv(32, 3, 3, 1, 1, PadKind::Same, Act::Relu, true)}, // all multiples of 16
      {{14, 15, 8},
       conv(64, 2, 2, 2, 2, PadKind::Valid, Act::Linear, true)}, // 64 filters: 4 vectors on AVX-512
      {{7, 30, 3},
       conv(48, 3, 3, 1, 1, PadKind::Same, Act::Linear, true)}, // 48 filters: G = 3 on AVX-512
      {{4, 29, 2},
       conv(40, 1, 3, 1, 1, PadKind::Same, Act::Linear,
            false)}, // 29 columns, 40 = 5 vectors on AVX2
      {{6, 7, 1},
       conv(130, 3, 3, 1, 1, PadKind::Same, Act::Relu, true)}, // 130 filters: several filter groups
  };
  int i = 0;
  for (const Cfg &c : cfgs)
    check(makeCase("conv2d edge #" + std::to_string(i++), c.in, {c.l}, rng));
  // A chain: padded convs reading each other's outputs, pooling in between.
  check(makeCase("conv2d chain", {13, 12, 3},
                 {conv(17, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
                  conv(9, 2, 3, 1, 1, PadKind::Valid, Act::Tanh, true),
                  pool(false, 3, 3, 2, 2, PadKind::Same),
                  conv(20, 3, 3, 2, 2, PadKind::Four, Act::Linear, false, {1, 0, 0, 1}),
                  activation(Act::Relu)},
                 rng));
}

TEST_CASE("conv2d: random sweep over kernels/strides/paddings/channels/activations",
          "[kernels][conv]") {
  Rng rng(2024);
  const int N = 36;
  for (int i = 0; i < N; ++i) {
    cnnc::Shape in;
    Layer l = randomConv(rng, i, in);
    check(makeCase("conv2d sweep #" + std::to_string(i), in, {l}, rng));
  }
}

TEST_CASE("conv2d: forced register tiles with row and column tails and bordered buffers",
          "[kernels][conv]") {
  Rng rng(4242);
  // 11 x 13 outputs leave tails for every tile below; 40 filters are 3, 5 and
  // 10 vectors at the three widths (a tile whose vectors do not divide that
  // falls back to the cost model's). The padded convs read their producers'
  // bordered buffers (plan-memory gives a conv whose only reader is a padded
  // conv that reader's zero border).
  const std::vector<Layer> chain = {
      conv(40, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
      conv(24, 3, 2, 1, 1, PadKind::Four, Act::Linear, true, {0, 2, 1, 0}),
      conv(33, 5, 5, 2, 2, PadKind::Same, Act::Tanh, false),
      conv(17, 3, 3, 1, 1, PadKind::Scalar, Act::Linear, true, {1, 1, 1, 1})};
  const cnnc::ConvTile tiles[] = {{1, 1, 1}, {1, 3, 5}, {1, 4, 7},  {2, 2, 7},
                                  {3, 3, 3}, {5, 2, 2}, {1, 11, 2}, {2, 1, 13}};
  for (const cnnc::ConvTile &t : tiles)
    check(makeCase("forced tile chain", {11, 13, 19}, chain, rng), t);
  // Max pools absorbed into the conv (k x k, stride k, valid): odd sizes drop
  // the last row or column; the pooled output feeds a padded conv's border.
  const std::vector<Layer> pooled = {conv(40, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
                                     pool(true, 2, 2, 2, 2, PadKind::Valid),
                                     conv(20, 3, 3, 1, 1, PadKind::Same, Act::Tanh, false),
                                     pool(true, 3, 3, 3, 3, PadKind::Valid),
                                     conv(9, 1, 1, 1, 1, PadKind::Valid, Act::Linear, true),
                                     pool(true, 2, 2, 2, 2, PadKind::Valid)};
  for (const cnnc::ConvTile &t : {cnnc::ConvTile{}, cnnc::ConvTile{1, 2, 2},
                                  cnnc::ConvTile{2, 2, 4}, cnnc::ConvTile{1, 6, 3}})
    check(makeCase("conv + maxpool", {27, 23, 5}, pooled, rng), t);
  // Weights over 1 MiB: row tiles innermost, the next block's weights prefetched.
  check(makeCase("large weights", {6, 5, 192},
                 {conv(192, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
                  conv(40, 3, 3, 1, 1, PadKind::Same, Act::Linear, true)},
                 rng));
}

TEST_CASE("conv2d: Winograd F(2x2 3x3) against the reference and the direct conv",
          "[kernels][conv][winograd]") {
  Rng rng(3232);
  // Odd and even output sizes (the last tiles' second row/column is not
  // stored), channels that are not multiples of the vector width, every
  // padding, a fused 2x2 max pool over odd sizes, a Winograd conv writing a
  // padded Winograd conv's bordered input, and over 1 MiB of U.
  struct Cfg {
    cnnc::Shape in;
    std::vector<Layer> layers;
  };
  const Cfg cfgs[] = {
      {{14, 16, 16}, {conv(16, 3, 3, 1, 1, PadKind::Same, Act::Relu, true)}},
      {{15, 13, 17}, {conv(33, 3, 3, 1, 1, PadKind::Valid, Act::Linear, true)}},
      {{13, 18, 35}, {conv(24, 3, 3, 1, 1, PadKind::Four, Act::Tanh, false, {0, 2, 1, 0})}},
      {{17, 11, 31}, {conv(17, 3, 3, 1, 1, PadKind::Same, Act::Sigmoid, true)}},
      {{12, 12, 20},
       {conv(40, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
        conv(48, 3, 3, 1, 1, PadKind::Same, Act::Linear, true)}},
      {{19, 17, 16},
       {conv(32, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
        pool(true, 2, 2, 2, 2, PadKind::Valid),
        conv(20, 3, 3, 1, 1, PadKind::Same, Act::Relu, false)}},
      {{17, 16, 23},
       {conv(16, 3, 3, 1, 1, PadKind::Valid, Act::Softmax, true),
        pool(true, 2, 2, 2, 2, PadKind::Valid)}},
      {{12, 11, 130}, {conv(160, 3, 3, 1, 1, PadKind::Same, Act::Relu, true)}}, // 1.3 MB of U
  };
  int i = 0;
  for (const Cfg &c : cfgs) {
    Case k = makeCase("winograd #" + std::to_string(i++), c.in, c.layers, rng);
    check(k, {}, true, "winograd");
    check(k, {}, false);
  }
  // Dilated by d: d x d phases tiled alone (FCN's and DeepLab's 3x3s), phases
  // of odd size (the last tiles' second row/column), valid padding.
  struct Dilated {
    cnnc::Shape in;
    Layer l;
    int d;
  };
  const Dilated dilated[] = {
      {{28, 28, 32}, conv(32, 3, 3, 1, 1, PadKind::Same, Act::Relu, true), 2},
      {{28, 24, 20}, conv(17, 3, 3, 1, 1, PadKind::Same, Act::Linear, true), 4}, // 7 x 6 phases
      {{24, 30, 17}, conv(40, 3, 3, 1, 1, PadKind::Same, Act::Tanh, false), 3},
      {{26, 22, 16}, conv(16, 3, 3, 1, 1, PadKind::Valid, Act::Relu, true), 2}, // 22 x 18 out
  };
  for (Dilated c : dilated) {
    c.l.dh = c.l.dw = c.d;
    Case k = makeCase("dilated winograd #" + std::to_string(i++), c.in, {c.l}, rng);
    check(k, {}, true, "winograd");
    check(k, {}, false);
  }
}

TEST_CASE("conv2d: dilated kernels on hand-picked configurations", "[kernels][conv][dilation]") {
  Rng rng(5151);
  struct Cfg {
    cnnc::Shape in;
    Layer l;
    int dh, dw;
  };
  const Cfg cfgs[] = {
      {{13, 11, 5}, conv(7, 3, 3, 1, 1, PadKind::Valid, Act::Linear, true), 2, 2},
      {{13, 15, 17}, conv(33, 3, 3, 1, 1, PadKind::Same, Act::Relu, true), 2, 3},
      {{20, 19, 3}, conv(17, 3, 3, 1, 1, PadKind::Same, Act::Tanh, false), 6, 6},
      {{13, 14, 9}, conv(16, 3, 3, 1, 1, PadKind::Valid, Act::Linear, true), 6, 6}, // 1 x 2 out
      {{11, 12, 35}, conv(40, 3, 3, 2, 2, PadKind::Same, Act::Sigmoid, true), 2, 2},
      {{12, 13, 8}, conv(24, 3, 3, 2, 1, PadKind::Four, Act::Relu, true, {2, 1, 0, 3}), 3, 2},
      {{9, 10, 31}, conv(12, 3, 3, 1, 1, PadKind::Scalar, Act::Linear, false, {2, 2, 2, 2}), 2, 2},
      {{15, 9, 4}, conv(5, 5, 3, 1, 2, PadKind::Pair, Act::Softmax, true, {1, 1, 3, 3}), 3, 1},
      {{10, 17, 16}, conv(48, 2, 4, 1, 1, PadKind::Same, Act::Relu, true), 4, 3}, // even kernel
      {{1, 1, 7}, conv(9, 3, 3, 1, 1, PadKind::Same, Act::Relu, true), 2, 2},     // all taps padded
      {{25, 23, 20}, conv(64, 3, 3, 1, 1, PadKind::Same, Act::Relu, true), 2, 2},
      {{8, 30, 3}, conv(130, 3, 1, 1, 1, PadKind::Same, Act::Linear, true), 5, 7},
  };
  int i = 0;
  for (Cfg c : cfgs) {
    c.l.dh = c.dh, c.l.dw = c.dw;
    check(makeCase("dilated conv2d #" + std::to_string(i++), c.in, {c.l}, rng));
  }
  // Chained: a dilated conv writes the next padded conv's bordered input, a
  // fused 2x2 max pool after a dilated conv, forced tiles with tails.
  std::vector<Layer> chain = {
      conv(24, 3, 3, 1, 1, PadKind::Same, Act::Relu, true),
      conv(20, 3, 3, 1, 1, PadKind::Same, Act::Relu, true), pool(true, 2, 2, 2, 2, PadKind::Valid),
      conv(9, 3, 3, 1, 1, PadKind::Scalar, Act::Linear, true, {2, 2, 2, 2})};
  chain[0].dh = chain[0].dw = 2, chain[1].dh = 3, chain[1].dw = 2, chain[3].dh = chain[3].dw = 2;
  for (const cnnc::ConvTile &t :
       {cnnc::ConvTile{}, cnnc::ConvTile{1, 2, 2}, cnnc::ConvTile{1, 4, 6}})
    check(makeCase("dilated chain", {19, 17, 6}, chain, rng), t);
}

TEST_CASE("conv2d: random sweep with dilation", "[kernels][conv][dilation]") {
  Rng rng(6262);
  for (int i = 0; i < 24; ++i) {
    cnnc::Shape in;
    Layer l = randomConv(rng, i, in);
    l.kh = std::min(l.kh, 5), l.kw = std::min(l.kw, 5);
    l.dh = rng.pick(1, 4), l.dw = rng.coin() ? l.dh : rng.pick(1, 4);
    // Grow the input until the dilated kernel fits ('same' always fits).
    Pads p = l.pad == PadKind::Same ? Pads{} : l.resolvePads(1, 1);
    in[0] = std::max<int64_t>(in[0], cnnc::ref::dilatedSpan(l.kh, l.dh) - p.top - p.bottom);
    in[1] = std::max<int64_t>(in[1], cnnc::ref::dilatedSpan(l.kw, l.dw) - p.left - p.right);
    check(makeCase("dilated conv2d sweep #" + std::to_string(i), in, {l}, rng));
  }
}

TEST_CASE("conv2d: Winograd declines uneven phases and unequal dilations - the direct conv runs "
          "them",
          "[kernels][conv][winograd][dilation]") {
  Rng rng(7373);
  Layer l = conv(32, 3, 3, 1, 1, PadKind::Same, Act::Relu, true);
  check(makeCase("undilated 3x3", {14, 16, 16}, {l}, rng), {}, true, "winograd");
  l.dh = l.dw = 2; // 14 x 16 in 2 x 2 phases of 7 x 8
  check(makeCase("dilated 3x3 even phases", {14, 16, 16}, {l}, rng), {}, true, "winograd");
  for (auto [dh, dw] : {std::pair{3, 3}, {1, 2}, {3, 1}}) { // 14 is not 3 phases; unequal
    l.dh = dh, l.dw = dw;
    Case c = makeCase("dilated 3x3", {14, 16, 16}, {l}, rng);
    check(c, {}, true, " px x "); // the direct conv's plan: "tile RxC px x N ch"
    for (const TargetName &t : Targets) {
      cnnc::Options opts;
      opts.target = t.target;
      cnnc::Model m = cnnc::Model::compileString(c.source, "test.cnn", opts);
      m.loadWeights(c.weights);
      for (const cnnc::KernelProfile &k : m.profileKernels(c.input, 1))
        CHECK(k.plan.find("winograd") == std::string::npos);
    }
  }
}

TEST_CASE("'same' padding with stride 2 on even and odd inputs", "[kernels][conv][pool]") {
  Rng rng(77);
  int i = 0;
  // conv: kernel 1..5 on even and odd sizes, the odd pad at the bottom/right
  for (auto [n, k] :
       {std::pair{8, 3}, {9, 3}, {10, 4}, {11, 4}, {6, 5}, {7, 5}, {12, 1}, {13, 2}}) {
    cnnc::Shape in{n, n + 1, 3};
    check(makeCase("conv same stride 2 #" + std::to_string(i++), in,
                   {conv(5, k, k, 2, 2, PadKind::Same, Act::Linear, true)}, rng));
  }
  // pooling: padded cells are ignored by max, excluded from the average
  for (auto [n, k] : {std::pair{8, 3}, {9, 3}, {7, 4}}) {
    cnnc::Shape in{n, n + 1, 5};
    check(makeCase("maxpool same stride 2 #" + std::to_string(i++), in,
                   {pool(true, k, k, 2, 2, PadKind::Same)}, rng, 1.0));
    check(makeCase("avgpool same stride 2 #" + std::to_string(i++), in,
                   {pool(false, k, k, 2, 2, PadKind::Same)}, rng, 1.0));
  }
}

// --- pooling -----------------------------------------------------------------

TEST_CASE("maxpool2d and avgpool2d: random sweep", "[kernels][pool]") {
  Rng rng(4242);
  static const int Channels[] = {1, 3, 5, 7, 9, 15, 17, 20, 31, 33, 35};
  const int N = 40;
  for (int i = 0; i < N; ++i) {
    bool isMax = i % 2 == 0;
    int kh = rng.pick(1, 4), kw = rng.coin() ? kh : rng.pick(1, 4);
    int sh = rng.pick(1, 3), sw = rng.coin() ? sh : rng.pick(1, 3);
    bool same = (i / 2) % 2 == 1;
    Layer l = pool(isMax, kh, kw, sh, sw, same ? PadKind::Same : PadKind::Valid);
    if (i % 7 == 3) // Keras default: stride = size
      l.strideGiven = false, l.sh = kh, l.sw = kw;
    if (i % 11 == 5)
      l.pad = PadKind::Omitted; // default 'valid'
    int64_t H = std::max(rng.pick(1, 20), same ? 1 : kh),
            W = std::max(rng.pick(1, 20), same ? 1 : kw);
    int64_t C = rng.coin(3) ? rng.pick(1, 40) : rng.of(Channels);
    check(makeCase(std::string(isMax ? "maxpool2d" : "avgpool2d") + " sweep #" + std::to_string(i),
                   {H, W, C}, {l}, rng));
  }
}

TEST_CASE("pooling over inputs large enough to be split into several tiles", "[kernels][pool]") {
  // The tile-pooling pass splits rows and 16-channel blocks to fit 32 KiB of L1;
  // these shapes give partial row tiles and partial channel tiles.
  Rng rng(99);
  struct Cfg {
    cnnc::Shape in;
    int k, s;
    bool same;
  };
  const Cfg cfgs[] = {
      {{64, 64, 40}, 3, 1, false}, {{50, 70, 35}, 2, 2, true}, {{33, 96, 100}, 4, 3, true}};
  int i = 0;
  for (const Cfg &c : cfgs)
    for (bool isMax : {true, false})
      check(makeCase("tiled pool #" + std::to_string(i++), c.in,
                     {pool(isMax, c.k, c.k, c.s, c.s, c.same ? PadKind::Same : PadKind::Valid)},
                     rng));
}

// --- dense ---------------------------------------------------------------------

TEST_CASE("dense: sizes 1..300 with every activation", "[kernels][dense]") {
  Rng rng(31337);
  static const int Sizes[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65, 100, 255, 256, 257, 300};
  int i = 0;
  // Every listed size as an input and as an output at least once.
  for (int k = 0; k < (int)std::size(Sizes); ++k) {
    int in = Sizes[k], out = Sizes[(k * 7 + 3) % std::size(Sizes)];
    check(makeCase("dense #" + std::to_string(i), {in}, {dense(out, AllActs[i % 5], i % 4 != 1)},
                   rng));
    ++i;
  }
  // Random sizes.
  for (int k = 0; k < 18; ++k) {
    int in = rng.pick(1, 300), out = rng.coin() ? rng.pick(1, 300) : rng.of(Sizes);
    check(makeCase("dense #" + std::to_string(i), {in}, {dense(out, AllActs[i % 5], i % 3 != 1)},
                   rng));
    ++i;
  }
  // Wide layers.
  check(makeCase("dense #" + std::to_string(i++), {1500}, {dense(1000, Act::Softmax, true)}, rng));
  // Two dense layers in a row, softmax at the end.
  check(makeCase("dense #" + std::to_string(i++), {257},
                 {dense(17, Act::Relu, true), dense(255, Act::Softmax, true)}, rng));
}

// --- flatten + dense: the CHW permutation ------------------------------------------

TEST_CASE("flatten then dense indexes the flattened image in CHW order",
          "[kernels][dense][flatten]") {
  Rng rng(555);
  int i = 0;
  auto go = [&](const cnnc::Shape &in, std::vector<Layer> layers) {
    check(makeCase("flatten+dense #" + std::to_string(i++), in, layers, rng));
  };
  go({4, 5, 3}, {flatten(), dense(7, Act::Linear, true)}); // input image
  go({6, 7, 2}, {conv(5, 3, 3, 1, 1, PadKind::Valid, Act::Relu, true), flatten(),
                 dense(10, Act::Softmax, true)});
  go({9, 8, 3}, {conv(17, 3, 2, 2, 1, PadKind::Same, Act::Tanh, false), flatten(),
                 dense(33, Act::Relu, true)});
  go({5, 5, 1}, {conv(3, 2, 2, 1, 1, PadKind::Valid, Act::Linear, true), flatten(),
                 dense(1, Act::Sigmoid, true)});
  go({10, 11, 4}, {conv(6, 3, 3, 1, 1, PadKind::Valid, Act::Linear, true),
                   pool(true, 2, 2, 2, 2, PadKind::Valid), flatten(), dense(20, Act::Relu, true),
                   dense(9, Act::Softmax, true)});
  go({8, 7, 3}, {conv(4, 3, 3, 1, 1, PadKind::Same, Act::Linear, true), activation(Act::Relu),
                 flatten(), dense(12, Act::Linear, true)}); // fused relu
  go({6, 6, 5}, {conv(3, 1, 1, 1, 1, PadKind::Valid, Act::Linear, true), flatten(),
                 activation(Act::Tanh), dense(8, Act::Linear, true)}); // activation after flatten
  go({7, 5, 9}, {pool(false, 3, 2, 1, 2, PadKind::Same), flatten(), dense(13, Act::Tanh, true)});
}

TEST_CASE("flatten of a flatten then dense", "[kernels][dense][flatten]") {
  // flatten() of a vector is the identity (as in PyTorch and Keras), so the
  // dense weights still index the image in CHW order.
  // (A regression test: planWeights once looked through activations but not
  // through a second flatten, and skipped the CHW -> HWC permutation.)
  Rng rng(556);
  check(makeCase("flatten+flatten+dense", {3, 4, 2},
                 {flatten(), flatten(), dense(5, Act::Linear, true)}, rng));
  check(makeCase("conv+flatten+relu+flatten+dense", {5, 4, 3},
                 {conv(6, 3, 3, 1, 1, PadKind::Same, Act::Linear, true), flatten(),
                  activation(Act::Relu), flatten(), dense(7, Act::Linear, true)},
                 rng));
}

// --- standalone activations --------------------------------------------------------

TEST_CASE("standalone activations on odd-sized tensors", "[kernels][activation]") {
  Rng rng(8080);
  const cnnc::Shape shapes[] = {{1, 1, 1}, {3, 5, 7}, {7, 3, 17}, {2, 9, 33},
                                {1},       {33},      {255},      {5, 1, 1}};
  int i = 0;
  for (const cnnc::Shape &s : shapes)
    for (Act a : {Act::Relu, Act::Tanh, Act::Sigmoid, Act::Softmax}) {
      if ((i++ % 2) == 1 &&
          a != Act::Softmax) // keep the compile count down: softmax on every shape, others on half
        continue;
      check(makeCase(std::string(cnnc::ref::actName(a)) + " on " + cnnc::shapeToString(s), s,
                     {activation(a)}, rng, 3.0));
    }
  // Chains: a conv with softmax over channels, then relu; linear is the identity.
  check(makeCase("conv softmax then relu", {5, 4, 3},
                 {conv(19, 3, 3, 1, 1, PadKind::Same, Act::Softmax, true), activation(Act::Relu)},
                 rng));
  check(makeCase("linear() then sigmoid()", {3, 7, 5},
                 {activation(Act::Linear), activation(Act::Sigmoid)}, rng));
  check(makeCase("dense, relu(), softmax()", {40},
                 {dense(21, Act::Linear, true), activation(Act::Relu), activation(Act::Softmax)},
                 rng));
}

TEST_CASE("tanh/sigmoid/softmax on large-magnitude inputs stay finite and exact",
          "[kernels][activation]") {
  // Inputs uniform in +-50 (and weights scaled so pre-activations reach +-100s):
  // exp overflow would give NaN/inf, which the check counts as an infinite error.
  Rng rng(6502);
  for (Act a : {Act::Tanh, Act::Sigmoid, Act::Softmax}) {
    std::string n = cnnc::ref::actName(a);
    check(makeCase(n + "() on inputs * 50", {5, 7, 19}, {activation(a)}, rng, 50.0));
    check(makeCase(n + "() on a vector * 50", {37}, {activation(a)}, rng, 50.0));
    check(makeCase("dense " + n + " with large pre-activations", {64}, {dense(41, a, true)}, rng,
                   50.0, 4.0));
  }
  check(makeCase("conv sigmoid with large pre-activations", {6, 6, 7},
                 {conv(9, 3, 3, 1, 1, PadKind::Same, Act::Sigmoid, true)}, rng, 50.0, 4.0));
  check(makeCase("conv tanh with large pre-activations", {6, 6, 7},
                 {conv(9, 3, 3, 1, 1, PadKind::Same, Act::Tanh, true)}, rng, 50.0, 4.0));
  // Exact extremes around exp's clamp (+-87..89) and far beyond.
  for (Act a : {Act::Tanh, Act::Sigmoid, Act::Softmax}) {
    const std::vector<float> v = {-1000.f, -100.f, -89.f, -88.5f, -88.f, -87.5f, -87.f, -44.5f,
                                  -44.f,   -20.f,  0.f,   1e-6f,  20.f,  44.f,   44.5f, 87.f,
                                  87.5f,   88.f,   88.5f, 89.f,   100.f, 1000.f, -0.f};
    Case c = makeCase(std::string(cnnc::ref::actName(a)) + " on extremes", {(int64_t)v.size()},
                      {activation(a)}, rng);
    c.input = cnnc::Tensor({(int64_t)v.size()}, v);
    c.expected = cnnc::ref::activate(cnnc::ref::fromTensor(c.input), a);
    check(c);
  }
}

// --- errors ----------------------------------------------------------------------------

TEST_CASE("a mismatched input shape and a missing weight throw cnnc::Error naming the problem",
          "[kernels][errors]") {
  cnnc::Model m =
      cnnc::Model::compileString(cnnc::ref::modelSource({6, 5, 3}, {"conv2d(filters=4, kernel=3)",
                                                                    "flatten()", "dense(units=2)"}),
                                 "test.cnn");
  Rng rng(1);
  cnnc::WeightMap w;
  w["conv2d.weight"] = randomTensor({4, 3, 3, 3}, rng, 0.5);
  w["conv2d.bias"] = randomTensor({4}, rng, 0.5);
  w["dense.weight"] = randomTensor({2, 4 * 3 * 4}, rng, 0.5);
  w["dense.bias"] = randomTensor({2}, rng, 0.5);

  cnnc::WeightMap missing = w;
  missing.erase("conv2d.bias");
  REQUIRE_THROWS_AS(m.loadWeights(missing), cnnc::Error);
  REQUIRE_THROWS_WITH(m.loadWeights(missing), Catch::Contains("missing weight 'conv2d.bias'"));

  m.loadWeights(w);
  REQUIRE_THROWS_AS(m.run(cnnc::Tensor({5, 6, 3})), cnnc::Error);
  REQUIRE_THROWS_WITH(m.run(cnnc::Tensor({5, 6, 3})),
                      Catch::Contains("[5, 6, 3]") && Catch::Contains("expects [6, 5, 3]"));
  REQUIRE_THROWS_AS(m.run(cnnc::Tensor({6 * 5 * 3})), cnnc::Error);
  REQUIRE_THROWS_AS(m.run(cnnc::Tensor({2, 6, 5, 3})), cnnc::Error);
  // The right shape, with or without a batch axis of 1, runs.
  REQUIRE(m.run(cnnc::Tensor({6, 5, 3})).shape() == cnnc::Shape{2});
  REQUIRE(m.run(cnnc::Tensor({1, 6, 5, 3})).shape() == cnnc::Shape{1, 2});
}

// tests/kernels/test_graph_ops.cpp - the graph ops (grouped/depthwise/dilated conv2d,
// batchnorm standalone and folded, add standalone and as a fused residual,
// concat, globalavgpool2d, zeropad2d standalone and folded, min/max/avg pooling
// with explicit padding, relu6/clip/leaky_relu, dropout) against the
// double-precision references in tests/Reference.h, on the host target and the
// forced AVX2 and SSE4 targets (vector widths 16/8/4 on an AVX-512 host).
//
// Each case is DSL text plus a reference function of (input, weights); the
// weights are Model::randomWeights(seed), the input uniform in +-inputScale.
// Tolerance as in test_ops.cpp: max |got - want| <= 1e-4 * max(1, max |want|),
// and a NaN error fails.
#include "../Reference.h"
#include "CheckModel.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <functional>
#include <random>
#include <sstream>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using cnnc::ActFn;
using ref::Array;
using ref::Pads;
using ref::PoolKind;
using Weights = cnnc::WeightMap;

using cnnc::test::check;
using cnnc::test::checkScaled;
using cnnc::test::RefFn;

struct Rng {
  std::mt19937 g;
  explicit Rng(uint32_t seed) : g(seed) {}
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); } // inclusive
  bool coin(int oneIn = 2) { return pick(0, oneIn - 1) == 0; }
  template <class T> T of(std::initializer_list<T> list) {
    return list.begin()[pick(0, (int)list.size() - 1)];
  }
};

// --- layer specs: the DSL statement and its reference from one description ---

enum class Pad { Valid, Same, Explicit };

std::string padDsl(Pad pad, Pads p) {
  if (pad == Pad::Valid)
    return "valid";
  if (pad == Pad::Same)
    return "same";
  std::ostringstream s;
  s << "(" << p.top << ", " << p.bottom << ", " << p.left << ", " << p.right << ")";
  return s.str();
}

Pads resolve(Pad pad, Pads p, const Array &x, int kh, int kw, int sh, int sw) {
  return pad == Pad::Same       ? ref::samePads(x.shape[0], x.shape[1], kh, kw, sh, sw)
         : pad == Pad::Explicit ? p
                                : Pads{};
}

/// conv2d(activation=NAME) as the front end reads it: leaky_relu has alpha 0.3.
ActFn dslAct(Act a) { return ActFn::withDefaults(a); }

struct Conv {
  int filters, kh, kw, sh = 1, sw = 1, groups = 1;
  Pad pad = Pad::Valid;
  Pads pads{};
  bool bias = true;
  Act act = Act::Linear;
  int dh = 1, dw = 1; // the dilation, written when not 1

  /// "name = conv2d(input, ...)"; an empty input reads the previous statement.
  std::string dsl(const std::string &name, const std::string &input = "") const {
    std::ostringstream s;
    s << name << " = conv2d(" << (input.empty() ? "" : input + ", ") << "filters=" << filters
      << ", kernel=(" << kh << ", " << kw << "), stride=(" << sh << ", " << sw
      << "), padding=" << padDsl(pad, pads) << ", groups=" << groups;
    if (dh != 1 || dw != 1)
      s << ", dilation=(" << dh << ", " << dw << ")";
    s << ", use_bias=" << (bias ? "true" : "false") << ", activation=" << cnnc::actName(act) << ")";
    return s.str();
  }
  Array ref(const Array &x, const Weights &w, const std::string &name) const {
    const cnnc::Tensor *b = bias ? &w.at(name + ".bias") : nullptr;
    const int spanH = ref::dilatedSpan(kh, dh), spanW = ref::dilatedSpan(kw, dw);
    return ref::activate(ref::conv2d(x, w.at(name + ".weight"), b, sh, sw,
                                     resolve(pad, pads, x, spanH, spanW, sh, sw), groups, dh, dw),
                         dslAct(act));
  }
};

struct Pool {
  PoolKind kind;
  int kh, kw, sh, sw;
  Pad pad = Pad::Valid;
  Pads pads{};

  std::string dsl(const std::string &input = "") const {
    std::ostringstream s;
    s << (kind == PoolKind::Max   ? "maxpool2d("
          : kind == PoolKind::Min ? "minpool2d("
                                  : "avgpool2d(")
      << (input.empty() ? "" : input + ", ") << "size=(" << kh << ", " << kw << "), stride=(" << sh
      << ", " << sw << "), padding=" << padDsl(pad, pads) << ")";
    return s.str();
  }
  Array ref(const Array &x) const {
    return ref::pool2d(x, kind, kh, kw, sh, sw, resolve(pad, pads, x, kh, kw, sh, sw),
                       pad == Pad::Explicit);
  }
};

Array bn(const Array &x, const Weights &w, const std::string &name, double eps) {
  return ref::batchnorm(x, w.at(name + ".weight"), w.at(name + ".bias"),
                        w.at(name + ".running_mean"), w.at(name + ".running_var"), eps);
}
Array dense(const Array &x, const Weights &w, const std::string &name, ActFn act = {},
            bool bias = true) {
  return ref::activate(
      ref::dense(x, w.at(name + ".weight"), bias ? &w.at(name + ".bias") : nullptr), act);
}
/// The statement of a standalone activation after a layer ("" for linear).
std::string actStmt(Act a, float alpha = 0.1f) {
  return a == Act::LeakyRelu ? "leaky_relu(alpha=" + std::to_string(alpha) + ")"
         : a == Act::Linear  ? ""
                             : std::string(cnnc::actName(a)) + "()";
}
Array act(const Array &x, Act a, float lo = 0, float hi = 0) {
  return ref::activate(x, {a, lo, hi});
}

} // namespace

// --- grouped and depthwise conv2d ---------------------------------------------

TEST_CASE("grouped and depthwise conv2d: hand-picked configurations", "[kernels][graph]") {
  const std::pair<cnnc::Shape, Conv> cfgs[] = {
      {{9, 7, 3}, {3, 3, 3, 1, 1, 3, Pad::Same}}, // depthwise C = 3
      {{8, 9, 5}, {5, 3, 3, 2, 2, 5, Pad::Same}}, // depthwise, same stride 2
      {{11, 10, 24}, {24, 3, 3, 2, 2, 24, Pad::Same, {}, true, Act::Relu6}},
      {{7, 8, 40}, {40, 5, 5, 1, 1, 40, Pad::Explicit, {1, 2, 0, 2}, true, Act::LeakyRelu}},
      {{10, 9, 40}, {40, 3, 3, 3, 3, 40, Pad::Valid, {}, false}}, // stride 3, no bias
      {{16, 16, 16}, {16, 3, 3, 1, 1, 16, Pad::Same, {}, true, Act::Relu}},
      {{7, 7, 8}, {8, 7, 7, 1, 1, 8, Pad::Same}},                         // window covers the image
      {{4, 37, 33}, {33, 1, 3, 1, 2, 33, Pad::Explicit, {0, 0, 1, 1}}},   // many column tiles
      {{6, 7, 24}, {8, 3, 3, 1, 1, 4, Pad::Explicit, {1, 1, 1, 1}}},      // 6 in, 2 out per group
      {{9, 9, 40}, {40, 3, 3, 2, 2, 8, Pad::Same, {}, true, Act::Relu6}}, // 5 in, 5 out
      {{8, 7, 24}, {48, 1, 1, 1, 1, 3}},                                  // 16 out per group
      {{7, 9, 5}, {10, 3, 3, 2, 2, 5, Pad::Same}},                        // channel multiplier 2
      {{12, 11, 24}, {34, 3, 3, 1, 1, 2, Pad::Explicit, {0, 1, 1, 0}}},   // 17 out per group
      {{5, 13, 40}, {20, 2, 3, 1, 2, 20, Pad::Valid, {}, false, Act::LeakyRelu}}, // 2 in, 1 out
      {{6, 6, 3}, {3, 3, 3, 3, 3, 1, Pad::Explicit, {2, 2, 2, 2}}}, // stride 3, padding 2
      {{1, 1, 5}, {5, 3, 3, 1, 1, 5, Pad::Same}},                   // depthwise on one pixel
      {{20, 21, 64}, {64, 3, 3, 1, 1, 64, Pad::Same, {}, true, Act::Relu6}},
  };
  int i = 0;
  for (const auto &[in, c] : cfgs)
    check("grouped conv #" + std::to_string(i++), in, {c.dsl("c")},
          [=](auto &x, auto &w) { return c.ref(x, w, "c"); });
}

TEST_CASE("grouped and depthwise conv2d: random sweep", "[kernels][graph]") {
  Rng rng(4711);
  for (int i = 0; i < 30; ++i) {
    Conv c{0, rng.pick(1, 5), 0, rng.pick(1, 3), 0};
    c.kw = rng.coin() ? c.kh : rng.pick(1, 5);
    c.sw = rng.coin() ? c.sh : rng.pick(1, 3);
    int C;
    if (i % 3 == 0) { // depthwise
      C = c.filters = c.groups = rng.coin(3) ? rng.pick(2, 48) : rng.of({3, 5, 8, 17, 24, 40});
    } else {
      c.groups = rng.of({2, 3, 4, 5, 8});
      C = c.groups * rng.pick(1, 9);
      c.filters = c.groups * (rng.coin(3) ? rng.of({1, 8, 16, 17}) : rng.pick(1, 20));
    }
    c.pad = Pad(rng.pick(0, 2));
    c.pads = {rng.pick(0, 2), rng.pick(0, 2), rng.pick(0, 2), rng.pick(0, 2)};
    c.bias = !rng.coin(4);
    c.act = rng.of({Act::Linear, Act::Relu, Act::Relu6, Act::LeakyRelu});
    bool same = c.pad == Pad::Same, ex = c.pad == Pad::Explicit;
    int H = std::max(rng.pick(1, 14), same ? 1 : c.kh - (ex ? c.pads.top + c.pads.bottom : 0));
    int W = std::max(rng.pick(1, 14), same ? 1 : c.kw - (ex ? c.pads.left + c.pads.right : 0));
    check("grouped conv sweep #" + std::to_string(i), {std::max(H, 1), std::max(W, 1), C},
          {c.dsl("c")}, [=](auto &x, auto &w) { return c.ref(x, w, "c"); });
  }
}

TEST_CASE("dilated conv2d: depthwise and grouped and fused", "[kernels][graph][dilation]") {
  auto dil = [](Conv c, int dh, int dw) {
    c.dh = dh, c.dw = dw;
    return c;
  };
  const std::pair<cnnc::Shape, Conv> cfgs[] = {
      {{9, 7, 3}, dil({3, 3, 3, 1, 1, 3, Pad::Same}, 2, 2)},   // depthwise C = 3
      {{11, 13, 5}, dil({5, 3, 3, 2, 2, 5, Pad::Same}, 2, 3)}, // depthwise, stride 2
      {{20, 21, 64}, dil({64, 3, 3, 1, 1, 64, Pad::Same, {}, true, Act::Relu6}, 6, 6)},
      {{14, 37, 33}, dil({33, 3, 3, 1, 1, 33, Pad::Explicit, {2, 2, 4, 4}}, 2, 4)}, // column tiles
      {{15, 16, 40}, dil({40, 3, 3, 1, 2, 40, Pad::Valid, {}, false, Act::LeakyRelu}, 3, 2)},
      {{7, 9, 5}, dil({10, 3, 3, 1, 1, 5, Pad::Same}, 2, 2)}, // channel multiplier 2
      {{10, 11, 24}, dil({8, 3, 3, 1, 1, 4, Pad::Explicit, {2, 2, 2, 2}}, 2, 2)}, // grouped
      {{13, 12, 40}, dil({40, 3, 3, 2, 2, 8, Pad::Same, {}, true, Act::Relu6}, 3, 3)},
      {{12, 11, 24}, dil({34, 3, 2, 1, 1, 2, Pad::Explicit, {0, 1, 1, 0}}, 2, 5)}, // 17 per group
      {{1, 1, 5}, dil({5, 3, 3, 1, 1, 5, Pad::Same}, 4, 4)}, // depthwise on one pixel
  };
  int i = 0;
  for (const auto &[in, c] : cfgs)
    check("dilated grouped conv #" + std::to_string(i++), in, {c.dsl("c")},
          [=](auto &x, auto &w) { return c.ref(x, w, "c"); });
  // A fused residual and activation: c(x) + y -> relu, y a 1x1 projection.
  for (int groups : {1, 4, 24}) {
    const Conv c = dil({24, 3, 3, 1, 1, groups, Pad::Same}, 2, 2),
               proj{24, 1, 1, 1, 1, 1, Pad::Valid, {}, false};
    check("dilated residual, groups " + std::to_string(groups), {11, 9, 24},
          {proj.dsl("y", "x"), c.dsl("c", "x"), "s = add(c, y)", "relu(s)"}, [=](auto &x, auto &w) {
            return act(ref::add(c.ref(x, w, "c"), proj.ref(x, w, "y")), Act::Relu);
          });
  }
  // A dilated conv after zeropad2d (folded into its padding) and in a random sweep.
  const Conv z = dil({6, 3, 3, 1, 1, 1, Pad::Explicit, {1, 0, 0, 1}}, 2, 3);
  check("zeropad then dilated conv", {8, 9, 4}, {"p = zeropad2d(x, padding=(1, 2))", z.dsl("c")},
        [=](auto &x, auto &w) {
          return z.ref(ref::zeroPad(x, {1, 1, 2, 2}), w, "c");
        });
  Rng rng(9191);
  for (int i = 0; i < 20; ++i) {
    Conv c{0, rng.pick(1, 3), 0, rng.pick(1, 2), 0};
    c.kw = rng.coin() ? c.kh : rng.pick(1, 3);
    c.sw = rng.coin() ? c.sh : rng.pick(1, 2);
    c.dh = rng.pick(1, 4), c.dw = rng.coin() ? c.dh : rng.pick(1, 4);
    int C = c.filters = c.groups = rng.pick(2, 40); // depthwise
    if (i % 2) {
      c.groups = rng.of({2, 3, 4});
      C = c.groups * rng.pick(1, 6), c.filters = c.groups * rng.pick(1, 9);
    }
    c.pad = Pad(rng.pick(0, 2));
    c.pads = {rng.pick(0, 2), rng.pick(0, 2), rng.pick(0, 2), rng.pick(0, 2)};
    c.act = rng.of({Act::Linear, Act::Relu, Act::LeakyRelu});
    bool same = c.pad == Pad::Same, ex = c.pad == Pad::Explicit;
    int H =
        std::max(rng.pick(1, 14),
                 same ? 1 : ref::dilatedSpan(c.kh, c.dh) - (ex ? c.pads.top + c.pads.bottom : 0));
    int W =
        std::max(rng.pick(1, 14),
                 same ? 1 : ref::dilatedSpan(c.kw, c.dw) - (ex ? c.pads.left + c.pads.right : 0));
    check("dilated grouped conv sweep #" + std::to_string(i), {std::max(H, 1), std::max(W, 1), C},
          {c.dsl("c")}, [=](auto &x, auto &w) { return c.ref(x, w, "c"); });
  }
}

// --- batchnorm ------------------------------------------------------------------

TEST_CASE("batchnorm: standalone on images and vectors", "[kernels][graph]") {
  check("bn on the input", {7, 9, 5}, {"b = batchnorm(epsilon=0.001)"},
        [=](auto &x, auto &w) { return bn(x, w, "b", 1e-3); });
  check("maxpool then bn (large eps)", {10, 9, 17},
        {"p = maxpool2d(size=2)", "b = batchnorm(epsilon=0.25)"},
        [=](auto &x, auto &w) { return bn(ref::pool2d(x, true, 2, 2, 2, 2, {}), w, "b", 0.25); });
  checkScaled(8.0, "bn then relu6 on a vector input", {37},
              {"b = batchnorm(epsilon=0.5)", "relu6()"},
              [=](auto &x, auto &w) { return act(bn(x, w, "b", 0.5), Act::Relu6); });
  // A flatten of an [H, W, C] image is in PyTorch's CHW order, as are the
  // batchnorm's statistics and the output.
  check("flatten then bn as the output", {4, 5, 3}, {"flatten()", "b = batchnorm(epsilon=0.1)"},
        [=](auto &x, auto &w) { return bn(ref::flattenCHW(x), w, "b", 0.1); });
  check("conv, flatten, dropout, bn, relu, dense", {5, 4, 3},
        {"c = conv2d(filters=6, kernel=3, padding=same)", "flatten()", "dropout(rate=0.3)",
         "b = batchnorm(epsilon=0.2)", "relu()", "d = dense(units=7)"},
        [=](auto &x, auto &w) {
          Array v = ref::flattenCHW(Conv{6, 3, 3, 1, 1, 1, Pad::Same}.ref(x, w, "c"));
          return dense(act(bn(v, w, "b", 0.2), Act::Relu), w, "d");
        });
  // Not foldable: the conv has an activation, a second batchnorm, two users.
  check("conv+relu then bn", {8, 7, 5},
        {"c = conv2d(filters=17, kernel=3, activation=relu)", "b = batchnorm(epsilon=0.01)"},
        [=](auto &x, auto &w) {
          return bn(act(Conv{17, 3, 3}.ref(x, w, "c"), Act::Relu), w, "b", 0.01);
        });
  check("conv, bn, bn", {6, 6, 4},
        {"c = conv2d(filters=9, kernel=3)", "b1 = batchnorm(epsilon=0.01)",
         "b2 = batchnorm(epsilon=0.3)"},
        [=](auto &x, auto &w) {
          return bn(bn(Conv{9, 3, 3}.ref(x, w, "c"), w, "b1", 0.01), w, "b2", 0.3);
        });
  check("conv used by bn and add", {6, 5, 3},
        {"c = conv2d(filters=5, kernel=1)", "b = batchnorm(c, epsilon=0.1)", "add(b, c)"},
        [=](auto &x, auto &w) {
          Array c = Conv{5, 1, 1}.ref(x, w, "c");
          return ref::add(bn(c, w, "b", 0.1), c);
        });
  check("dense used by bn and add", {20},
        {"d = dense(units=12)", "b = batchnorm(d, epsilon=0.1)", "add(b, d)"},
        [=](auto &x, auto &w) {
          Array d = dense(x, w, "d");
          return ref::add(bn(d, w, "b", 0.1), d);
        });
}

TEST_CASE("batchnorm folded into conv2d and dense", "[kernels][graph]") {
  int i = 0;
  auto convBn = [&](cnnc::Shape in, Conv c, double eps, Act after) {
    std::ostringstream e;
    e << "b = batchnorm(epsilon=" << eps << ")";
    check("conv+bn #" + std::to_string(i++), in, {c.dsl("c"), e.str(), actStmt(after)},
          [=](auto &x, auto &w) { return act(bn(c.ref(x, w, "c"), w, "b", eps), after); });
  };
  convBn({9, 8, 3}, {17, 3, 3, 1, 1, 1, Pad::Same, {}, false}, 1e-5, Act::Relu);
  convBn({8, 8, 5}, {24, 3, 3, 2, 2, 1, Pad::Same, {}, true}, 0.1, Act::Linear);
  convBn({8, 7, 24}, {24, 3, 3, 1, 1, 4, Pad::Explicit, {1, 1, 1, 1}, false}, 0.3, Act::Relu6);
  convBn({9, 9, 40}, {40, 3, 3, 2, 2, 40, Pad::Same, {}, false}, 1e-3, Act::Relu);
  convBn({7, 6, 5}, {5, 3, 3, 1, 1, 5, Pad::Valid, {}, true}, 0.5, Act::Linear);
  convBn({5, 6, 33}, {130, 1, 1, 1, 1, 1, Pad::Valid, {}, true}, 0.2, Act::Relu);

  auto denseBn = [&](cnnc::Shape in, int units, bool bias, double eps, Act after, float alpha) {
    std::ostringstream d, b;
    d << "d = dense(units=" << units << ", use_bias=" << (bias ? "true" : "false") << ")";
    b << "b = batchnorm(epsilon=" << eps << ")";
    std::vector<std::string> s = {in.size() == 3 ? "flatten()" : "", d.str(), b.str(),
                                  actStmt(after, alpha)};
    check("dense+bn #" + std::to_string(i++), in, s, [=](auto &x, auto &w) {
      return act(bn(dense(ref::flattenCHW(x), w, "d", {}, bias), w, "b", eps), after, alpha);
    });
  };
  denseBn({50}, 33, true, 1e-3, Act::Linear, 0);
  denseBn({3, 4, 5}, 20, false, 0.1, Act::Relu, 0); // flatten: CHW weights, per-output fold
  denseBn({17}, 65, true, 0.3, Act::LeakyRelu, 0.1f);
  denseBn({7}, 1, false, 0.5, Act::Sigmoid, 0);

  // A residual block: both batchnorms fold, the add and relu fuse into the second conv.
  check("residual block", {8, 8, 16},
        {"c1 = conv2d(filters=16, kernel=3, padding=1, use_bias=false)",
         "b1 = batchnorm(epsilon=1e-5)", "r1 = relu()",
         "c2 = conv2d(filters=16, kernel=3, padding=1, use_bias=false)",
         "b2 = batchnorm(epsilon=0.1)", "s = add(b2, x)", "relu()"},
        [=](auto &x, auto &w) {
          Conv c{16, 3, 3, 1, 1, 1, Pad::Explicit, {1, 1, 1, 1}, false};
          Array r1 = act(bn(c.ref(x, w, "c1"), w, "b1", 1e-5), Act::Relu);
          return act(ref::add(bn(c.ref(r1, w, "c2"), w, "b2", 0.1), x), Act::Relu);
        });
}

// --- add ------------------------------------------------------------------------

TEST_CASE("add: standalone and fused into a conv as a residual", "[kernels][graph]") {
  Pool mx{PoolKind::Max, 2, 2, 1, 1}, av{PoolKind::Avg, 2, 2, 1, 1};
  check("add of two pools", {9, 8, 17},
        {"p1 = " + mx.dsl("x"), "p2 = " + av.dsl("x"), "add(p1, p2)"},
        [=](auto &x, auto &w) { return ref::add(mx.ref(x), av.ref(x)); });
  check(
      "add of two dense", {20},
      {"d1 = dense(x, units=13)", "d2 = dense(x, units=13, activation=relu)", "add(d1, d2)"},
      [=](auto &x, auto &w) { return ref::add(dense(x, w, "d1"), dense(x, w, "d2", Act::Relu)); });
  check("add(x, x)", {3, 5, 7}, {"add(x, x)"}, [=](auto &x, auto &w) { return ref::add(x, x); });

  // conv(x) + y with y computed earlier (a 1x1 projection conv, a pool, a relu
  // of x), then an activation: one fused kernel.
  enum class Y { Proj, Avg, Max, Relu };
  struct Res {
    cnnc::Shape in;
    Y y;
    Conv c;
    bool swap; // add(y, c) instead of add(c, y)
    Act after;
    bool fromY = false; // c reads y instead of x
  };
  const Res cases[] = {
      {{8, 8, 16}, Y::Proj, {24, 3, 3, 2, 2, 1, Pad::Same}, false, Act::Relu},
      {{9, 9, 16}, Y::Proj, {24, 3, 3, 2, 2, 1, Pad::Same, {}, false}, true, Act::Relu6},
      {{7, 9, 24}, Y::Avg, {24, 3, 3, 1, 1, 4, Pad::Same}, false, Act::Relu}, // grouped
      {{9, 8, 5}, Y::Max, {5, 3, 3, 1, 1, 5, Pad::Same}, true, Act::Relu6},   // depthwise
      {{10, 10, 40}, Y::Relu, {40, 3, 3, 1, 1, 40, Pad::Same}, false, Act::LeakyRelu},
      {{6, 7, 3}, Y::Proj, {17, 3, 3, 1, 1, 1, Pad::Same}, true, Act::Linear, true},
      // The conv has its own activation: not fused, a standalone add.
      {{6, 7, 3}, Y::Proj, {17, 3, 3, 1, 1, 1, Pad::Same, {}, 1, Act::Relu}, 0, Act::Linear},
      {{5, 6, 16}, Y::Relu, {16, 3, 3, 1, 1, 2, Pad::Same}, false, Act::LeakyRelu},
  };
  const Pool avg3{PoolKind::Avg, 3, 3, 1, 1, Pad::Same},
      max3{PoolKind::Max, 3, 3, 1, 1, Pad::Explicit, {1, 1, 1, 1}};
  int i = 0;
  for (const Res &r : cases) {
    const Conv proj{r.c.filters, 1, 1, r.c.sh, r.c.sw, 1, Pad::Valid, {}, false};
    std::vector<std::string> s = {r.y == Y::Proj  ? proj.dsl("y", "x")
                                  : r.y == Y::Avg ? "y = " + avg3.dsl("x")
                                  : r.y == Y::Max ? "y = " + max3.dsl("x")
                                                  : "y = relu(x)",
                                  r.c.dsl("c", r.fromY ? "y" : "x"),
                                  r.swap ? "s = add(y, c)" : "s = add(c, y)", actStmt(r.after)};
    check("residual #" + std::to_string(i++), r.in, s, [=](auto &x, auto &w) {
      Array y = r.y == Y::Proj  ? proj.ref(x, w, "y")
                : r.y == Y::Avg ? avg3.ref(x)
                : r.y == Y::Max ? max3.ref(x)
                                : act(x, Act::Relu);
      return act(ref::add(r.c.ref(r.fromY ? y : x, w, "c"), y), r.after, 0.1f);
    });
  }
  // conv + add + relu + maxpool in one kernel: the pool takes the maxima after
  // the residual and the activation (odd sizes: the last row and column dropped).
  const Conv c{24, 3, 3, 1, 1, 1, Pad::Same}, proj{24, 1, 1, 1, 1, 1, Pad::Valid, {}, false};
  const Pool p2{PoolKind::Max, 2, 2, 2, 2};
  check("residual, relu, then maxpool", {9, 11, 16},
        {proj.dsl("y", "x"), c.dsl("c", "x"), "s = add(c, y)", "r = relu(s)", p2.dsl("r")},
        [=](auto &x, auto &w) {
          return p2.ref(act(ref::add(c.ref(x, w, "c"), proj.ref(x, w, "y")), Act::Relu));
        });
}

// --- mul --------------------------------------------------------------------------

TEST_CASE("mul: one shape and squeeze-and-excitation's channel scale", "[kernels][graph]") {
  check("mul of two pools", {9, 8, 17},
        {"a = avgpool2d(x, size=2, stride=1)", "b = relu(a)", "mul(a, b)"}, [=](auto &x, auto &w) {
          Array a = ref::pool2d(x, PoolKind::Avg, 2, 2, 1, 1, {});
          return ref::mul(a, act(a, Act::Relu));
        });
  check("mul(x, x) of a vector", {37}, {"mul(x, x)"},
        [=](auto &x, auto &w) { return ref::mul(x, x); });
  // Squeeze-and-excitation: the image times a sigmoid gate per channel, the
  // vector first or second; channel counts with and without a vector tail.
  for (int C : {20, 32, 7}) {
    for (bool swap : {false, true}) {
      std::string what = "squeeze-and-excitation " + std::to_string(C) + (swap ? " swapped" : "");
      check(what, {7, 9, C},
            {"g = globalavgpool2d(x)", "d1 = dense(g, units=5, activation=relu)",
             "d2 = dense(d1, units=" + std::to_string(C) + ", activation=sigmoid)",
             swap ? "mul(d2, x)" : "mul(x, d2)"},
            [=](auto &x, auto &w) {
              Array gate =
                  dense(dense(ref::globalAvgPool(x), w, "d1", Act::Relu), w, "d2", Act::Sigmoid);
              return swap ? ref::mul(gate, x) : ref::mul(x, gate);
            });
    }
  }
}

TEST_CASE("add sub mul div of one shape or with a channel vector in either order",
          "[kernels][graph]") {
  using Fn = Array (*)(const Array &, const Array &);
  const std::pair<const char *, Fn> ops[] = {
      {"add", ref::add}, {"sub", ref::sub}, {"mul", ref::mul}, {"div", ref::div}};
  for (auto &[op, f] : ops) {
    const std::string o = op;
    check(o + " of one shape", {5, 6, 19}, {"r = sigmoid(x)", o + "(x, r)"},
          [=](auto &x, auto &w) { return f(x, act(x, Act::Sigmoid)); });
    for (int C : {16, 21}) {
      for (bool swap : {false, true}) {
        // v = sigmoid(dense(gap(x))) never reaches zero, so div is tame either way round.
        check(o + " with a vector of " + std::to_string(C) + (swap ? " first" : " second"),
              {3, 7, C},
              {"g = globalavgpool2d(x)",
               "v = dense(g, units=" + std::to_string(C) + ", activation=sigmoid)",
               "r = sigmoid(x)", swap ? o + "(v, r)" : o + "(r, v)"},
              [=](auto &x, auto &w) {
                Array v = dense(ref::globalAvgPool(x), w, "v", Act::Sigmoid);
                Array r = act(x, Act::Sigmoid);
                return swap ? f(v, r) : f(r, v);
              });
      }
    }
  }
  // A conv's output plus a channel vector: not a residual the epilogue could add.
  const Conv c{12, 3, 3, 1, 1, 1, Pad::Same};
  check("conv plus a channel vector", {6, 5, 12},
        {"g = globalavgpool2d(x)", "v = dense(g, units=12)", c.dsl("c", "x"), "add(c, v)"},
        [=](auto &x, auto &w) {
          return ref::add(c.ref(x, w, "c"), dense(ref::globalAvgPool(x), w, "v"));
        });
}

// --- concat, globalavgpool2d -------------------------------------------------------

TEST_CASE("concat of 3 + 17 + 16 channels and globalavgpool2d then dense", "[kernels][graph]") {
  const Conv a{3, 1, 1}, b{17, 3, 3, 1, 1, 1, Pad::Same};
  const Pool p{PoolKind::Max, 3, 3, 1, 1, Pad::Same};
  auto parts = [=](auto &x, auto &w) {
    return std::vector<Array>{a.ref(x, w, "a"), b.ref(x, w, "b"), p.ref(x)};
  };
  const std::string da = a.dsl("a", "x"), db = b.dsl("b", "x"), dp = "p = " + p.dsl("x");
  check("concat(a, b, p)", {7, 6, 16}, {da, db, dp, "concat(a, b, p)"},
        [=](auto &x, auto &w) { return ref::concat(parts(x, w)); });
  check("concat(p, a, b) then conv", {5, 9, 16},
        {da, db, dp, "concat(p, a, b)", "c = conv2d(filters=5, kernel=3)"}, [=](auto &x, auto &w) {
          auto v = parts(x, w);
          return Conv{5, 3, 3}.ref(ref::concat({v[2], v[0], v[1]}), w, "c");
        });
  check("concat(x, x, x)", {3, 4, 5}, {"concat(x, x, x)"}, [=](auto &x, auto &w) {
    return ref::concat({x, x, x});
  });
  check("concat of vectors", {11},
        {"d1 = dense(x, units=5)", "d2 = dense(x, units=17)", "concat(d1, x, d2)"},
        [=](auto &x, auto &w) {
          return ref::concat({dense(x, w, "d1"), x, dense(x, w, "d2")});
        });

  check("gap then dense", {7, 5, 33}, {"globalavgpool2d()", "d = dense(units=10)"},
        [=](auto &x, auto &w) { return dense(ref::globalAvgPool(x), w, "d"); });
  checkScaled(8.0, "gap of 1x1 then dense relu6", {1, 1, 3},
              {"globalavgpool2d()", "d = dense(units=4, activation=relu6)"},
              [=](auto &x, auto &w) { return dense(ref::globalAvgPool(x), w, "d", Act::Relu6); });
  check("conv, gap, dense softmax", {12, 13, 17},
        {"c = conv2d(filters=20, kernel=3, activation=relu)", "globalavgpool2d()",
         "d = dense(units=7, activation=softmax)"},
        [=](auto &x, auto &w) {
          return dense(ref::globalAvgPool(act(Conv{20, 3, 3}.ref(x, w, "c"), Act::Relu)), w, "d",
                       Act::Softmax);
        });
}

// --- zeropad2d ---------------------------------------------------------------------

TEST_CASE("zeropad2d: standalone before pooling and folded into a conv", "[kernels][graph]") {
  int i = 0;
  auto go = [&](cnnc::Shape in, Pads z, std::string zdsl, std::vector<std::string> rest,
                std::function<Array(const Array &, const Weights &)> after) {
    rest.insert(rest.begin(), "z = zeropad2d(" + zdsl + ")");
    check("zeropad #" + std::to_string(i++), in, rest,
          [=](auto &x, auto &w) { return after(ref::zeroPad(x, z), w); });
  };
  auto pool = [](Pool p) { return [=](auto &x, auto &w) { return p.ref(x); }; };
  auto conv = [](Conv c) { return [=](auto &x, auto &w) { return c.ref(x, w, "c"); }; };
  const Pool mx{PoolKind::Max, 2, 2, 2, 2}, mn{PoolKind::Min, 3, 3, 2, 2},
      av{PoolKind::Avg, 3, 2, 1, 2};
  go({5, 6, 7}, {1, 2, 0, 3}, "padding=(1, 2, 0, 3)", {mx.dsl()}, pool(mx));
  go({6, 5, 9}, {1, 1, 1, 1}, "", {mn.dsl()}, pool(mn)); // default padding 1
  go({7, 4, 17}, {0, 2, 1, 0}, "padding=(0, 2, 1, 0)", {av.dsl()}, pool(av));
  go({4, 5, 17}, {2, 2, 2, 2}, "padding=2", {}, [=](auto &x, auto &w) { return x; });
  const Conv c1{8, 3, 3, 2, 2}, c2{6, 3, 3, 1, 1, 1, Pad::Explicit, {1, 1, 1, 1}},
      c3{24, 3, 3, 2, 2, 24, Pad::Same, {}, true, Act::Relu6},
      c4{12, 3, 3, 1, 2, 3, Pad::Same, {}, false};
  go({9, 9, 3}, {0, 1, 0, 1}, "padding=(0, 1, 0, 1)", {c1.dsl("c")}, conv(c1));
  go({8, 7, 5}, {1, 0, 2, 1}, "padding=(1, 0, 2, 1)", {c2.dsl("c")}, conv(c2));
  go({7, 8, 24}, {2, 2, 1, 1}, "padding=(2, 1)", {c3.dsl("c")}, conv(c3));      // depthwise, same
  go({6, 9, 6}, {3, 0, 0, 2}, "padding=(3, 0, 0, 2)", {c4.dsl("c")}, conv(c4)); // grouped
  // Used by a conv (which folds it) and a maxpool (which keeps it).
  const Conv c5{4, 3, 3};
  const Pool m5{PoolKind::Max, 3, 3, 1, 1};
  go({6, 6, 4}, {1, 1, 1, 1}, "padding=1", {c5.dsl("c", "z"), "m = " + m5.dsl("z"), "add(c, m)"},
     [=](auto &x, auto &w) { return ref::add(c5.ref(x, w, "c"), m5.ref(x)); });
}

// --- pooling with padding, minpool2d ---------------------------------------------------

TEST_CASE("max/min/avg pooling with explicit and same padding", "[kernels][graph]") {
  Rng rng(9090);
  for (int i = 0; i < 36; ++i) {
    Pool p{PoolKind(i % 3), rng.pick(1, 4), 0, rng.pick(1, 3), 0};
    p.kw = rng.coin() ? p.kh : rng.pick(1, 4);
    p.sw = rng.coin() ? p.sh : rng.pick(1, 3);
    p.pad = (i / 3) % 3 == 2 ? Pad::Same : Pad::Explicit;
    p.pads = {rng.pick(0, p.kh / 2), rng.pick(0, p.kh / 2), rng.pick(0, p.kw / 2),
              rng.pick(0, p.kw / 2)};
    const int H = std::max(rng.pick(1, 15), p.kh), W = std::max(rng.pick(1, 15), p.kw);
    const int C = rng.coin(3) ? rng.pick(1, 40) : rng.of({1, 3, 5, 16, 17, 24, 33});
    check("pool sweep #" + std::to_string(i), {H, W, C}, {p.dsl()},
          [=](auto &x, auto &w) { return p.ref(x); });
  }
  // Scalar and pair forms, and windows that are mostly padding.
  check("minpool padding=1", {5, 5, 3}, {"minpool2d(size=3, stride=4, padding=1)"},
        [=](auto &x, auto &w) {
          return ref::pool2d(x, PoolKind::Min, 3, 3, 4, 4, {1, 1, 1, 1});
        });
  check("avgpool padding=(1, 2)", {6, 7, 17}, {"avgpool2d(size=(2, 4), stride=1, padding=(1, 2))"},
        [=](auto &x, auto &w) {
          return ref::pool2d(x, PoolKind::Avg, 2, 4, 1, 1, {1, 1, 2, 2}, true);
        });
  check("tiled avgpool, explicit", {33, 40, 37}, {"avgpool2d(size=3, stride=2, padding=1)"},
        [=](auto &x, auto &w) {
          return ref::pool2d(x, PoolKind::Avg, 3, 3, 2, 2, {1, 1, 1, 1}, true);
        });
  check("tiled minpool, same", {40, 50, 37}, {"minpool2d(size=3, stride=2, padding=same)"},
        [=](auto &x, auto &w) {
          return ref::pool2d(x, PoolKind::Min, 3, 3, 2, 2, ref::samePads(40, 50, 3, 3, 2, 2));
        });
}

// --- relu6, clip, leaky_relu, dropout ------------------------------------------------------

TEST_CASE("relu6 and clip and leaky_relu standalone and fused - dropout is the identity",
          "[kernels][graph]") {
  int i = 0;
  for (cnnc::Shape s : {cnnc::Shape{1, 1, 1}, {3, 5, 7}, {2, 9, 33}, {37}, {16}}) {
    const std::string n = " #" + std::to_string(i++);
    checkScaled(8.0, "relu6" + n, s, {"relu6()"},
                [=](auto &x, auto &w) { return act(x, Act::Relu6); });
    check("clip" + n, s, {"clip(min=-0.5, max=0.7)"},
          [=](auto &x, auto &w) { return act(x, Act::Clip, -0.5f, 0.7f); });
    check("leaky_relu" + n, s, {"leaky_relu(alpha=0.1)"},
          [=](auto &x, auto &w) { return act(x, Act::LeakyRelu, 0.1f); });
  }
  check("leaky_relu default alpha", {40}, {"leaky_relu()"},
        [=](auto &x, auto &w) { return act(x, Act::LeakyRelu, 0.3f); });
  // As conv2d/dense activation= (leaky alpha 0.3), and fused from a following layer.
  const Conv r6{17, 3, 3, 1, 1, 1, Pad::Same, {}, true, Act::Relu6},
      lk{24, 3, 3, 2, 1, 1, Pad::Valid, {}, true, Act::LeakyRelu}, gr{12, 3, 3, 1, 1, 3, Pad::Same};
  checkScaled(6.0, "conv relu6", {6, 7, 5}, {r6.dsl("c")},
              [=](auto &x, auto &w) { return r6.ref(x, w, "c"); });
  check("conv leaky_relu", {7, 6, 3}, {lk.dsl("c")},
        [=](auto &x, auto &w) { return lk.ref(x, w, "c"); });
  checkScaled(8.0, "dense relu6", {30}, {"d = dense(units=19, activation=relu6)"},
              [=](auto &x, auto &w) { return dense(x, w, "d", Act::Relu6); });
  check("dense leaky_relu", {30}, {"d = dense(units=33, activation=leaky_relu)"},
        [=](auto &x, auto &w) { return dense(x, w, "d", dslAct(Act::LeakyRelu)); });
  check("conv then clip()", {5, 6, 4},
        {"c = conv2d(filters=9, kernel=3)", "clip(min=-0.5, max=0.7)"}, [=](auto &x, auto &w) {
          return act(Conv{9, 3, 3}.ref(x, w, "c"), Act::Clip, -0.5f, 0.7f);
        });
  checkScaled(6.0, "grouped conv then relu6()", {6, 6, 6}, {gr.dsl("c"), "relu6()"},
              [=](auto &x, auto &w) { return act(gr.ref(x, w, "c"), Act::Relu6); });
  check("dense then leaky_relu(alpha=0.1)", {25}, {"d = dense(units=17)", "leaky_relu(alpha=0.1)"},
        [=](auto &x, auto &w) { return act(dense(x, w, "d"), Act::LeakyRelu, 0.1f); });

  check("dropout as the output", {5, 4, 3}, {"dropout(rate=0.3)"},
        [=](auto &x, auto &w) { return x; });
  check("conv, dropout, relu", {6, 5, 3},
        {"c = conv2d(filters=7, kernel=3)", "dropout(rate=0.3)", "relu()"}, [=](auto &x, auto &w) {
          return act(Conv{7, 3, 3}.ref(x, w, "c"), Act::Relu);
        });
  check("flatten, dropout, dense", {3, 4, 5},
        {"flatten()", "dropout(rate=0.3)", "d = dense(units=6)"},
        [=](auto &x, auto &w) { return dense(ref::flattenCHW(x), w, "d"); });
}

// --- everything at once ------------------------------------------------------------------

TEST_CASE("the graph_ops model (tests/golden/ir/graph_ops.cnn)", "[kernels][graph]") {
  checkScaled(2.0, "graph_ops", {16, 16, 8},
              {"c1 = conv2d(filters=8, kernel=3, padding=1, use_bias=false)",
               "b1 = batchnorm(epsilon=1e-5)", "r1 = relu()",
               "c2 = conv2d(filters=8, kernel=3, padding=1, use_bias=false)",
               "b2 = batchnorm(epsilon=1e-5)", "s = add(b2, x)", "r2 = relu6(s)",
               "z = zeropad2d(padding=(0, 1, 0, 1))",
               "dw = conv2d(filters=8, kernel=3, stride=2, groups=8, activation=relu)",
               "gc = conv2d(dw, filters=16, kernel=1, groups=4)",
               "p1 = maxpool2d(gc, size=2, padding=same)",
               "p2 = maxpool2d(gc, size=2, padding=same)", "unused = tanh(p1)",
               "m = minpool2d(r2, size=3, stride=4, padding=1)", "cat = concat(p1, p2, m)",
               "d = dropout(rate=0.2)", "g = globalavgpool2d()", "leaky_relu(alpha=0.1)",
               "dense(units=10)"},
              [=](auto &x, auto &w) {
                const Conv c{8, 3, 3, 1, 1, 1, Pad::Explicit, {1, 1, 1, 1}, false};
                Array r1 = act(bn(c.ref(x, w, "c1"), w, "b1", 1e-5), Act::Relu);
                Array r2 = act(ref::add(bn(c.ref(r1, w, "c2"), w, "b2", 1e-5), x), Act::Relu6);
                Array z = ref::zeroPad(r2, {0, 1, 0, 1});
                Array dw = Conv{8, 3, 3, 2, 2, 8, Pad::Valid, {}, true, Act::Relu}.ref(z, w, "dw");
                Array gc = Conv{16, 1, 1, 1, 1, 4}.ref(dw, w, "gc");
                Array p = Pool{PoolKind::Max, 2, 2, 2, 2, Pad::Same}.ref(gc);
                Array m = ref::pool2d(r2, PoolKind::Min, 3, 3, 4, 4, {1, 1, 1, 1});
                Array g = ref::globalAvgPool(ref::concat({p, p, m}));
                return dense(act(g, Act::LeakyRelu, 0.1f), w, "dense");
              });
}

// Flattens are in PyTorch's CHW order, so a dense after a concat of flattened
// images (or an add of a flatten and another vector) pairs up what PyTorch does.
// (When flatten kept HWC order and the dense weights were permuted instead,
// this case read the wrong weights.)
TEST_CASE("dense after a concat of flattened images indexes CHW order", "[kernels][graph]") {
  check("concat of flattens, dense", {2, 3, 4},
        {"a = conv2d(x, filters=3, kernel=1)", "fa = flatten(a)", "fx = flatten(x)",
         "concat(fa, fx)", "d = dense(units=5)"},
        [=](auto &x, auto &w) {
          Array a = Conv{3, 1, 1}.ref(x, w, "a");
          return dense(ref::concat({ref::flattenCHW(a), ref::flattenCHW(x)}), w, "d");
        });
  // The fuzzer's first find, before flatten produced CHW order: add(dense(flat), flat).
  check("add of a flatten and a dense of it", {2, 3, 2},
        {"f = flatten(x)", "d = dense(f, units=12)", "add(d, f)"}, [=](auto &x, auto &w) {
          Array f = ref::flattenCHW(x);
          return ref::add(dense(f, w, "d"), f);
        });
}

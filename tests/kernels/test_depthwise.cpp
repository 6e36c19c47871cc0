// tests/kernels/test_depthwise.cpp - the depthwise conv kernel (codegen/Depthwise.cpp)
// against the double-precision reference on all four targets: random odd
// shapes, strides 1 to 3, padding same, valid and explicit (asymmetric, and
// wider than the kernel, so whole output rows and columns read only padding),
// dilation, channel counts that are not multiples of the vector width, every
// register tile forced (edge tiles, the middle loop, channel tail blocks), and
// depthwise convs inside a network (after a conv that used to give it a bordered
// buffer, before a padded conv that needs one, with a fused residual).
//
// Tolerance as in CheckModel.h: max |got - want| <= 1e-4 * max(1, max |want|).
#include "../Reference.h"
#include "CheckModel.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <random>
#include <sstream>

namespace {

namespace ref = cnnc::ref;
using ref::Array;
using ref::Pads;
using Weights = cnnc::WeightMap;

struct Rng {
  std::mt19937 g;
  explicit Rng(uint32_t seed) : g(seed) {}
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); } // inclusive
  bool coin(int oneIn = 2) { return pick(0, oneIn - 1) == 0; }
};

/// A depthwise conv2d: "same", "valid" or explicit padding.
struct Dw {
  int C, kh, kw, sh = 1, sw = 1, dh = 1, dw = 1;
  std::string pad = "valid"; // "same", "valid" or "explicit"
  Pads pads{};
  bool bias = true;
  cnnc::Act act = cnnc::Act::Linear;

  std::string dsl(const std::string &name, const std::string &input = "") const {
    std::ostringstream s;
    s << name << " = conv2d(" << (input.empty() ? "" : input + ", ") << "filters=" << C
      << ", kernel=(" << kh << ", " << kw << "), stride=(" << sh << ", " << sw << "), dilation=("
      << dh << ", " << dw << "), groups=" << C << ", padding=";
    if (pad == "explicit")
      s << "(" << pads.top << ", " << pads.bottom << ", " << pads.left << ", " << pads.right << ")";
    else
      s << pad;
    s << ", use_bias=" << (bias ? "true" : "false") << ", activation=" << cnnc::actName(act) << ")";
    return s.str();
  }
  Array ref(const Array &x, const Weights &w, const std::string &name) const {
    const int spanH = ref::dilatedSpan(kh, dh), spanW = ref::dilatedSpan(kw, dw);
    const Pads p = pad == "same"       ? ref::samePads(x.shape[0], x.shape[1], spanH, spanW, sh, sw)
                   : pad == "explicit" ? pads
                                       : Pads{};
    const cnnc::Tensor *b = bias ? &w.at(name + ".bias") : nullptr;
    return ref::activate(ref::conv2d(x, w.at(name + ".weight"), b, sh, sw, p, C, dh, dw),
                         cnnc::ActFn::withDefaults(act));
  }
};

/// CheckModel.h's check with a forced register tile (Options::convTile).
void checkTile(const std::string &what, const cnnc::Shape &in, const std::string &stmt,
               const cnnc::test::RefFn &want, cnnc::ConvTile tile) {
  const std::string source = ref::modelSource(in, {stmt});
  std::mt19937 g((uint32_t)std::hash<std::string>{}(what));
  std::uniform_real_distribution<double> u(-1, 1);
  cnnc::Tensor input(in);
  for (int64_t i = 0; i < input.size(); ++i)
    input[i] = (float)u(g);
  for (auto [target, name] : cnnc::test::Targets) {
    INFO("target " << name << ", " << what << ", tile " << tile.vectors << " vectors x "
                   << tile.cols << " px\n"
                   << source);
    cnnc::Options opts;
    opts.target = target;
    opts.checkArena = true;
    opts.convTile = tile;
    cnnc::Model m = cnnc::Model::compileString(source, "test.cnn", opts);
    const Weights w = m.randomWeights(7);
    const Array expected = want(ref::fromTensor(input), w);
    cnnc::Tensor y = m.run(input);
    REQUIRE(y.shape() == expected.shape);
    const double tol = cnnc::test::Tolerance * std::max(1.0, ref::maxAbs(expected));
    CHECK(ref::maxAbsError(y, expected) <= tol);
  }
}

/// A random depthwise conv on an input of H x W x C; its padding leaves an output.
std::pair<cnnc::Shape, Dw> randomCase(Rng &rng) {
  Dw c{rng.coin(3) ? rng.pick(2, 20) : rng.pick(21, 70), rng.pick(1, 5), 0, rng.pick(1, 3)};
  c.kw = rng.coin() ? c.kh : rng.pick(1, 5);
  c.sw = rng.coin() ? c.sh : rng.pick(1, 3);
  c.dh = rng.coin(3) ? rng.pick(2, 3) : 1;
  c.dw = rng.coin(3) ? rng.pick(2, 3) : 1;
  c.pad = rng.coin(3) ? "valid" : rng.coin() ? "same" : "explicit";
  c.pads = {rng.pick(0, 3), rng.pick(0, 3), rng.pick(0, 4), rng.pick(0, 4)};
  c.bias = !rng.coin(4);
  c.act = rng.coin() ? cnnc::Act::Relu6 : cnnc::Act::Linear;
  const int spanH = ref::dilatedSpan(c.kh, c.dh), spanW = ref::dilatedSpan(c.kw, c.dw);
  const bool ex = c.pad == "explicit", same = c.pad == "same";
  const int H = std::max(rng.pick(1, 13), same ? 1 : spanH - (ex ? c.pads.top + c.pads.bottom : 0));
  const int W = std::max(rng.pick(1, 40), same ? 1 : spanW - (ex ? c.pads.left + c.pads.right : 0));
  return {{std::max(H, 1), std::max(W, 1), c.C}, c};
}

} // namespace

TEST_CASE("depthwise conv2d: random odd shapes on every target", "[kernels][depthwise]") {
  Rng rng(1602);
  for (int i = 0; i < 40; ++i) {
    auto [in, c] = randomCase(rng);
    cnnc::test::check("depthwise sweep #" + std::to_string(i), in, {c.dsl("d")},
                      [c = c](auto &x, auto &w) { return c.ref(x, w, "d"); });
  }
}

TEST_CASE("depthwise conv2d: forced tiles cover edge tiles and channel tail blocks",
          "[kernels][depthwise]") {
  Rng rng(1603);
  for (int i = 0; i < 24; ++i) {
    auto [in, c] = randomCase(rng);
    const cnnc::ConvTile tile{rng.pick(1, 3), 1, rng.pick(1, 9)};
    checkTile(
        "depthwise forced tile #" + std::to_string(i), in, c.dsl("d"),
        [c = c](auto &x, auto &w) { return c.ref(x, w, "d"); }, tile);
  }
}

TEST_CASE("depthwise conv2d: MobileNet's shapes and padding wider than the kernel",
          "[kernels][depthwise]") {
  const std::pair<cnnc::Shape, Dw> cfgs[] = {
      {{23, 57, 32}, {32, 3, 3, 1, 1, 1, 1, "same"}},                   // wide rows, 2 vectors
      {{21, 33, 70}, {70, 3, 3, 2, 2, 1, 1, "explicit", {0, 1, 0, 1}}}, // MobileNet's stride 2
      {{9, 9, 48}, {48, 3, 3, 2, 2, 1, 1, "explicit", {1, 1, 1, 1}}},
      {{7, 7, 100}, {100, 3, 3, 1, 1, 1, 1, "same"}},                            // 7 x 7 x 1024's
      {{6, 11, 17}, {17, 2, 3, 1, 1, 1, 1, "explicit", {3, 4, 5, 6}}},           // rows of padding
      {{5, 8, 9}, {9, 3, 2, 3, 2, 2, 3, "explicit", {4, 0, 0, 7}, false}},       // dilated, strided
      {{13, 31, 19}, {19, 5, 5, 1, 2, 1, 1, "same", {}, true, cnnc::Act::Relu}}, // 5 x 5
      {{1, 1, 33}, {33, 3, 3, 1, 1, 1, 1, "same"}},                              // one pixel
      {{4, 40, 3}, {3, 1, 7, 1, 1, 1, 1, "explicit", {0, 0, 3, 3}}},             // 1 x 7
  };
  int i = 0;
  for (const auto &[in, c] : cfgs)
    cnnc::test::check("depthwise shape #" + std::to_string(i++), in, {c.dsl("d")},
                      [c = c](auto &x, auto &w) { return c.ref(x, w, "d"); });
}

TEST_CASE("depthwise conv2d: inside a network with an unbordered input and a bordered output",
          "[kernels][depthwise]") {
  // pw -> dw (whose input had a border planned before) -> padded 3x3 conv (whose
  // input, the dw's output, has one) -> dw stride 2 with a fused residual-free relu6.
  const Dw dw1{24, 3, 3, 1, 1, 1, 1, "same", {}, true, cnnc::Act::Relu6},
      dw2{24, 3, 3, 2, 2, 1, 1, "explicit", {0, 1, 0, 1}};
  cnnc::test::check("pw dw conv dw", {15, 13, 5},
                    {"p = conv2d(x, filters=24, kernel=1)", dw1.dsl("d1"),
                     "c = conv2d(d1, filters=24, kernel=3, padding=1)", dw2.dsl("d2")},
                    [=](auto &x, auto &w) {
                      Array p = ref::conv2d(x, w.at("p.weight"), &w.at("p.bias"), 1, 1, {}, 1);
                      Array c = ref::conv2d(dw1.ref(p, w, "d1"), w.at("c.weight"), &w.at("c.bias"),
                                            1, 1, {1, 1, 1, 1}, 1);
                      return dw2.ref(c, w, "d2");
                    });
  // A fused residual: dw(x) + x, then relu.
  const Dw dw3{19, 3, 3, 1, 1, 1, 1, "same"};
  cnnc::test::check("dw residual", {9, 26, 19}, {dw3.dsl("d", "x"), "s = add(d, x)", "relu(s)"},
                    [=](auto &x, auto &w) {
                      return ref::activate(ref::add(dw3.ref(x, w, "d"), x),
                                           cnnc::ActFn{cnnc::Act::Relu});
                    });
}

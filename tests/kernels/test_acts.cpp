// tests/kernels/test_acts.cpp - hardsigmoid, hardswish, silu (and its alias
// swish), gelu (erf and tanh forms), elu and softplus: standalone, as conv2d
// and dense activation= (fused into the epilogue) and as a layer after them,
// on every target against tests/Reference.h (CheckModel.h's tolerance); their
// accuracy on a dense sweep against double precision (std::erf for gelu); NaN
// and infinities as PyTorch gives them.
//
// CNNC_ACT_ACCURACY=1 prints each function's measured max abs/rel error.
#include "../Reference.h"
#include "CheckModel.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using cnnc::ActFn;
using cnnc::test::check;
using cnnc::test::checkScaled;
using cnnc::test::Weights;
using ref::Array;

/// A layer statement and the function it is.
struct Fn {
  const char *stmt;
  ActFn f;
};
const ActFn GeluTanh{Act::Gelu, (float)cnnc::GeluForm::Tanh};
const Fn Fns[] = {{"hardsigmoid()", Act::HardSigmoid},
                  {"hardswish()", Act::HardSwish},
                  {"silu()", Act::Silu},
                  {"swish()", Act::Silu},
                  {"gelu()", Act::Gelu},
                  {"gelu(approximate=none)", Act::Gelu},
                  {"gelu(approximate=tanh)", GeluTanh},
                  {"elu()", {Act::Elu, 1.f}},
                  {"elu(alpha=0.3)", {Act::Elu, 0.3f}},
                  {"softplus()", Act::Softplus}};
/// What activation= takes of them: the defaults.
const char *const Names[] = {"hardsigmoid", "hardswish", "silu",    "swish",
                             "gelu",        "elu",       "softplus"};

ActFn byName(const char *name) { return ActFn::withDefaults(*cnnc::parseAct(name)); }

cnnc::Model vectorModel(const std::string &stmt, int64_t n, cnnc::Target t) {
  cnnc::Options o;
  o.target = t;
  return cnnc::Model::compileString(ref::modelSource({n}, {stmt}), "acts.cnn", o);
}

} // namespace

TEST_CASE("new activations standalone on odd-sized tensors", "[kernels][activation]") {
  int i = 0;
  for (const Fn &fn : Fns)
    for (cnnc::Shape s : {cnnc::Shape{1, 1, 1}, {3, 5, 7}, {2, 9, 33}, {37}}) {
      const std::string what = std::string(fn.stmt) + " #" + std::to_string(i++);
      checkScaled(6.0, what, s, {fn.stmt},
                  [f = fn.f](auto &x, auto &w) { return ref::activate(x, f); });
    }
  // softplus's threshold (20) and the tails of the others.
  for (const Fn &fn : Fns)
    checkScaled(40.0, std::string(fn.stmt) + " on +-40", {5, 7, 19}, {fn.stmt},
                [f = fn.f](auto &x, auto &w) { return ref::activate(x, f); });
}

TEST_CASE("new activations fused into conv2d and dense by activation= and as a layer",
          "[kernels][activation]") {
  for (const char *name : Names) {
    const ActFn f = byName(name);
    const std::string n = name;
    checkScaled(2.0, "conv2d activation=" + n, {6, 7, 5},
                {"c = conv2d(filters=17, kernel=3, padding=same, activation=" + n + ")"},
                [=](auto &x, auto &w) {
                  Array y = ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1,
                                        ref::samePads(6, 7, 3, 3, 1, 1));
                  return ref::activate(y, f);
                });
    checkScaled(2.0, "dense activation=" + n, {30}, {"d = dense(units=19, activation=" + n + ")"},
                [=](auto &x, auto &w) {
                  return ref::activate(ref::dense(x, w.at("d.weight"), &w.at("d.bias")), f);
                });
  }
  for (const Fn &fn : Fns) {
    const std::string n = fn.stmt;
    check("conv2d then " + n, {5, 6, 4}, {"c = conv2d(filters=9, kernel=3)", n},
          [f = fn.f](auto &x, auto &w) {
            return ref::activate(ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1, {}), f);
          });
    check("dense then " + n, {25}, {"d = dense(units=17)", n}, [f = fn.f](auto &x, auto &w) {
      return ref::activate(ref::dense(x, w.at("d.weight"), &w.at("d.bias")), f);
    });
  }
}

// A fused max pool takes each window's maximum after the activation, which
// matters for the non-monotonic ones.
TEST_CASE("non-monotonic activations fused with a max pool into conv2d", "[kernels][activation]") {
  for (const Fn &fn : Fns)
    checkScaled(2.0, std::string("conv2d ") + fn.stmt + " maxpool2d", {8, 10, 3},
                {"c = conv2d(filters=16, kernel=3, padding=same)", fn.stmt, "maxpool2d(size=2)"},
                [f = fn.f](auto &x, auto &w) {
                  Array y = ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1,
                                        ref::samePads(8, 10, 3, 3, 1, 1));
                  return ref::pool2d(ref::activate(y, f), true, 2, 2, 2, 2, {});
                });
}

// Every float step of 1/4096 in [-16, 16], and powers of 1.01 from 1e-30 to
// 1e4 of both signs: the relative error where |result| >= 1e-30 (below that
// exp's range ends, at -87.3 and 88.4, flush results to 0 a little early), the
// absolute error everywhere (against the double-precision definition).
TEST_CASE("new activations: accuracy on a dense sweep", "[kernels][activation]") {
  std::vector<float> xs;
  for (int i = -16 * 4096; i <= 16 * 4096; ++i)
    xs.push_back((float)i / 4096);
  for (double v = 1e-30; v < 1e4; v *= 1.01)
    xs.push_back((float)v), xs.push_back(-(float)v);
  const int64_t n = (int64_t)xs.size();
  const bool print = std::getenv("CNNC_ACT_ACCURACY") != nullptr;
  for (const Fn &fn : Fns)
    for (auto [target, tname] : cnnc::test::Targets) {
      INFO(fn.stmt << " on " << tname);
      cnnc::Tensor y = vectorModel(fn.stmt, n, target).run(cnnc::Tensor({n}, xs));
      double maxAbs = 0, maxRel = 0, erfErr = 0, worst = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double x = xs[(size_t)i], want = ref::activate(x, fn.f), got = y[i];
        const double abs = std::fabs(got - want);
        maxAbs = std::max(maxAbs, abs);
        if (std::fabs(want) >= 1e-30) // below, results reach exp's range ends and flush to 0
          if (abs / std::fabs(want) > maxRel)
            maxRel = abs / std::fabs(want), worst = x;
        if (fn.f == ActFn(Act::Gelu) && std::fabs(x) >= 1e-3) // erf(x/sqrt 2) = 2 gelu / x - 1
          erfErr = std::max(erfErr, std::fabs(2 * got / x - 1 - std::erf(x / std::sqrt(2.0))));
      }
      if (print)
        std::printf("%-24s %-8s max abs %.3g, max rel %.3g at %.9g, erf abs %.3g\n", fn.stmt, tname,
                    maxAbs, maxRel, worst, erfErr);
      // gelu's exponents reach -87 in float: erfc's -x^2/2 is exact only where
      // fmuladd fuses (else 3.9e-6), the tanh form's 2u is not (1e-5 at x = -9).
      CHECK(maxRel <= (fn.f == Act::Gelu ? 2e-5 : 1e-6));
      CHECK(erfErr <= 1e-6);
    }
}

// PyTorch (float32): the NaN stays NaN; x * f(x) forms give NaN at -inf
// (-inf * 0), as torch's hardswish, silu and gelu do.
TEST_CASE("new activations: NaN and infinities as in PyTorch", "[kernels][activation]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  const std::vector<float> in = {nan, -inf, inf, -0.f, 0.f};
  struct Want {
    const char *stmt;
    ActFn f;
    float minusInf, plusInf;
  };
  const Want wants[] = {{"hardsigmoid()", Act::HardSigmoid, 0.f, 1.f},
                        {"hardswish()", Act::HardSwish, nan, inf},
                        {"silu()", Act::Silu, nan, inf},
                        {"gelu()", Act::Gelu, nan, inf},
                        {"gelu(approximate=tanh)", GeluTanh, nan, inf},
                        {"elu(alpha=0.5)", {Act::Elu, 0.5f}, -0.5f, inf},
                        {"softplus()", Act::Softplus, 0.f, inf}};
  auto same = [](float a, float b) { return std::isnan(a) ? std::isnan(b) : a == b; };
  for (const Want &w : wants)
    for (auto [target, tname] : cnnc::test::Targets) {
      INFO(w.stmt << " on " << tname);
      cnnc::Tensor y = vectorModel(w.stmt, 5, target).run(cnnc::Tensor({5}, in));
      CHECK(std::isnan(y[0]));
      INFO("-inf gives " << y[1] << ", inf gives " << y[2]);
      CHECK(same(w.minusInf, y[1]));
      CHECK(same(w.plusInf, y[2]));
      for (int i : {3, 4})
        CHECK(std::fabs(y[i] - ref::activate(0.0, w.f)) <= 1e-7);
    }
}

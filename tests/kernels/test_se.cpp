// tests/kernels/test_se.cpp - squeeze-and-excitation: mul(image, gate) whose
// only reader is an ungrouped conv becomes that conv's prologue (its weights
// scaled per input channel, ConvAttrs::scaled; tests/passes/ir/fuse_scale.ir
// pins the rewrite). Checked against the double reference on every target:
// 1x1 and padded 3x3 consumers (the latter would be Winograd unscaled),
// stride 2, a residual add and a max pool fused as well, odd channel counts,
// the gate first or second, a mul with two readers (then not fused), and
// torchvision's form: globalavgpool2d(keepdims=true) and 1x1 convs, a
// [1, 1, C] gate.
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using ref::Array;
using Weights = cnnc::WeightMap;
using cnnc::test::check;

/// The gate of channel count C: sigmoid(dense(silu(dense(gap(h))))).
std::vector<std::string> gate(int C) {
  return {"g = globalavgpool2d(h)", "s1 = dense(g, units=6, activation=silu)",
          "s2 = dense(s1, units=" + std::to_string(C) + ", activation=sigmoid)"};
}
Array gateRef(const Array &h, const Weights &w) {
  Array s1 = ref::activate(ref::dense(ref::globalAvgPool(h), w.at("s1.weight"), &w.at("s1.bias")),
                           {Act::Silu});
  return ref::activate(ref::dense(s1, w.at("s2.weight"), &w.at("s2.bias")), {Act::Sigmoid});
}
using ref::convLayer;

} // namespace

TEST_CASE("squeeze-and-excitation mul fused into the next conv", "[kernels][se]") {
  struct Case {
    cnnc::Shape in;
    int C, k, stride, F;
    bool swap, residual;
  };
  const Case cases[] = {
      {{7, 9, 5}, 20, 1, 1, 5, false, true},    // MBConv: expand, dw, SE, project + x
      {{6, 6, 16}, 7, 1, 1, 33, true, false},   // gate first, a vector tail
      {{9, 8, 24}, 24, 3, 1, 24, false, false}, // 3x3 same: Winograd if unscaled
      {{11, 7, 3}, 18, 3, 2, 17, true, false},  // stride 2
  };
  for (const Case &c : cases) {
    const std::string C = std::to_string(c.C), F = std::to_string(c.F);
    const std::string k = std::to_string(c.k), st = std::to_string(c.stride);
    std::vector<std::string> stmts = {"h = conv2d(x, filters=" + C +
                                      ", kernel=3, padding=same, activation=relu)"};
    for (const std::string &s : gate(c.C))
      stmts.push_back(s);
    stmts.push_back(c.swap ? "m = mul(s2, h)" : "m = mul(h, s2)");
    stmts.push_back("p = conv2d(m, filters=" + F + ", kernel=" + k + ", stride=" + st +
                    ", padding=same)");
    if (c.residual)
      stmts.push_back("y = add(p, x)");
    const std::string what = "se into conv" + k + " stride " + st + " C " + C + " F " + F +
                             (c.swap ? " gate first" : "") + (c.residual ? " residual" : "");
    check(what, c.in, stmts, [=](const Array &x, const Weights &w) {
      Array h = ref::activate(convLayer(x, w, "h", 3, 1), {Act::Relu});
      Array g = gateRef(h, w);
      Array p = convLayer(c.swap ? ref::mul(g, h) : ref::mul(h, g), w, "p", c.k, c.stride);
      return c.residual ? ref::add(p, x) : p;
    });
  }
}

TEST_CASE("squeeze-and-excitation mul with a fused max pool or two readers", "[kernels][se]") {
  std::vector<std::string> stmts = {"h = conv2d(x, filters=13, kernel=1)"};
  for (const std::string &s : gate(13))
    stmts.push_back(s);
  stmts.push_back("m = mul(h, s2)");
  stmts.push_back("p = conv2d(m, filters=19, kernel=3, padding=same, activation=relu)");
  check(
      "se then conv and maxpool", {8, 6, 10},
      [&] {
        auto v = stmts;
        v.push_back("maxpool2d(p, size=2)");
        return v;
      }(),
      [](const Array &x, const Weights &w) {
        Array h = convLayer(x, w, "h", 1, 1);
        Array p = ref::activate(convLayer(ref::mul(h, gateRef(h, w)), w, "p", 3, 1), {Act::Relu});
        return ref::pool2d(p, ref::PoolKind::Max, 2, 2, 2, 2, {});
      });
  // m is read twice: it is stored, and neither conv takes the mul.
  check(
      "se mul with two readers", {5, 7, 9},
      [&] {
        auto v = stmts;
        v.push_back("q = conv2d(m, filters=19, kernel=1)");
        v.push_back("add(p, q)");
        return v;
      }(),
      [](const Array &x, const Weights &w) {
        Array h = convLayer(x, w, "h", 1, 1);
        Array m = ref::mul(h, gateRef(h, w));
        return ref::add(ref::activate(convLayer(m, w, "p", 3, 1), {Act::Relu}),
                        convLayer(m, w, "q", 1, 1));
      });
}

TEST_CASE("squeeze-and-excitation as torchvision writes it: 1x1 convs on a 1x1xC gate",
          "[kernels][se]") {
  for (bool max : {false, true}) {
    const std::string pool = max ? "globalmaxpool2d" : "globalavgpool2d";
    check("torchvision se " + pool, {9, 7, 21},
          {"g = " + pool + "(x, keepdims=true)",
           "f1 = conv2d(g, filters=5, kernel=1, activation=silu)",
           "f2 = conv2d(f1, filters=21, kernel=1, activation=hardsigmoid)", "m = mul(x, f2)",
           "p = conv2d(m, filters=11, kernel=1)"},
          [=](const Array &x, const Weights &w) {
            Array g = max ? ref::globalMaxPool(x) : ref::globalAvgPool(x);
            g.shape = {1, 1, g.shape[0]};
            Array f1 = ref::activate(convLayer(g, w, "f1", 1, 1), {Act::Silu});
            Array f2 = ref::activate(convLayer(f1, w, "f2", 1, 1), {Act::HardSigmoid});
            return convLayer(ref::mul(x, f2), w, "p", 1, 1);
          });
  }
}

// tests/kernels/test_conv_transpose.cpp - conv2d_transpose (PyTorch's
// ConvTranspose2d) against ref::convTranspose2d on every target: strides
// 1..3 and unequal ones, kernels shorter and longer than the stride, 'same',
// numeric and asymmetric padding, output_padding, dilation, groups, odd sizes
// and channel counts that are not multiples of the vector width, forced tiles
// (every row and column tail of the phases), a folded batchnorm and the
// bordered buffers between it and padded convs.
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

#include <random>
#include <sstream>

namespace {

namespace ref = cnnc::ref;
using cnnc::test::check;

std::string pairStr(int a, int b) {
  return "(" + std::to_string(a) + ", " + std::to_string(b) + ")";
}

struct Case {
  cnnc::Shape in;
  int filters;
  int kh, kw, sh = 1, sw = 1;
  std::string padding = "valid"; // valid, same, or "(t, b, l, r)"
  ref::Pads pads = {};           // with numeric padding
  int oph = 0, opw = 0, dh = 1, dw = 1, groups = 1;
  std::string act = "linear";
  bool bias = true;

  std::string dsl() const {
    std::ostringstream s;
    s << "y = conv2d_transpose(filters=" << filters << ", kernel=" << pairStr(kh, kw)
      << ", stride=" << pairStr(sh, sw) << ", padding=" << padding;
    if (oph || opw)
      s << ", output_padding=" << pairStr(oph, opw);
    if (dh != 1 || dw != 1)
      s << ", dilation=" << pairStr(dh, dw);
    if (groups != 1)
      s << ", groups=" << groups;
    if (!bias)
      s << ", use_bias=false";
    return s.str() + ", activation=" + act + ")";
  }
  ref::Array want(const ref::Array &x, const cnnc::WeightMap &w) const {
    ref::TransposeAxis ty{pads.top, pads.bottom, oph}, tx{pads.left, pads.right, opw};
    if (padding == "same")
      ty = ref::transposeSame(kh, sh, dh), tx = ref::transposeSame(kw, sw, dw);
    ref::Array y = ref::convTranspose2d(x, w.at("y.weight"), bias ? &w.at("y.bias") : nullptr, sh,
                                        sw, ty, tx, groups, dh, dw);
    return ref::activate(y, cnnc::ActFn::withDefaults(*cnnc::parseAct(act)));
  }
  void run() const {
    const Case c = *this;
    check(dsl(), in, {dsl()},
          [c](const ref::Array &x, const cnnc::WeightMap &w) { return c.want(x, w); });
  }
};

TEST_CASE("conv2d_transpose 2x2 stride 2 (U-Net) and 3x3 and 4x4 stride 2",
          "[kernels][conv_transpose]") {
  Case{{5, 7, 17}, 19, 2, 2, 2, 2}.run();
  Case{{6, 4, 32}, 32, 2, 2, 2, 2, "valid", {}, 0, 0, 1, 1, 1, "relu"}.run();
  Case{{5, 7, 3}, 33, 3, 3, 2, 2}.run();
  Case{{5, 7, 9}, 11, 3, 3, 2, 2, "(1, 1, 1, 1)", {1, 1, 1, 1}, 1, 1}.run(); // 2x exactly
  Case{{4, 5, 16}, 24, 4, 4, 2, 2, "(1, 1, 1, 1)", {1, 1, 1, 1}}.run();
  Case{{1, 1, 5}, 7, 3, 3, 2, 2}.run(); // one input pixel
}

TEST_CASE("conv2d_transpose padding same (Keras) with kernels longer and shorter than the stride",
          "[kernels][conv_transpose]") {
  Case{{5, 7, 6}, 10, 3, 3, 2, 2, "same"}.run(); // crop 1: the odd row at the bottom
  Case{{5, 7, 6}, 10, 4, 4, 2, 2, "same"}.run();
  Case{{5, 6, 6}, 10, 5, 2, 3, 2, "same"}.run();
  Case{{5, 7, 4}, 9, 1, 1, 2, 3, "same"}.run(); // kernel shorter than the stride: bias rows
  Case{{4, 5, 5}, 8, 3, 3, 1, 1, "same"}.run();
  Case{{4, 5, 5}, 8, 3, 2, 2, 2, "same", {}, 0, 0, 2, 3}.run(); // dilated span 5 x 4
}

TEST_CASE("conv2d_transpose strides and dilations with common factors and output_padding",
          "[kernels][conv_transpose]") {
  Case{{4, 5, 7}, 5, 3, 3, 1, 1}.run();                          // stride 1: a full correlation
  Case{{4, 5, 7}, 5, 3, 2, 3, 2}.run();                          // phases without taps
  Case{{4, 5, 7}, 5, 3, 3, 2, 2, "valid", {}, 0, 0, 2, 2}.run(); // gcd(s, d) = 2
  Case{{4, 5, 7}, 5, 3, 3, 4, 3, "valid", {}, 0, 0, 2, 3}.run(); // gcd 2 and 3
  Case{{4, 5, 7}, 5, 3, 3, 3, 2, "valid", {}, 2, 1}.run();       // output_padding < stride
  Case{{4, 5, 7}, 5, 2, 3, 1, 1, "valid", {}, 1, 2, 2, 3}.run(); // output_padding < dilation
}

TEST_CASE("conv2d_transpose numeric and asymmetric padding", "[kernels][conv_transpose]") {
  Case{{5, 6, 7}, 9, 3, 3, 2, 2, "(0, 2, 1, 0)", {0, 2, 1, 0}}.run();
  Case{{5, 6, 7}, 9, 3, 3, 2, 2, "(2, 0, 0, 2)", {2, 0, 0, 2}, 1, 1}.run();
  Case{{5, 6, 7}, 9, 2, 2, 2, 2, "(3, 3, 2, 4)", {3, 3, 2, 4}}.run(); // crops past the kernel
  Case{{6, 6, 3}, 4, 5, 5, 3, 3, "(4, 1, 2, 6)", {4, 1, 2, 6}, 2, 0, 1, 1, 1, "tanh"}.run();
}

TEST_CASE("conv2d_transpose groups and depthwise and no bias and activations",
          "[kernels][conv_transpose]") {
  Case{{5, 6, 6}, 9, 3, 3, 2, 2, "valid", {}, 0, 0, 1, 1, 3}.run();
  Case{{5, 6, 34}, 34, 2, 2, 2, 2, "valid", {}, 0, 0, 1, 1, 2}.run();
  Case{{5, 6, 20}, 20, 3, 3, 2, 2, "same", {}, 0, 0, 1, 1, 20}.run(); // depthwise
  Case{{5, 6, 8}, 40, 3, 3, 2, 1, "same", {}, 0, 0, 1, 1, 4, "gelu", false}.run();
  Case{{5, 6, 8}, 13, 2, 2, 2, 2, "valid", {}, 0, 0, 1, 1, 1, "sigmoid", false}.run();
}

TEST_CASE("conv2d_transpose forced tiles cover every row and column tail of the phases",
          "[kernels][conv_transpose]") {
  const Case cases[] = {{{7, 9, 5}, 20, 3, 3, 2, 2},
                        {{6, 11, 12}, 40, 2, 3, 3, 2, "(1, 0, 0, 2)", {1, 0, 0, 2}, 1, 1},
                        {{5, 5, 9}, 64, 4, 4, 2, 2, "same"}};
  const cnnc::ConvTile tiles[] = {{1, 1, 1}, {1, 2, 3}, {2, 3, 2}, {1, 4, 5}, {4, 1, 4}};
  for (const Case &c : cases)
    for (const cnnc::ConvTile &t : tiles)
      for (auto [target, name] : cnnc::test::Targets) {
        INFO(c.dsl() << " tile " << t.vectors << "x" << t.rows << "x" << t.cols << " on " << name);
        cnnc::Options opts;
        opts.target = target;
        opts.convTile = t;
        opts.checkArena = true;
        cnnc::Model m =
            cnnc::Model::compileString(ref::modelSource(c.in, {c.dsl()}), "t.cnn", opts);
        const cnnc::WeightMap w = m.randomWeights(3);
        cnnc::Tensor x(c.in);
        std::mt19937 gen(4);
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        for (int64_t i = 0; i < x.size(); ++i)
          x[i] = u(gen);
        ref::Array want = c.want(ref::fromTensor(x), w);
        cnnc::Tensor y = m.run(x);
        REQUIRE(y.shape() == want.shape);
        CHECK(ref::maxAbsError(y, want) <= 1e-4 * std::max(1.0, ref::maxAbs(want)));
      }
}

TEST_CASE("conv2d_transpose between padded convs with a folded batchnorm",
          "[kernels][conv_transpose]") {
  check("conv, conv2d_transpose, batchnorm, conv", {6, 5, 4},
        {"c = conv2d(filters=12, kernel=3, padding=same)",
         "t = conv2d_transpose(c, filters=10, kernel=3, stride=2, padding=same)",
         "b = batchnorm(t)", "r = relu(b)", "d = conv2d(r, filters=5, kernel=3, padding=1)"},
        [](const ref::Array &x, const cnnc::WeightMap &w) {
          ref::Array c = ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1,
                                     ref::samePads(6, 5, 3, 3, 1, 1));
          ref::TransposeAxis same = ref::transposeSame(3, 2, 1);
          ref::Array t =
              ref::convTranspose2d(c, w.at("t.weight"), &w.at("t.bias"), 2, 2, same, same);
          ref::Array b =
              ref::activate(ref::batchnorm(t, w.at("b.weight"), w.at("b.bias"),
                                           w.at("b.running_mean"), w.at("b.running_var"), 1e-3),
                            cnnc::Act::Relu);
          return ref::conv2d(b, w.at("d.weight"), &w.at("d.bias"), 1, 1, {1, 1, 1, 1});
        });
}

TEST_CASE("conv2d_transpose into conv2d_transpose writes the reader's zero border",
          "[kernels][conv_transpose]") {
  check("two transposed convs", {6, 5, 8},
        {"t = conv2d_transpose(filters=10, kernel=3, stride=2, padding=same, groups=2)",
         "u = conv2d_transpose(t, filters=4, kernel=(2, 3), stride=(2, 1), padding=(1, 0, 0, 1), "
         "output_padding=(1, 0), dilation=(1, 2), use_bias=false, activation=elu)"},
        [](const ref::Array &x, const cnnc::WeightMap &w) {
          ref::TransposeAxis same = ref::transposeSame(3, 2, 1);
          ref::Array t =
              ref::convTranspose2d(x, w.at("t.weight"), &w.at("t.bias"), 2, 2, same, same, 2);
          ref::Array u = ref::convTranspose2d(t, w.at("u.weight"), nullptr, 2, 1, {1, 0, 1},
                                              {0, 1, 0}, 1, 1, 2);
          return ref::activate(u, cnnc::ActFn::withDefaults(cnnc::Act::Elu));
        });
}

} // namespace

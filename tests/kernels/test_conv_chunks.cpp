// tests/kernels/test_conv_chunks.cpp - a direct conv whose channel block's
// weights outweigh L2 splits its reduction into chunks of input channels,
// adding partial sums in the output (codegen/Conv.cpp, "chunks" in the
// plan): FCN's 3x3 over 2048 channels. Checked against the double reference
// on every target with the epilogue's parts that must wait for the last
// chunk (bias, a fused residual add, an activation), a squeeze-and-excitation
// scale on the input channels, stride, dilation and odd channel counts.
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using ref::Array;
using Weights = cnnc::WeightMap;
using cnnc::test::check;

using ref::convLayer;

} // namespace

TEST_CASE("conv2d: wide reductions run in chunks of input channels", "[kernels][conv][chunks]") {
  // 3x3 over 3700 channels: an 8-channel block's weights are 1.07 MB (chunked on every target).
  check("chunked 3x3 residual relu", {4, 5, 3700},
        {"r = conv2d(x, filters=40, kernel=1)", "p = conv2d(x, filters=40, kernel=3, padding=same)",
         "y = add(p, r)", "relu(y)"},
        [](const Array &x, const Weights &w) {
          return ref::activate(ref::add(convLayer(x, w, "p", 3, 1), convLayer(x, w, "r", 1, 1)),
                               {Act::Relu});
        });
  check("chunked 3x3 stride 2 dilation 2 tanh", {9, 7, 1801},
        {"p = conv2d(x, filters=19, kernel=3, stride=2, dilation=2, padding=same, "
         "activation=tanh)"},
        [](const Array &x, const Weights &w) {
          return ref::activate(convLayer(x, w, "p", 3, 2, 2), {Act::Tanh});
        });
}

TEST_CASE("conv2d: a chunked reduction with a squeeze-and-excitation scale",
          "[kernels][conv][chunks]") {
  check("chunked 3x3 scaled by a gate", {4, 5, 2050},
        {"g = globalavgpool2d(x)", "s = dense(g, units=2050, activation=sigmoid)", "m = mul(x, s)",
         "p = conv2d(m, filters=33, kernel=3, padding=same)"},
        [](const Array &x, const Weights &w) {
          Array s = ref::activate(
              ref::dense(ref::globalAvgPool(x), w.at("s.weight"), &w.at("s.bias")), {Act::Sigmoid});
          return convLayer(ref::mul(x, s), w, "p", 3, 1);
        });
}

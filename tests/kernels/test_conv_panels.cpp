// tests/kernels/test_conv_panels.cpp - direct convs whose weights and input
// both outgrow L2 run each channel block over a panel of row tiles (at most
// 1 MB of input rows) before the next block, panel after panel
// (codegen/Conv.cpp, "panels" in the plan). Checked against the double
// reference on every target, with a last panel shorter than the others,
// stride 2, an output channel count that is not a multiple of the vector
// width, and two threads splitting the items (bit for bit with one).
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

#include <cstring>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using ref::Array;
using Weights = cnnc::WeightMap;
using cnnc::test::check;
using cnnc::test::planOf;

cnnc::Model compile(const cnnc::Shape &in, const std::vector<std::string> &stmts, int threads) {
  cnnc::Options opts;
  opts.threads = threads;
  cnnc::Model m = cnnc::Model::compileString(ref::modelSource(in, stmts), "test.cnn", opts);
  m.loadWeights(m.randomWeights(7));
  return m;
}

} // namespace

TEST_CASE("conv2d: a block runs over a panel of row tiles when weights and input outgrow L2",
          "[kernels][conv]") {
  // 1 MB of weights, 31 rows of 61 KB: two panels, the second one shorter.
  const std::vector<std::string> pw = {"p = conv2d(x, filters=512, kernel=1, activation=relu)"};
  CHECK(planOf({31, 30, 512}, pw, "p").find("2 panels") != std::string::npos);
  check("panels: 1x1 512 -> 512 relu, 31 rows", {31, 30, 512}, pw,
        [](const Array &x, const Weights &w) {
          return ref::activate(convLayer(x, w, "p", 1, 1), {Act::Relu});
        });
  // 2.8 MB of weights, stride 2, 300 output channels (a masked last vector).
  const std::vector<std::string> strided = {
      "p = conv2d(x, filters=300, kernel=3, stride=2, padding=same)"};
  CHECK(planOf({42, 38, 256}, strided, "p").find("panels") != std::string::npos);
  check("panels: 3x3 stride 2, 256 -> 300", {42, 38, 256}, strided,
        [](const Array &x, const Weights &w) { return ref::convLayer(x, w, "p", 3, 2); });
}

TEST_CASE("conv2d: two threads split a paneled conv's items as one thread runs them",
          "[kernels][conv][threads]") {
  const std::vector<std::string> pw = {"p = conv2d(x, filters=512, kernel=1, activation=relu)"};
  const cnnc::Shape in = {31, 30, 512};
  cnnc::Tensor x(in);
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = (float)((i * 7919) % 2001) / 1000.0f - 1.0f;
  cnnc::Tensor one = compile(in, pw, 1).run(x), two = compile(in, pw, 2).run(x);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}

// tests/kernels/test_winograd4.cpp - Winograd's F(4x4, 3x3) (codegen/Winograd.cpp:
// 4x4 output tiles from 6x6 input patches, "winograd 4x4" in the plan), taken
// by 3x3 convs without a fused pool that make at least 32 such tiles (over a
// dilated conv's phases), with at most 2048 input channels when U is over
// 8 MB. Checked against the double reference on every target: output (and
// phase) sizes of every remainder mod 4 (the last tiles' rows and columns
// past the output are not stored, their patches read clamped input), channel
// counts that are not multiples of the vector width, valid and same padding,
// a residual, one F(4x4) conv writing the next one's bordered input,
// dilations 2 and 3, and a large U in chunks of input channels.
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

bool allF4(const cnnc::Shape &in, const std::vector<std::string> &stmts) {
  int f4 = 0;
  for (const cnnc::KernelProfile &k : cnnc::test::kernelsOf(in, stmts))
    f4 += k.plan.rfind("winograd 4x4", 0) == 0;
  return f4 == (int)std::count_if(stmts.begin(), stmts.end(), [](const std::string &s) {
           return s.find("kernel=3") != std::string::npos;
         });
}

Array valid3x3(const Array &x, const Weights &w, const std::string &name) {
  return ref::conv2d(x, w.at(name + ".weight"), &w.at(name + ".bias"), 1, 1, ref::Pads{});
}

} // namespace

TEST_CASE("conv2d: Winograd F(4x4 3x3) on every output size mod 4", "[kernels][conv][winograd]") {
  // 23 x 30: remainders 3 and 2; 35 output channels (a masked last vector).
  const std::vector<std::string> same = {
      "p = conv2d(x, filters=35, kernel=3, padding=same, activation=relu)"};
  CHECK(allF4({23, 30, 20}, same));
  check("F(4x4): 23x30, 20 -> 35 relu", {23, 30, 20}, same, [](const Array &x, const Weights &w) {
    return ref::activate(convLayer(x, w, "p", 3, 1), {Act::Relu});
  });
  // Valid: 25 x 21 out, remainders 1 and 1.
  const std::vector<std::string> valid = {"p = conv2d(x, filters=17, kernel=3)"};
  CHECK(allF4({27, 23, 16}, valid));
  check("F(4x4): valid, 25x21 out", {27, 23, 16}, valid,
        [](const Array &x, const Weights &w) { return valid3x3(x, w, "p"); });
  // 26 x 27: remainders 2 and 3, a residual and tanh.
  const std::vector<std::string> residual = {"r = conv2d(x, filters=24, kernel=1)",
                                             "p = conv2d(x, filters=24, kernel=3, padding=same)",
                                             "y = add(p, r)", "tanh(y)"};
  CHECK(allF4({26, 27, 40}, residual));
  check("F(4x4): 26x27, residual tanh", {26, 27, 40}, residual,
        [](const Array &x, const Weights &w) {
          return ref::activate(ref::add(convLayer(x, w, "p", 3, 1), convLayer(x, w, "r", 1, 1)),
                               {Act::Tanh});
        });
}

TEST_CASE("conv2d: an F(4x4 3x3) conv writes the next one's bordered input",
          "[kernels][conv][winograd]") {
  const std::vector<std::string> chain = {
      "a = conv2d(x, filters=48, kernel=3, padding=same, activation=relu)",
      "b = conv2d(a, filters=32, kernel=3, padding=same)"};
  CHECK(allF4({24, 24, 32}, chain));
  check("F(4x4): two in a row, 24x24", {24, 24, 32}, chain, [](const Array &x, const Weights &w) {
    return convLayer(ref::activate(convLayer(x, w, "a", 3, 1), {Act::Relu}), w, "b", 3, 1);
  });
}

TEST_CASE("conv2d: Winograd F(4x4 3x3) over a dilated conv's phases and with a large U",
          "[kernels][conv][winograd][dilation]") {
  // Dilation 2: four 17 x 15 phases (remainders 1 and 3).
  const std::vector<std::string> d2 = {
      "p = conv2d(x, filters=20, kernel=3, dilation=2, padding=same)"};
  CHECK(allF4({34, 30, 24}, d2));
  check("F(4x4): dilation 2, 34x30", {34, 30, 24}, d2,
        [](const Array &x, const Weights &w) { return convLayer(x, w, "p", 3, 1, 2); });
  // Dilation 3: nine 9 x 11 phases.
  const std::vector<std::string> d3 = {
      "p = conv2d(x, filters=16, kernel=3, dilation=3, padding=same, activation=relu)"};
  CHECK(allF4({27, 33, 16}, d3));
  check("F(4x4): dilation 3, 27x33", {27, 33, 16}, d3, [](const Array &x, const Weights &w) {
    return ref::activate(convLayer(x, w, "p", 3, 1, 3), {Act::Relu});
  });
  // U of 36 x 260 x 256 floats (9.6 MB): chunks of 512 input channels.
  const std::vector<std::string> large = {"p = conv2d(x, filters=250, kernel=3, padding=same)"};
  CHECK(allF4({25, 23, 260}, large));
  CHECK(cnnc::test::planOf({25, 23, 260}, large, "p").find("ic chunks") != std::string::npos);
  check("F(4x4): large U, 25x23, 260 -> 250", {25, 23, 260}, large,
        [](const Array &x, const Weights &w) { return convLayer(x, w, "p", 3, 1); });
  // U of 36 x 1030 x 64 floats (9.5 MB) and 1030 input channels (FCN's head has 2048).
  const std::vector<std::string> deep = {"p = conv2d(x, filters=60, kernel=3, padding=same)"};
  CHECK(allF4({24, 22, 1030}, deep));
  check("F(4x4): large U, 1030 input channels", {24, 22, 1030}, deep,
        [](const Array &x, const Weights &w) { return convLayer(x, w, "p", 3, 1); });
}

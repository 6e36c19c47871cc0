// tests/kernels/test_winograd_large.cpp - Winograd with a large U (16 x IC
// x OC floats over 8 MB, "ic chunks" in the plan): the GEMMs run in chunks
// of 512 input channels, adding to M, over all of a work item's channel
// blocks (codegen/Winograd.cpp): FCN's head, 3x3 over 2048 channels. Checked
// against the double reference on every target with odd sizes, channel
// counts that are not multiples of the vector width or of the chunk, a
// residual, a fused pool, dilation, and more tiles than one work item holds.
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using ref::Array;
using Weights = cnnc::WeightMap;
using cnnc::test::check;
using cnnc::test::planOf;

using ref::convLayer;

} // namespace

TEST_CASE("conv2d: Winograd with a large U runs its GEMMs in chunks of input channels",
          "[kernels][conv][winograd]") {
  const std::vector<std::string> odd = {"p = conv2d(x, filters=250, kernel=3, padding=same)",
                                        "relu(p)"};
  CHECK(planOf({13, 11, 600}, odd, "p").find("ic chunks") != std::string::npos);
  check("large U: 3x3 600 -> 250 relu, odd size", {13, 11, 600}, odd,
        [](const Array &x, const Weights &w) {
          return ref::activate(convLayer(x, w, "p", 3, 1), {Act::Relu});
        });
  // 130 tiles of 4100 channels: 9 chunks, and two work items of tiles (at
  // most 32 MB of V each).
  const std::vector<std::string> runs = {"r = conv2d(x, filters=33, kernel=1)",
                                         "p = conv2d(x, filters=33, kernel=3, padding=same)",
                                         "y = add(p, r)", "tanh(y)"};
  CHECK(planOf({20, 26, 4100}, runs, "p").find("ic chunks") != std::string::npos);
  check("large U: two runs of tiles, residual tanh", {20, 26, 4100}, runs,
        [](const Array &x, const Weights &w) {
          return ref::activate(ref::add(convLayer(x, w, "p", 3, 1), convLayer(x, w, "r", 1, 1)),
                               {Act::Tanh});
        });
}

TEST_CASE("conv2d: Winograd with a large U and a fused pool or dilation",
          "[kernels][conv][winograd][dilation]") {
  const std::vector<std::string> pooled = {
      "p = conv2d(x, filters=270, kernel=3, padding=same, activation=relu)",
      "maxpool2d(p, size=2, stride=2)"};
  CHECK(planOf({15, 14, 530}, pooled, "p").find("ic chunks") != std::string::npos);
  check("large U: fused 2x2 max pool", {15, 14, 530}, pooled, [](const Array &x, const Weights &w) {
    return ref::pool2d(ref::activate(convLayer(x, w, "p", 3, 1), {Act::Relu}), true, 2, 2, 2, 2,
                       {});
  });
  const std::vector<std::string> dilated = {
      "p = conv2d(x, filters=257, kernel=3, dilation=2, padding=same)"};
  CHECK(planOf({16, 20, 520}, dilated, "p").find("ic chunks") != std::string::npos);
  check("large U: dilation 2", {16, 20, 520}, dilated,
        [](const Array &x, const Weights &w) { return convLayer(x, w, "p", 3, 1, 2); });
}

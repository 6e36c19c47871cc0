// tests/kernels/test_pools.cpp - PyTorch's pooling options: ceil_mode on
// max/min/avg pooling, count_include_pad on avgpool2d, and globalmaxpool2d
// (with NaN propagating like PyTorch's max), against tests/Reference.h on
// every target (CheckModel.h), with odd sizes and channel counts that leave a
// vector tail.
#include "../Reference.h"
#include "CheckModel.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>

namespace {

namespace ref = cnnc::ref;
using cnnc::test::check;
using ref::Array;
using ref::Pads;
using ref::PoolKind;

/// A pool with PyTorch's options; `valid` or explicit (top, bottom, left, right) padding.
struct TorchPool {
  PoolKind kind;
  int kh, kw, sh, sw;
  Pads pads{};
  bool valid = false;
  bool ceil = true;
  bool countIncludePad = true; // avgpool2d only

  std::string dsl() const {
    std::ostringstream s;
    s << (kind == PoolKind::Max   ? "maxpool2d("
          : kind == PoolKind::Min ? "minpool2d("
                                  : "avgpool2d(")
      << "size=(" << kh << ", " << kw << "), stride=(" << sh << ", " << sw << "), padding=";
    if (valid)
      s << "valid";
    else
      s << "(" << pads.top << ", " << pads.bottom << ", " << pads.left << ", " << pads.right << ")";
    s << ", ceil_mode=" << (ceil ? "true" : "false");
    if (kind == PoolKind::Avg)
      s << ", count_include_pad=" << (countIncludePad ? "true" : "false");
    return s.str() + ")";
  }
  Array ref(const Array &x) const {
    return ref::pool2d(x, kind, kh, kw, sh, sw, valid ? Pads{} : pads, countIncludePad, ceil);
  }
};

} // namespace

TEST_CASE("ceil_mode output sizes follow PyTorch's rule", "[kernels][pool]") {
  CHECK(ref::windowOut(6, 3, 2, 0, 0, true) == 3);  // ceil(3 / 2) + 1
  CHECK(ref::windowOut(6, 3, 2, 0, 0, false) == 2); // floor
  CHECK(ref::windowOut(5, 2, 2, 1, 1, true) == 3);  // 4 would start in the bottom padding
  CHECK(ref::windowOut(7, 3, 3, 1, 1, true) == 3);  // the last window starts at 5 < 7 + 1
  CHECK(ref::windowOut(4, 4, 3, 0, 0, true) == 1);
  // Shapes as compiled, against the numbers PyTorch gives.
  auto shape = [](const std::string &pool) {
    const std::string src = "model m {\n  input x: f32[5, 6, 3]\n  " + pool + "\n}\n";
    return cnnc::Model::compileString(src, "t.cnn").outputShape();
  };
  CHECK(shape("maxpool2d(size=2, stride=2, padding=1, ceil_mode=true)") == cnnc::Shape{3, 4, 3});
  CHECK(shape("avgpool2d(size=3, stride=2, ceil_mode=true)") == cnnc::Shape{2, 3, 3});
  CHECK(shape("minpool2d(size=3, stride=2, ceil_mode=false)") == cnnc::Shape{2, 2, 3});
}

TEST_CASE("max min and avg pooling with ceil_mode and count_include_pad", "[kernels][pool]") {
  std::mt19937 g(4242);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); };
  for (int i = 0; i < 40; ++i) {
    TorchPool p{PoolKind(i % 3), pick(1, 4), 0, pick(1, 3), 0};
    p.kw = pick(0, 1) ? p.kh : pick(1, 4);
    p.sw = pick(0, 1) ? p.sh : pick(1, 3);
    p.valid = i % 4 == 3;
    p.pads = {pick(0, p.kh / 2), pick(0, p.kh / 2), pick(0, p.kw / 2), pick(0, p.kw / 2)};
    p.ceil = i % 5 != 4;
    p.countIncludePad = (i / 3) % 2 == 0;
    const int H = std::max(pick(1, 14), p.kh), W = std::max(pick(1, 14), p.kw);
    const int C = (int)std::vector<int>{1, 3, 5, 7, 17, 19, 33, 37}[(size_t)pick(0, 7)];
    check("ceil pool sweep #" + std::to_string(i) + " " + p.dsl(), {H, W, C}, {p.dsl()},
          [=](auto &x, auto &) { return p.ref(x); });
  }
  // PyTorch's count_include_pad divisor for a ceil_mode window past the padded input.
  TorchPool avg{PoolKind::Avg, 3, 3, 2, 2, {1, 1, 1, 1}};
  check("avgpool 3x3 stride 2 pad 1 ceil", {8, 6, 5}, {avg.dsl()},
        [=](auto &x, auto &) { return avg.ref(x); });
  TorchPool tiled{PoolKind::Avg, 3, 2, 2, 3, {1, 0, 1, 0}, false, true, false};
  check("tiled avgpool ceil count_include_pad=false", {34, 41, 37}, {tiled.dsl()},
        [=](auto &x, auto &) { return tiled.ref(x); });
  TorchPool mx{PoolKind::Max, 3, 3, 2, 2, {}, true};
  check("tiled maxpool valid ceil", {40, 51, 23}, {mx.dsl()},
        [=](auto &x, auto &) { return mx.ref(x); });
}

TEST_CASE("a conv absorbs a ceil_mode maxpool only without a partial window", "[kernels][pool]") {
  for (int h : {8, 9}) // 8: the conv's 6x6 output divides by 2; 9: 7x6 does not
    check(
        "conv then ceil maxpool on " + std::to_string(h) + " rows", {h, 8, 5},
        {"c = conv2d(filters=19, kernel=3, activation=relu)", "maxpool2d(size=2, ceil_mode=true)"},
        [=](auto &x, auto &w) {
          Array c = ref::activate(ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1, {}),
                                  {cnnc::Act::Relu});
          return ref::pool2d(c, PoolKind::Max, 2, 2, 2, 2, {}, false, true);
        });
}

TEST_CASE("globalmaxpool2d alone and before a dense", "[kernels][pool]") {
  for (cnnc::Shape in : {cnnc::Shape{1, 1, 3}, {7, 5, 33}, {9, 11, 17}, {3, 13, 1}})
    check("globalmaxpool2d of " + cnnc::shapeToString(in), in, {"globalmaxpool2d()"},
          [](auto &x, auto &) { return ref::globalMaxPool(x); });
  check("globalmaxpool2d then dense", {6, 7, 21}, {"g = globalmaxpool2d()", "d = dense(units=9)"},
        [](auto &x, auto &w) {
          return ref::dense(ref::globalMaxPool(x), w.at("d.weight"), &w.at("d.bias"));
        });
}

TEST_CASE("globalmaxpool2d propagates NaN and takes infinities as PyTorch", "[kernels][pool]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  const std::string src = "model m {\n  input x: f32[3, 5, 19]\n  globalmaxpool2d()\n}\n";
  for (auto [target, name] : cnnc::test::Targets) {
    INFO("target " << name);
    cnnc::Options opts;
    opts.target = target;
    cnnc::Model m = cnnc::Model::compileString(src, "t.cnn", opts);
    cnnc::Tensor x(cnnc::Shape{3, 5, 19});
    for (int64_t i = 0; i < x.size(); ++i)
      x[i] = -inf;                 // channels stay -inf unless set below
    x[(2 * 5 + 4) * 19 + 0] = nan; // the last pixel of channel 0
    x[(0 * 5 + 0) * 19 + 1] = nan; // the first pixel of channel 1
    x[(1 * 5 + 2) * 19 + 1] = 5;
    x[(1 * 5 + 2) * 19 + 18] = nan; // the tail channel
    x[(1 * 5 + 3) * 19 + 3] = inf;
    cnnc::Tensor y = m.run(x);
    CHECK(std::isnan(y[0]));
    CHECK(std::isnan(y[1]));
    CHECK(std::isnan(y[18]));
    CHECK(y[2] == -inf);
    CHECK(y[3] == inf);
    CHECK(y[17] == -inf);
  }
}

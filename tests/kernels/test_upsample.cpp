// tests/kernels/test_upsample.cpp - upsample2d (PyTorch's F.interpolate, nearest
// and bilinear with and without align_corners) against ref::upsample2d on every
// target: odd sizes, channel counts that are not multiples of the vector
// width, scale=(2, 3), and size= both down and up.
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

#include <sstream>

namespace {

namespace ref = cnnc::ref;
using cnnc::test::check;

struct Case {
  cnnc::Shape in;
  int sh = 0, sw = 0;     // scale=(sh, sw) when set
  int64_t oh = 0, ow = 0; // size=(oh, ow) when set
  bool bilinear = false;
  bool corners = false;

  std::string dsl() const {
    std::ostringstream s;
    s << "y = upsample2d(";
    if (sh)
      s << "scale=(" << sh << ", " << sw << "), ";
    if (oh)
      s << "size=(" << oh << ", " << ow << "), ";
    s << "mode=" << (bilinear ? "bilinear" : "nearest");
    if (bilinear)
      s << ", align_corners=" << (corners ? "true" : "false");
    return s.str() + ")";
  }
  void run() const {
    const int64_t OH = oh ? oh : in[0] * (sh ? sh : 2), OW = ow ? ow : in[1] * (sw ? sw : 2);
    const int scaleH = oh ? 0 : (sh ? sh : 2), scaleW = oh ? 0 : (sw ? sw : 2);
    const bool bil = bilinear, ac = corners;
    check(dsl(), in, {dsl()}, [=](const ref::Array &x, const cnnc::WeightMap &) {
      return ref::upsample2d(x, OH, OW, bil, ac, scaleH, scaleW);
    });
  }
};

TEST_CASE("upsample2d nearest: default scale and scale (2 3) and size up and down",
          "[kernels][upsample]") {
  Case{{5, 7, 3}}.run();
  Case{{5, 7, 19}, 2, 3}.run();
  Case{{3, 4, 33}, 3, 1}.run();
  Case{{5, 7, 17}, 0, 0, 11, 13}.run(); // up by ratios that are not integers
  Case{{10, 9, 5}, 0, 0, 6, 4}.run();   // down
  Case{{7, 6, 1}, 0, 0, 7, 6}.run();    // the identity
  Case{{1, 1, 20}, 0, 0, 3, 2}.run();
}

TEST_CASE("upsample2d bilinear: half-pixel centres and align_corners", "[kernels][upsample]") {
  for (bool corners : {false, true}) {
    INFO("align_corners " << corners);
    Case{{5, 7, 3}, 2, 2, 0, 0, true, corners}.run();
    Case{{5, 7, 19}, 2, 3, 0, 0, true, corners}.run();
    Case{{4, 3, 33}, 1, 3, 0, 0, true, corners}.run();
    Case{{5, 7, 17}, 0, 0, 11, 13, true, corners}.run();
    Case{{10, 9, 5}, 0, 0, 6, 4, true, corners}.run();
    Case{{6, 5, 2}, 0, 0, 1, 1, true, corners}.run(); // one output pixel
    Case{{1, 1, 20}, 0, 0, 3, 2, true, corners}.run();
  }
}

TEST_CASE("upsample2d between convs and in a branch joined by add", "[kernels][upsample]") {
  check("upsample2d in a graph", {6, 5, 4},
        {"c = conv2d(filters=12, kernel=3, padding=same)", "u = upsample2d(c, mode=bilinear)",
         "v = upsample2d(c, size=(12, 10))", "s = add(u, v)",
         "d = conv2d(s, filters=5, kernel=3, padding=1)"},
        [](const ref::Array &x, const cnnc::WeightMap &w) {
          ref::Array c = ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1,
                                     ref::samePads(6, 5, 3, 3, 1, 1));
          ref::Array s = ref::add(ref::upsample2d(c, 12, 10, true, false, 2, 2),
                                  ref::upsample2d(c, 12, 10, false, false));
          return ref::conv2d(s, w.at("d.weight"), &w.at("d.bias"), 1, 1, {1, 1, 1, 1});
        });
}

} // namespace

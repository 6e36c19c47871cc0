// tests/kernels/test_chanops.cpp - the channel ops (prelu, lrn, channel_shuffle,
// slice, split) and softmax(axis=-1) on images against tests/Reference.h on
// every target: odd sizes, channel counts that are not multiples of the
// vector width, vectors as well as images.
#include "../Reference.h"
#include "CheckModel.h"

#include <catch2/catch.hpp>

#include <random>

namespace {

namespace ref = cnnc::ref;
using cnnc::test::check;
using cnnc::test::checkScaled;
using W = cnnc::WeightMap;

/// Like check(), with the given weights rather than random ones (prelu's
/// random slopes are 1 +- 0.1, too close to the identity to test it).
void checkWith(const std::string &what, const cnnc::Shape &in,
               const std::vector<std::string> &stmts, const W &weights,
               const cnnc::test::RefFn &want) {
  const std::string source = ref::modelSource(in, stmts);
  std::mt19937 g((uint32_t)std::hash<std::string>()(what));
  std::uniform_real_distribution<double> u(-1, 1);
  cnnc::Tensor input(in);
  for (int64_t i = 0; i < input.size(); ++i)
    input[i] = (float)u(g);
  const ref::Array expected = want(ref::fromTensor(input), weights);
  for (auto [target, name] : cnnc::test::Targets) {
    INFO("target " << name << ", " << what << "\n" << source);
    cnnc::Options opts;
    opts.target = target;
    opts.checkArena = true;
    cnnc::Model m = cnnc::Model::compileString(source, "test.cnn", opts);
    m.loadWeights(weights);
    cnnc::Tensor y = m.run(input);
    REQUIRE(y.shape() == expected.shape);
    CHECK(ref::maxAbsError(y, expected) <= cnnc::test::Tolerance);
  }
}

cnnc::Tensor slopes(int64_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(-2, 2);
  cnnc::Tensor w(cnnc::Shape{n});
  for (int64_t i = 0; i < n; ++i)
    w[i] = i % 5 == 3 ? 0.f : (float)u(g); // some zero slopes: relu there
  return w;
}

TEST_CASE("prelu per channel and shared on images and vectors", "[kernels][chanops]") {
  for (cnnc::Shape in : {cnnc::Shape{5, 7, 3}, {4, 3, 17}, {3, 5, 33}, {2, 2, 16}, {37}, {1}}) {
    for (bool shared : {false, true}) {
      const int64_t n = shared ? 1 : in.back();
      const W w = {{"p.weight", slopes(n, (uint32_t)(in.back() * 2 + shared))}};
      checkWith(cnnc::shapeToString(in) + (shared ? " shared" : ""), in,
                {shared ? "p = prelu(shared=true)" : "p = prelu()"}, w,
                [](const ref::Array &x, const W &w) { return ref::prelu(x, w.at("p.weight")); });
    }
  }
}

TEST_CASE("prelu after a conv with random weights", "[kernels][chanops]") {
  check("conv then prelu", {6, 5, 4}, {"c = conv2d(filters=19, kernel=3)", "p = prelu()"},
        [](const ref::Array &x, const W &w) {
          return ref::prelu(ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1, {}),
                            w.at("p.weight"));
        });
}

TEST_CASE("lrn sizes betas and channel counts incl fewer channels than the window",
          "[kernels][chanops]") {
  struct Case {
    cnnc::Shape in;
    int size;
    double alpha, beta, bias;
  };
  for (const Case &c : {Case{{5, 7, 3}, 5, 1e-4, 0.75, 1}, Case{{3, 4, 17}, 5, 1.0, 0.75, 2},
                        Case{{4, 3, 33}, 3, 0.5, 0.5, 1}, Case{{2, 5, 16}, 2, 2.0, 1.0, 0.5},
                        Case{{3, 3, 4}, 7, 3.0, 2.3, 1}, Case{{2, 3, 5}, 25, 1.5, 0.75, 1},
                        Case{{3, 2, 1}, 5, 1.0, 0.75, 1}, Case{{2, 2, 40}, 1, 1.0, 0.6, 1},
                        Case{{3, 3, 9}, 4, 1.0, 0, 1}, Case{{45}, 5, 1.0, 0.75, 1}}) {
    const std::string dsl =
        "lrn(size=" + std::to_string(c.size) + ", alpha=" + cnnc::numberString(c.alpha) +
        ", beta=" + cnnc::numberString(c.beta) + ", bias=" + cnnc::numberString(c.bias) + ")";
    checkScaled(3.0, cnnc::shapeToString(c.in) + " " + dsl, c.in, {dsl},
                [c](const ref::Array &x, const W &) {
                  return ref::lrn(x, c.size, c.alpha, c.beta, c.bias);
                });
  }
}

TEST_CASE("lrn defaults as in AlexNet after a conv", "[kernels][chanops]") {
  checkScaled(20.0, "conv then lrn", {9, 8, 3}, {"c = conv2d(filters=21, kernel=3)", "lrn()"},
              [](const ref::Array &x, const W &w) {
                return ref::lrn(ref::conv2d(x, w.at("c.weight"), &w.at("c.bias"), 1, 1, {}), 5,
                                1e-4, 0.75, 1);
              });
}

TEST_CASE("channel_shuffle groups and tails", "[kernels][chanops]") {
  struct Case {
    cnnc::Shape in;
    int groups;
  };
  for (const Case &c :
       {Case{{3, 5, 6}, 2}, Case{{4, 3, 34}, 2}, Case{{3, 3, 48}, 3}, Case{{2, 5, 60}, 4},
        Case{{2, 3, 200}, 8}, Case{{3, 2, 64}, 16}, Case{{2, 3, 34}, 17}, Case{{3, 3, 7}, 7},
        Case{{3, 3, 7}, 1}, Case{{5, 1, 15}, 5}, Case{{116}, 2}, Case{{99}, 33}}) {
    const std::string dsl = "channel_shuffle(groups=" + std::to_string(c.groups) + ")";
    check(cnnc::shapeToString(c.in) + " " + dsl, c.in, {dsl},
          [c](const ref::Array &x, const W &) { return ref::channelShuffle(x, c.groups); });
  }
}

TEST_CASE("slice ranges incl negative indices on images and vectors", "[kernels][chanops]") {
  struct Case {
    cnnc::Shape in;
    int start, end;
    int64_t first, last;
  };
  for (const Case &c : {Case{{5, 7, 3}, 0, 3, 0, 3}, Case{{4, 3, 37}, 5, 22, 5, 22},
                        Case{{3, 5, 40}, -17, -1, 23, 39}, Case{{2, 3, 33}, 32, 33, 32, 33},
                        Case{{3, 3, 64}, 0, -32, 0, 32}, Case{{50}, 3, 50, 3, 50}}) {
    const std::string dsl =
        "slice(start=" + std::to_string(c.start) + ", end=" + std::to_string(c.end) + ")";
    check(cnnc::shapeToString(c.in) + " " + dsl, c.in, {dsl},
          [c](const ref::Array &x, const W &) { return ref::sliceChannels(x, c.first, c.last); });
  }
}

TEST_CASE("split into equal parts and by sizes then joined", "[kernels][chanops]") {
  check("split parts=3", {4, 5, 21}, {"a, b, c = split(x, parts=3)", "d = concat(c, a, b)"},
        [](const ref::Array &x, const W &) {
          return ref::concat({ref::sliceChannels(x, 14, 21), ref::sliceChannels(x, 0, 7),
                              ref::sliceChannels(x, 7, 14)});
        });
  check("split sizes", {3, 4, 37}, {"a, b, c = split(sizes=(5, 17, 15))", "d = concat(c, a, b)"},
        [](const ref::Array &x, const W &) {
          return ref::concat({ref::sliceChannels(x, 22, 37), ref::sliceChannels(x, 0, 5),
                              ref::sliceChannels(x, 5, 22)});
        });
  check("split of a vector", {30}, {"a, b = split(parts=2)", "d = add(b, a)"},
        [](const ref::Array &x, const W &) {
          return ref::add(ref::sliceChannels(x, 15, 30), ref::sliceChannels(x, 0, 15));
        });
}

// ShuffleNet v2's basic unit: half the channels pass, half go through
// 1x1 -> 3x3 depthwise -> 1x1, then concat and channel_shuffle(2).
TEST_CASE("a ShuffleNet v2 unit with split concat and channel_shuffle", "[kernels][chanops]") {
  check("shufflenet unit", {7, 6, 34},
        {"a, b = split(x, parts=2)", "c = conv2d(b, filters=17, kernel=1, activation=relu)",
         "d = conv2d(c, filters=17, kernel=3, padding=same, groups=17)",
         "e = conv2d(d, filters=17, kernel=1, activation=relu)", "f = concat(a, e)",
         "g = channel_shuffle(f, groups=2)"},
        [](const ref::Array &x, const W &w) {
          auto conv = [&](const ref::Array &in, const std::string &n, int k, int groups) {
            ref::Pads p = k == 3 ? ref::Pads{1, 1, 1, 1} : ref::Pads{};
            return ref::conv2d(in, w.at(n + ".weight"), &w.at(n + ".bias"), 1, 1, p, groups);
          };
          ref::Array c =
              ref::activate(conv(ref::sliceChannels(x, 17, 34), "c", 1, 1), cnnc::Act::Relu);
          ref::Array e = ref::activate(conv(conv(c, "d", 3, 17), "e", 1, 1), cnnc::Act::Relu);
          return ref::channelShuffle(ref::concat({ref::sliceChannels(x, 0, 17), e}), 2);
        });
}

TEST_CASE("softmax with axis=-1 over the channels of images", "[kernels][chanops]") {
  for (cnnc::Shape in : {cnnc::Shape{5, 7, 3}, {3, 4, 17}, {2, 3, 33}, {4, 4, 1}, {21}}) {
    check("softmax " + cnnc::shapeToString(in), in, {"softmax(axis=-1)"},
          [](const ref::Array &x, const W &) {
            return ref::activate(x, cnnc::ActFn(cnnc::Act::Softmax));
          });
  }
}

} // namespace

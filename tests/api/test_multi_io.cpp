// tests/api/test_multi_io.cpp - models with several inputs and outputs:
// Model::runAll against the double reference on every target (outputs that
// other layers read, which fusion and memory planning must keep), the names
// and shapes, run()'s and runAll()'s errors, batches and profileKernels.
#include "../Reference.h"
#include "../kernels/CheckModel.h"
#include "cnnc/cnnc.h"
#include "runtime/Random.h"

#include <catch2/catch.hpp>

namespace {

namespace ref = cnnc::ref;
using cnnc::Tensor;

// 'c' is an output that the relu also reads (so the relu must not fuse into
// its conv); 'v' is declared after a layer; 'm' an image times a vector input.
const char *TwoInputs = R"(model two {
  input a: f32[7, 9, 5]
  c = conv2d(a, filters=6, kernel=3, padding=same)
  input v: f32[6]
  r = relu(c)
  m = mul(r, v)
  p = globalavgpool2d(m)
  d = dense(p, units=3, activation=tanh)
  output d, c, m
})";

std::vector<ref::Array> twoInputsRef(const std::vector<Tensor> &x, const cnnc::WeightMap &w) {
  ref::Array c = ref::conv2d(ref::fromTensor(x[0]), w.at("c.weight"), &w.at("c.bias"), 1, 1,
                             ref::samePads(7, 9, 3, 3, 1, 1));
  ref::Array m = ref::mul(ref::activate(c, cnnc::Act::Relu), ref::fromTensor(x[1]));
  ref::Array d = ref::dense(ref::globalAvgPool(m), w.at("d.weight"), &w.at("d.bias"));
  return {ref::activate(d, cnnc::Act::Tanh), c, m};
}

// 'c' is an output whose only reader is a padded conv (it must not be written
// with that conv's border), and 'f' a flatten output a dense reads (the dense
// must not absorb it).
const char *Border = R"(model border {
  input x: f32[6, 5, 3]
  c = conv2d(filters=4, kernel=3, padding=same)
  e = conv2d(c, filters=5, kernel=3, padding=same, activation=relu)
  f = flatten(e)
  d = dense(f, units=3)
  output d, c, f
})";

std::vector<ref::Array> borderRef(const std::vector<Tensor> &x, const cnnc::WeightMap &w) {
  ref::Array c = ref::conv2d(ref::fromTensor(x[0]), w.at("c.weight"), &w.at("c.bias"), 1, 1,
                             ref::samePads(6, 5, 3, 3, 1, 1));
  ref::Array e = ref::activate(
      ref::conv2d(c, w.at("e.weight"), &w.at("e.bias"), 1, 1, ref::samePads(6, 5, 3, 3, 1, 1)),
      cnnc::Act::Relu);
  ref::Array f = ref::flattenCHW(e);
  return {ref::dense(f, w.at("d.weight"), &w.at("d.bias")), c, f};
}

std::vector<Tensor> randomInputs(const cnnc::Model &m, uint64_t seed, int batch = 0) {
  std::vector<Tensor> xs;
  for (cnnc::Shape s : m.inputShapes()) {
    if (batch)
      s.insert(s.begin(), batch);
    xs.push_back(cnnc::randomTensor(s, seed + xs.size(), "input", 1.0));
  }
  return xs;
}

using RefFn = std::vector<ref::Array> (*)(const std::vector<Tensor> &, const cnnc::WeightMap &);

void checkAllTargets(const char *source, RefFn want) {
  for (auto [target, name] : cnnc::test::Targets) {
    INFO("target " << name << "\n" << source);
    cnnc::Options opts;
    opts.target = target;
    opts.checkArena = true;
    cnnc::Model m = cnnc::Model::compileString(source, "t.cnn", opts);
    const cnnc::WeightMap w = m.randomWeights(3);
    std::vector<Tensor> xs = randomInputs(m, 11);
    std::vector<Tensor> got = m.runAll(xs);
    std::vector<ref::Array> expected = want(xs, w);
    REQUIRE(got.size() == expected.size());
    for (size_t k = 0; k < got.size(); ++k) {
      INFO("output " << k << " (" << m.outputNames()[k] << ")");
      REQUIRE(got[k].shape() == expected[k].shape);
      CHECK(got[k].shape() == m.outputShapes()[k]);
      double tol = cnnc::test::Tolerance * std::max(1.0, ref::maxAbs(expected[k]));
      CHECK(ref::maxAbsError(got[k], expected[k]) <= tol);
    }
  }
}

} // namespace

TEST_CASE("several inputs and outputs match the reference on every target", "[api][multi-io]") {
  SECTION("an output another layer reads, an input declared after a layer") {
    checkAllTargets(TwoInputs, twoInputsRef);
  }
  SECTION("an output read by a padded conv, a flatten output a dense reads") {
    checkAllTargets(Border, borderRef);
  }
}

TEST_CASE("a model's input and output names and shapes in order", "[api][multi-io]") {
  cnnc::Model m = cnnc::Model::compileString(TwoInputs);
  CHECK(m.inputNames() == std::vector<std::string>{"a", "v"});
  CHECK(m.inputShapes() == std::vector<cnnc::Shape>{{7, 9, 5}, {6}});
  CHECK(m.outputNames() == std::vector<std::string>{"d", "c", "m"});
  CHECK(m.outputShapes() == std::vector<cnnc::Shape>{{3}, {7, 9, 6}, {7, 9, 6}});
  // An implicit activation's output is named after its layer.
  cnnc::Model b = cnnc::Model::compileString(Border);
  CHECK(b.outputNames() == std::vector<std::string>{"d", "c", "f"});
}

TEST_CASE("two outputs that passes make one value are both returned", "[api][multi-io]") {
  // merge-common makes b read a's relu; remove-identity replaces d by c.
  cnnc::Model m = cnnc::Model::compileString(R"(model same {
    input x: f32[5]
    a = relu(x)
    b = relu(x)
    c = tanh(a)
    d = dropout(c)
    output a, b, d, c
  })");
  CHECK(m.outputNames() == std::vector<std::string>{"a", "b", "d", "c"});
  m.randomWeights(1);
  Tensor x({5}, {-2, -0.5f, 0, 0.5f, 2});
  std::vector<Tensor> y = m.runAll({x});
  REQUIRE(y.size() == 4);
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(y[0][i] == std::max(x[i], 0.f));
    CHECK(y[1][i] == y[0][i]);
    CHECK(y[2][i] == Approx(std::tanh(y[0][i])));
    CHECK(y[3][i] == y[2][i]);
  }
}

TEST_CASE("run(Tensor) and the one-input accessors name the model's counts", "[api][multi-io]") {
  cnnc::Model m = cnnc::Model::compileString(TwoInputs);
  m.randomWeights(1);
  CHECK_THROWS_WITH(m.run(Tensor({7, 9, 5})),
                    Catch::Contains("model 'two' has 2 inputs and 3 outputs; run(Tensor) takes "
                                    "one input and returns one output: call runAll()"));
  CHECK_THROWS_WITH(m.inputShape(), Catch::Contains("has 2 inputs ('a', 'v'): use inputShapes()"));
  CHECK_THROWS_WITH(m.outputShape(),
                    Catch::Contains("has 3 outputs ('d', 'c', 'm'): use outputShapes()"));
  // One input, two outputs: run(Tensor) is still not enough.
  cnnc::Model b = cnnc::Model::compileString(Border);
  b.randomWeights(1);
  CHECK_THROWS_WITH(b.run(Tensor({6, 5, 3})), Catch::Contains("has 1 input and 3 outputs"));
  CHECK(b.inputShape() == cnnc::Shape{6, 5, 3});
}

TEST_CASE("runAll checks the count and shape of every input and the batch axes",
          "[api][multi-io]") {
  cnnc::Model m = cnnc::Model::compileString(TwoInputs);
  CHECK_THROWS_WITH(m.runAll({Tensor({7, 9, 5}), Tensor({6})}), Catch::Contains("has no weights"));
  m.randomWeights(1);
  CHECK_THROWS_WITH(m.runAll({Tensor({7, 9, 5})}),
                    Catch::Contains("model 'two' has 2 inputs ('a', 'v'), got 1 tensor"));
  CHECK_THROWS_WITH(
      m.runAll({Tensor({7, 9, 5}), Tensor({5})}),
      Catch::Contains("input 'v' has shape [5], model 'two' expects [6] (or [1, 6])"));
  CHECK_THROWS_WITH(m.runAll({Tensor({1, 7, 9, 5}), Tensor({6})}),
                    Catch::Contains("input 'v' has no batch axis but input 'a' has one: give "
                                    "every input the batch axis, or none"));
  std::vector<Tensor> y = m.runAll({Tensor({1, 7, 9, 5}), Tensor({1, 6})});
  CHECK(y[0].shape() == cnnc::Shape{1, 3}); // a batch axis in, a batch axis out
  CHECK(y[1].shape() == cnnc::Shape{1, 7, 9, 6});
}

TEST_CASE("a batch of several inputs gives every image what a run of one gives",
          "[api][multi-io][batch]") {
  cnnc::Model m1 = cnnc::Model::compileString(TwoInputs);
  cnnc::Options opts;
  opts.batch = 3;
  cnnc::Model m3 = cnnc::Model::compileString(TwoInputs, "t.cnn", opts);
  m3.loadWeights(m1.randomWeights(4));
  std::vector<Tensor> xs = randomInputs(m3, 7, 3);
  CHECK_THROWS_WITH(m3.runAll(randomInputs(m3, 7)), Catch::Contains("compiled for a batch of 3"));
  std::vector<Tensor> ys = m3.runAll(xs);
  for (int i = 0; i < 3; ++i) {
    std::vector<Tensor> one;
    for (const Tensor &x : xs) { // image i of every input
      cnnc::Shape s(x.shape().begin() + 1, x.shape().end());
      one.emplace_back(
          s, std::vector<float>(x.data() + i * x.size() / 3, x.data() + (i + 1) * x.size() / 3));
    }
    std::vector<Tensor> want = m1.runAll(one);
    for (size_t k = 0; k < ys.size(); ++k) {
      INFO("image " << i << ", output " << k);
      const int64_t each = want[k].size();
      REQUIRE(ys[k].size() == 3 * each);
      for (int64_t j = 0; j < each; ++j)
        CHECK(ys[k][i * each + j] == Approx(want[k][j]).margin(1e-5));
    }
  }
}

TEST_CASE("profileKernels takes a tensor per input", "[api][multi-io]") {
  cnnc::Model m = cnnc::Model::compileString(TwoInputs);
  m.randomWeights(1);
  std::vector<cnnc::KernelProfile> prof = m.profileKernels(randomInputs(m, 2), 2);
  REQUIRE(!prof.empty());
  CHECK(prof.back().name == "d");
  CHECK_THROWS_WITH(m.profileKernels(Tensor({7, 9, 5}), 1),
                    Catch::Contains("has 2 inputs ('a', 'v'), got 1 tensor"));
}

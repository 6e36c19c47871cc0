// tests/api/test_api.cpp - the public API: diagnostics in exceptions, shapes,
// weight listing, batch axis, profiling, and concurrent runs of one model.
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <thread>

namespace {
const char *tiny = R"(model tiny {
  input x: f32[9, 7, 3]
  conv2d(filters=5, kernel=3, padding=same, stride=2, activation=relu)
  maxpool2d(size=2, padding=same)
  flatten()
  out = dense(units=4, activation=softmax)
})";

cnnc::Tensor ramp(const cnnc::Shape &shape) {
  cnnc::Tensor x(shape);
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = float(i % 13) / 13.f - 0.3f;
  return x;
}
} // namespace

TEST_CASE("compile errors are exceptions carrying file:line:col diagnostics", "[api]") {
  try {
    cnnc::Model::compileString(
        "model m {\n  input x: f32[4, 4, 1]\n  conv2d(filters=2, kernel=9)\n}\n", "m.cnn");
    FAIL("no exception");
  } catch (const cnnc::Error &e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::StartsWith("m.cnn:3:3: error: a 9x9 kernel does not fit the 4x4 input"));
    CHECK_THAT(msg, Catch::Contains("  conv2d(filters=2, kernel=9)\n    ^"));
  }
  CHECK_THROWS_AS(cnnc::Model::compileFile("/nonexistent/model.cnn"), cnnc::Error);
  CHECK_THROWS_WITH(cnnc::parseTarget("avx1024"), Catch::Contains("unknown target 'avx1024'"));
}

TEST_CASE("shapes and names and weight keys are queryable", "[api]") {
  cnnc::Model m = cnnc::Model::compileString(tiny, "tiny.cnn");
  CHECK(m.name() == "tiny");
  CHECK(m.inputShape() == cnnc::Shape{9, 7, 3});
  CHECK(m.outputShape() == cnnc::Shape{4});
  auto w = m.weightShapes();
  REQUIRE(w.size() == 4);
  CHECK(w[0] == std::make_pair(std::string("conv2d.weight"), cnnc::Shape{5, 3, 3, 3}));
  CHECK(w[3] == std::make_pair(std::string("out.bias"), cnnc::Shape{4}));
  // conv: ceil(9/2) x ceil(7/2) = 5 x 4 x 5; pool 2x2 same: 3 x 2 x 5 = 30 inputs to dense.
  CHECK(m.layers()[1].outputShape == cnnc::Shape{3, 2, 5});
  CHECK(m.totalParams() == 5 * 27 + 5 + 30 * 4 + 4);
}

TEST_CASE("dotted layer names give PyTorch state_dict keys", "[api]") {
  cnnc::Options o;
  o.generateCode = false;
  cnnc::Model m = cnnc::Model::compileString("model m {\n"
                                             "  input x: f32[6, 6, 3]\n"
                                             "  layer1.0.conv1 = conv2d(filters=4, kernel=3)\n"
                                             "  layer1.0.bn1 = batchnorm(epsilon=1e-5)\n"
                                             "  f = flatten(layer1.0.bn1)\n"
                                             "  fc.1 = dense(f, units=2)\n"
                                             "}\n",
                                             "dotted.cnn", o);
  std::vector<std::string> keys;
  for (auto &[key, shape] : m.weightShapes())
    keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"layer1.0.conv1.weight", "layer1.0.conv1.bias",
                                         "layer1.0.bn1.weight", "layer1.0.bn1.bias",
                                         "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var",
                                         "fc.1.weight", "fc.1.bias"});
}

TEST_CASE("a batch axis of one in gives a batch axis of one out", "[api]") {
  cnnc::Model m = cnnc::Model::compileString(tiny, "tiny.cnn");
  m.randomWeights(3);
  cnnc::Tensor y = m.run(ramp({9, 7, 3}));
  cnnc::Tensor yb = m.run(ramp({1, 9, 7, 3}));
  REQUIRE(yb.shape() == cnnc::Shape{1, 4});
  for (int i = 0; i < 4; ++i)
    CHECK(y[i] == yb[i]);
  CHECK_THROWS_WITH(m.run(ramp({2, 9, 7, 3})), Catch::Contains("expects [9, 7, 3]"));
}

TEST_CASE("profiling times every kernel of the fused graph", "[api]") {
  cnnc::Model m = cnnc::Model::compileString(tiny, "tiny.cnn");
  m.randomWeights(3);
  int between = 0;
  auto prof = m.profileKernels(ramp({9, 7, 3}), 3, [&] { ++between; });
  CHECK(between == 3);
  REQUIRE(prof.size() == 3); // conv+relu, pool, dense reading the image + softmax
  CHECK(prof[0].op == "conv2d+relu");
  CHECK(prof[2].op == "flatten+dense+softmax");
  CHECK(prof[0].flops == 2 * 5 * 4 * 5 * 27);
}

TEST_CASE("the peak meter times a JIT-compiled FMA loop", "[api]") {
  for (cnnc::Target t : {cnnc::Target::Host, cnnc::Target::AVX2, cnnc::Target::Generic}) {
    cnnc::PeakMeter meter(t);
    double g = meter.sample(1);
    CHECK(g > 0.5); // even SSE2 without FMA does a GFLOP/s
    CHECK(g < 1e4);
  }
  CHECK_THROWS_WITH(cnnc::measurePeakGflops(cnnc::Target::Host, 0), Catch::Contains("repeat"));
}

TEST_CASE("one compiled model runs on many threads at once", "[api]") {
  cnnc::Model m = cnnc::Model::compileString(tiny, "tiny.cnn");
  m.randomWeights(7);
  std::vector<cnnc::Tensor> inputs;
  std::vector<cnnc::Tensor> want;
  for (int t = 0; t < 4; ++t) {
    cnnc::Tensor x = ramp({9, 7, 3});
    x[t] += 1.f;
    inputs.push_back(x);
    want.push_back(m.run(x));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < 50; ++r) {
        cnnc::Tensor y = m.run(inputs[t]);
        for (int i = 0; i < 4; ++i)
          mismatches[t] += y[i] != want[t][i];
      }
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 0; t < 4; ++t)
    CHECK(mismatches[t] == 0);
}

TEST_CASE("a model compiled without code generation summarises but does not run", "[api]") {
  cnnc::Options opts;
  opts.generateCode = false;
  cnnc::Model m = cnnc::Model::compileString(tiny, "tiny.cnn", opts);
  CHECK(m.totalParams() == 264);
  CHECK_THAT(m.summary(), Catch::Contains("(None, 5, 4, 5)"));
  CHECK_THROWS_WITH(m.randomWeights(1), Catch::Contains("without code generation"));
  CHECK_THROWS_WITH(m.run(ramp({9, 7, 3})), Catch::Contains("without code generation"));
}

TEST_CASE("NaN and infinities propagate as in PyTorch", "[api][kernels]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  auto runOp = [](const std::string &op, const std::vector<float> &v, cnnc::Target target) {
    cnnc::Options o;
    o.target = target;
    cnnc::Model m = cnnc::Model::compileString(
        "model m {\n input x: f32[1, " + std::to_string(v.size()) + ", 1]\n " + op + "\n}\n",
        "m.cnn", o);
    return m.run(cnnc::Tensor({1, (int64_t)v.size(), 1}, v));
  };
  for (cnnc::Target t :
       {cnnc::Target::Host, cnnc::Target::AVX2, cnnc::Target::SSE4, cnnc::Target::Generic}) {
    INFO("target " << int(t));
    cnnc::Tensor r = runOp("relu()", {nan, -inf, inf, -1.f, 2.f}, t);
    CHECK(std::isnan(r[0]));
    CHECK(r[1] == 0.f);
    CHECK(r[2] == inf);
    r = runOp("tanh()", {nan, -inf, inf, 1e-4f, 0.f}, t);
    CHECK(std::isnan(r[0]));
    CHECK(r[1] == -1.f);
    CHECK(r[2] == 1.f);
    CHECK(r[3] == Approx(std::tanh(1e-4)).epsilon(1e-6)); // relative accuracy near 0
    CHECK(r[4] == 0.f);
    r = runOp("sigmoid()", {nan, -inf, inf, -100.f}, t);
    CHECK(std::isnan(r[0]));
    CHECK(r[1] == 0.f);
    CHECK(r[2] == 1.f);
    CHECK(r[3] == Approx(3.72e-44).margin(1e-40));
    r = runOp("maxpool2d(size=(1, 2))", {nan, 1.f, -inf, -inf, 3.f, nan}, t);
    CHECK(std::isnan(r[0]));
    CHECK(r[1] == -inf);
    CHECK(std::isnan(r[2]));
    for (const std::vector<float> &row :
         {std::vector<float>{nan, 1, 2, 3}, {inf, 1, 2, 3}, {-inf, -inf}}) {
      cnnc::Model m = cnnc::Model::compileString(
          "model m {\n input x: f32[" + std::to_string(row.size()) + "]\n softmax()\n}\n", "m.cnn");
      cnnc::Tensor s = m.run(cnnc::Tensor({(int64_t)row.size()}, row));
      for (int64_t i = 0; i < s.size(); ++i)
        CHECK(std::isnan(s[i]));
    }
  }
}

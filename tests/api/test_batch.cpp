// tests/api/test_batch.cpp - Options::batch: a batch of N images gives, image
// by image, what N runs of the batch-1 model give. Every kernel but dense runs
// per image; dense runs the batch as a blocked GEMM (blocks of 6 images on
// AVX-512, 2 on AVX2), so batches with and without a tail block are covered.
#include "cnnc/cnnc.h"
#include "runtime/Random.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

namespace {

// Dense layers: over an image (an absorbed flatten), with tails (units not a
// multiple of 16, 1000 inputs), over a long input (K streams at batch 1), softmax.
const char *model = R"(model m {
  input x: f32[11, 9, 3]
  conv2d(filters=10, kernel=3, padding=same, stride=2, activation=relu)
  flatten()
  dense(units=1000, activation=relu)
  dense(units=4100, activation=tanh)
  dense(units=37)
  dense(units=13, activation=softmax)
})";

cnnc::Tensor images(int n, const cnnc::Shape &one, uint64_t seed) {
  cnnc::Shape s = one;
  s.insert(s.begin(), n);
  return cnnc::randomTensor(s, seed, "input", 1.0);
}

} // namespace

TEST_CASE("a batch gives every image what a run of one gives", "[api][batch]") {
  for (cnnc::Target t : {cnnc::Target::Host, cnnc::Target::AVX2}) {
    cnnc::Options one;
    one.target = t;
    cnnc::Model m1 = cnnc::Model::compileString(model, "m.cnn", one);
    cnnc::WeightMap w = m1.randomWeights(5);
    for (int n : {1, 2, 6, 7, 13}) {
      INFO("target " << (int)t << ", batch " << n);
      cnnc::Options o = one;
      o.batch = n;
      o.threads = n % 2 ? 1 : 2;
      o.checkArena = true; // no kernel writes outside its image's buffers
      cnnc::Model mb = cnnc::Model::compileString(model, "m.cnn", o);
      mb.loadWeights(w);
      CHECK(mb.batch() == n);
      cnnc::Tensor x = images(n, m1.inputShape(), 9);
      cnnc::Tensor y = mb.run(x);
      REQUIRE(y.shape() == cnnc::Shape{n, 13});
      const int64_t each = 11 * 9 * 3;
      for (int i = 0; i < n; ++i) {
        cnnc::Tensor xi(m1.inputShape());
        std::memcpy(xi.data(), x.data() + i * each, each * sizeof(float));
        cnnc::Tensor yi = m1.run(xi);
        float sum = 0;
        for (int j = 0; j < 13; ++j) {
          // The GEMM sums in another order than the batch-1 GEMV's streams.
          CHECK(std::fabs(y[i * 13 + j] - yi[j]) <= 1e-5f);
          sum += y[i * 13 + j];
        }
        CHECK(std::fabs(sum - 1.f) < 1e-5f); // a softmax per image, not over the batch
      }
    }
  }
}

TEST_CASE("a batch is checked: its size and the input's shape", "[api][batch]") {
  cnnc::Options o;
  o.batch = 3;
  cnnc::Model m = cnnc::Model::compileString(model, "m.cnn", o);
  m.randomWeights(1);
  CHECK_THROWS_WITH(m.run(images(2, m.inputShape(), 1)),
                    Catch::Contains("expects [3, 11, 9, 3] (compiled for a batch of 3)"));
  CHECK_THROWS_WITH(m.run(cnnc::Tensor(m.inputShape())), Catch::Contains("expects [3, 11, 9, 3]"));
  o.batch = 0;
  CHECK_THROWS_WITH(cnnc::Model::compileString(model, "m.cnn", o),
                    Catch::Contains("Options::batch must be between 1 and 4096, got 0"));
  o.batch = 4096;
  o.maxArenaBytes = 1 << 20;
  CHECK_THROWS_WITH(cnnc::Model::compileString(model, "m.cnn", o),
                    Catch::Contains("activations (for the whole batch)"));
}

TEST_CASE("a batch through Winograd convs and an absorbed flatten", "[api][batch]") {
  const std::string path = std::string(CNNC_SOURCE_DIR) + "/examples/seed/mnist_same.cnn";
  cnnc::Model m1 = cnnc::Model::compileFile(path);
  cnnc::WeightMap w = m1.randomWeights(3);
  cnnc::Options o;
  o.batch = 3;
  o.threads = 2;
  cnnc::Model mb = cnnc::Model::compileFile(path, o);
  mb.loadWeights(w);
  bool winograd = false;
  cnnc::Tensor x = images(3, m1.inputShape(), 4);
  for (const cnnc::KernelProfile &k : mb.profileKernels(x, 1))
    winograd |= k.plan.rfind("winograd", 0) == 0;
  CHECK(winograd);
  cnnc::Tensor y = mb.run(x);
  REQUIRE(y.shape() == cnnc::Shape{3, 10});
  const int64_t each = 28 * 28;
  for (int i = 0; i < 3; ++i) {
    cnnc::Tensor xi(m1.inputShape());
    std::memcpy(xi.data(), x.data() + i * each, each * sizeof(float));
    cnnc::Tensor yi = m1.run(xi);
    for (int j = 0; j < 10; ++j)
      CHECK(std::fabs(y[i * 10 + j] - yi[j]) <= 1e-5f);
  }
}

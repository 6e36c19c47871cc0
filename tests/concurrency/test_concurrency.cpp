// tests/concurrency/test_concurrency.cpp - the API's concurrency contract: one
// compiled model, many threads calling run() at once, each call on its own
// arena, every output bit-identical to a sequential run. Also built alone as
// cnnc_concurrency_tests for the ThreadSanitizer job (scripts/sanitize.sh).
#include "cnnc/cnnc.h"
#include "runtime/Random.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

namespace {

constexpr int Threads = 8, Runs = 100;

std::string seedModel(const char *name) {
  return std::string(CNNC_SOURCE_DIR) + "/examples/seed/" + name + ".cnn";
}

/// Runs `Runs` times on each of `Threads` threads, thread t on input t;
/// returns how many outputs differed from the sequential ones.
int raceModel(const cnnc::Model &m, const std::vector<cnnc::Tensor> &inputs,
              const std::vector<cnnc::Tensor> &want) {
  std::vector<int> mismatches(Threads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < Threads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < Runs; ++r) {
        cnnc::Tensor y = m.run(inputs[t]);
        mismatches[t] += y.shape() != want[t].shape() ||
                         std::memcmp(y.data(), want[t].data(), y.size() * sizeof(float)) != 0;
      }
    });
  for (std::thread &th : threads)
    th.join();
  int total = 0;
  for (int x : mismatches)
    total += x;
  return total;
}

} // namespace

TEST_CASE("8 threads x 100 runs of one compiled model match sequential runs bit for bit",
          "[api][concurrency]") {
  for (const char *name : {"lenet", "mnist_pool", "mnist_same"}) { // mnist_same: Winograd scratch
    INFO(name);
    cnnc::Model m = cnnc::Model::compileFile(seedModel(name));
    m.randomWeights(11);
    std::vector<cnnc::Tensor> inputs, want;
    for (int t = 0; t < Threads; ++t) {
      inputs.push_back(cnnc::randomTensor(m.inputShape(), 100 + t, "input", 1.0));
      want.push_back(m.run(inputs.back()));
    }
    CHECK(raceModel(m, inputs, want) == 0);
  }
}

TEST_CASE("two compiled models race each other on 8 threads", "[api][concurrency]") {
  cnnc::Model a = cnnc::Model::compileFile(seedModel("lenet"));
  cnnc::Model b = cnnc::Model::compileFile(seedModel("mnist_pool"));
  a.randomWeights(1);
  b.randomWeights(2);
  cnnc::Tensor xa = cnnc::randomTensor(a.inputShape(), 5, "input", 1.0);
  cnnc::Tensor xb = cnnc::randomTensor(b.inputShape(), 6, "input", 1.0);
  cnnc::Tensor ya = a.run(xa), yb = b.run(xb);
  std::vector<int> bad(Threads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < Threads; ++t)
    threads.emplace_back([&, t] {
      const cnnc::Model &m = t % 2 ? b : a;
      const cnnc::Tensor &x = t % 2 ? xb : xa, &y = t % 2 ? yb : ya;
      for (int r = 0; r < Runs; ++r) {
        cnnc::Tensor out = m.run(x);
        bad[t] += std::memcmp(out.data(), y.data(), y.size() * sizeof(float)) != 0;
      }
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 0; t < Threads; ++t)
    CHECK(bad[t] == 0);
}

TEST_CASE("models compile on several threads at once", "[api][concurrency]") {
  // The JIT's setup (LLVM target registration) is shared process state.
  std::vector<cnnc::Tensor> outs(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      cnnc::Model m = cnnc::Model::compileFile(seedModel("mnist_pool"));
      m.randomWeights(3);
      outs[t] = m.run(cnnc::randomTensor(m.inputShape(), 9, "input", 1.0));
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 1; t < 4; ++t)
    CHECK(std::memcmp(outs[t].data(), outs[0].data(), outs[0].size() * sizeof(float)) == 0);
}

TEST_CASE("a model on 1 or 2 or 3 threads gives bit-identical outputs", "[api][concurrency]") {
  // Each model has kernels big enough to be split (convs, pools, dense, padding copies).
  for (const char *path : {"/examples/seed/alexnet.cnn", "/examples/mobilenet_v1.cnn",
                           "/tests/golden/ir/graph_ops.cnn", "/examples/seed/mnist_same.cnn"}) {
    INFO(path);
    std::vector<cnnc::Tensor> outs;
    for (int threads : {1, 2, 3}) {
      cnnc::Options opts;
      opts.threads = threads;
      cnnc::Model m = cnnc::Model::compileFile(std::string(CNNC_SOURCE_DIR) + path, opts);
      REQUIRE(m.threads() == threads);
      m.randomWeights(21);
      outs.push_back(m.run(cnnc::randomTensor(m.inputShape(), 22, "input", 1.0)));
    }
    for (size_t i = 1; i < outs.size(); ++i) {
      REQUIRE(outs[i].shape() == outs[0].shape());
      CHECK(std::memcmp(outs[i].data(), outs[0].data(), outs[0].size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("threads: 0 means one per CPU and out of range is an error", "[api][concurrency]") {
  cnnc::Options opts;
  opts.threads = 0;
  cnnc::Model m = cnnc::Model::compileFile(seedModel("lenet"), opts);
  CHECK(m.threads() == std::max(1, (int)std::thread::hardware_concurrency()));
  opts.threads = -1;
  CHECK_THROWS_WITH(cnnc::Model::compileFile(seedModel("lenet"), opts),
                    Catch::Contains("Options::threads must be between 0"));
}

TEST_CASE("8 threads call runAll on a model of two inputs and three outputs at once",
          "[api][concurrency]") {
  cnnc::Model m =
      cnnc::Model::compileFile(std::string(CNNC_SOURCE_DIR) + "/tests/models/heads.cnn");
  m.randomWeights(3);
  std::vector<std::vector<cnnc::Tensor>> inputs, want;
  for (int t = 0; t < Threads; ++t) {
    inputs.push_back({cnnc::randomTensor(m.inputShapes()[0], 30 + t, "input", 1.0),
                      cnnc::randomTensor(m.inputShapes()[1], 30 + t, "input_1", 1.0)});
    want.push_back(m.runAll(inputs.back()));
  }
  std::vector<int> mismatches(Threads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < Threads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < Runs / 4; ++r) {
        std::vector<cnnc::Tensor> ys = m.runAll(inputs[t]);
        for (size_t k = 0; k < ys.size(); ++k)
          mismatches[t] +=
              ys[k].shape() != want[t][k].shape() ||
              std::memcmp(ys[k].data(), want[t][k].data(), ys[k].size() * sizeof(float)) != 0;
      }
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 0; t < Threads; ++t)
    CHECK(mismatches[t] == 0);
}

// tests/kernels/CheckModel.h - a model's DSL text run on every target
// against a double-precision reference function of (input, weights): the
// harness of test_graph_ops.cpp and test_acts.cpp.
//
// Tolerance as in test_ops.cpp: max |got - want| <= 1e-4 * max(1, max |want|),
// and a NaN error fails.
#pragma once

#include "../Reference.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <functional>
#include <random>

namespace cnnc::test {

using Weights = cnnc::WeightMap;
using RefFn = std::function<ref::Array(const ref::Array &x, const Weights &w)>;

constexpr double Tolerance = 1e-4;

const std::pair<cnnc::Target, const char *> Targets[] = {{cnnc::Target::Host, "host"},
                                                         {cnnc::Target::AVX2, "avx2"},
                                                         {cnnc::Target::SSE4, "sse4"},
                                                         {cnnc::Target::Generic, "generic"}};

/// Compiles `stmts` (the layers of a model with input `x` of shape `in`) for every target,
/// loads Model::randomWeights(seed), runs it on an input uniform in
/// +-inputScale and compares with `want(input, weights)`. The seed is a hash
/// of `what`, so every case has its own weights and input.
inline void checkScaled(double inputScale, const std::string &what, const cnnc::Shape &in,
                        const std::vector<std::string> &stmts, const RefFn &want) {
  std::vector<std::string> lines; // empty statements are left out
  std::copy_if(stmts.begin(), stmts.end(), std::back_inserter(lines),
               [](const std::string &l) { return !l.empty(); });
  const std::string source = ref::modelSource(in, lines);
  uint32_t seed = 2166136261u; // FNV-1a
  for (char ch : what)
    seed = (seed ^ (unsigned char)ch) * 16777619u;
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(-inputScale, inputScale);
  cnnc::Tensor input(in);
  for (int64_t i = 0; i < input.size(); ++i)
    input[i] = (float)u(g);
  for (auto [target, name] : Targets) {
    INFO("target " << name << ", " << what << "\n" << source);
    try {
      cnnc::Options opts;
      opts.target = target;
      opts.checkArena = true; // guard zones around every buffer, checked after each kernel
      cnnc::Model m = cnnc::Model::compileString(source, "test.cnn", opts);
      const Weights w = m.randomWeights(seed);
      const ref::Array expected = want(ref::fromTensor(input), w);
      cnnc::Tensor y = m.run(input);
      INFO("output shape " << cnnc::shapeToString(y.shape()) << ", expected "
                           << cnnc::shapeToString(expected.shape));
      CHECK(y.shape() == expected.shape);
      if (y.shape() != expected.shape)
        continue;
      double tol = Tolerance * std::max(1.0, ref::maxAbs(expected));
      double err = ref::maxAbsError(y, expected);
      int64_t wi = ref::worstIndex(y, expected);
      INFO("max abs error " << err << " (tolerance " << tol << "); worst at flat index " << wi
                            << ": got " << y[wi] << ", want " << expected.v[(size_t)wi]);
      CHECK(err <= tol); // false for NaN
    } catch (const cnnc::Error &e) {
      FAIL_CHECK("cnnc::Error: " << e.what());
    }
  }
}

/// The host's kernels (their names and plans) for the model of `stmts`, in order.
inline std::vector<cnnc::KernelProfile> kernelsOf(const cnnc::Shape &in,
                                                  const std::vector<std::string> &stmts) {
  cnnc::Model m = cnnc::Model::compileString(ref::modelSource(in, stmts), "test.cnn", {});
  m.loadWeights(m.randomWeights(1));
  return m.profileKernels(cnnc::Tensor(in), 1);
}

/// The host's plan of the layer named `name` in the model of `stmts` ("" if none).
inline std::string planOf(const cnnc::Shape &in, const std::vector<std::string> &stmts,
                          const std::string &name) {
  for (const cnnc::KernelProfile &k : kernelsOf(in, stmts))
    if (k.name == name)
      return k.plan;
  return "";
}

inline void check(const std::string &what, const cnnc::Shape &in,
                  const std::vector<std::string> &stmts, const RefFn &want) {
  checkScaled(1.0, what, in, stmts, want);
}

} // namespace cnnc::test

// tests/passes/test_memory.cpp - the memory plan, checked by an independent
// liveness analysis: no two buffers that are alive at the same time share
// bytes, every slice is aligned and inside the arena, and the plan beats one
// buffer per value.
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

namespace {

cnnc::Graph compilePath(const std::string &rel) {
  std::ifstream f(std::string(CNNC_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  cnnc::Diag diag(rel, ss.str());
  cnnc::Graph g;
  bool ok = cnnc::buildGraph(diag, g) && cnnc::runPipeline(g, diag);
  INFO(diag.text());
  REQUIRE(ok);
  return g;
}

/// A buffer: floats [begin, end) of the arena, busy in time steps [from, to].
/// Node i reads its inputs and writes its output at step 2i + 1; a padded
/// conv copies its input into its scratch at step 2i, before it writes.
/// Every input is written at step 0, before any kernel runs, wherever its
/// node stands; every output is read after the last kernel.
struct Buffer {
  std::string what;
  int64_t begin, end;
  int from, to;
};

std::vector<Buffer> buffers(const cnnc::Graph &g) {
  const int N = (int)g.nodes.size();
  std::vector<int> root(N), lastRead(N, -1);
  for (int i = 0; i < N; ++i) {
    const cnnc::Node &n = g.nodes[i];
    root[i] = !n.dead && cnnc::isView(g, n) ? root[n.inputs[0]] : i;
  }
  for (int i = 0; i < N; ++i) {
    const cnnc::Node &n = g.nodes[i];
    if (n.dead)
      continue;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      bool copiedFirst = k == 0 && n.scratch >= 0;
      lastRead[root[n.inputs[k]]] =
          std::max(lastRead[root[n.inputs[k]]], copiedFirst ? 2 * i : 2 * i + 1);
    }
  }
  for (cnnc::ValueId out : g.outputs)
    lastRead[root[out]] = 2 * N + 2;
  std::vector<Buffer> out;
  for (int i = 0; i < N; ++i) {
    const cnnc::Node &n = g.nodes[i];
    if (n.dead || cnnc::isView(g, n))
      continue;
    int from = n.op == cnnc::OpKind::Input ? 0 : 2 * i + 1;
    out.push_back({n.name, n.offset, n.offset + cnnc::bufferFloats(n), from,
                   std::max(lastRead[i], 2 * i + 1)});
    if (n.scratch >= 0)
      out.push_back({n.name + " (scratch)", n.scratch, n.scratch + cnnc::scratchFloats(g, n), 2 * i,
                     2 * i + 1});
  }
  return out;
}

const char *Models[] = {"examples/seed/mnist_valid.cnn",   "examples/seed/mnist_same.cnn",
                        "examples/seed/mnist_strided.cnn", "examples/seed/mnist_pool.cnn",
                        "examples/seed/lenet.cnn",         "examples/seed/alexnet.cnn",
                        "examples/resnet18.cnn",           "examples/vgg16.cnn",
                        "examples/mobilenet_v1.cnn",       "tests/golden/ir/graph_ops.cnn",
                        "tests/golden/ir/shared.cnn",      "tests/golden/ir/padding.cnn",
                        "tests/golden/ir/multi_io.cnn",    "tests/models/heads.cnn"};

} // namespace

TEST_CASE("memory plan: buffers alive together never overlap", "[passes][memory]") {
  for (const char *path : Models) {
    INFO(path);
    cnnc::Graph g = compilePath(path);
    std::vector<Buffer> bs = buffers(g);
    for (const Buffer &b : bs) {
      INFO(b.what);
      CHECK(b.begin % 16 == 0);
      CHECK(b.begin >= 0);
      CHECK(b.end <= g.arenaFloats);
    }
    for (size_t i = 0; i < bs.size(); ++i)
      for (size_t j = i + 1; j < bs.size(); ++j) {
        bool space = bs[i].begin < bs[j].end && bs[j].begin < bs[i].end;
        bool time = bs[i].from <= bs[j].to && bs[j].from <= bs[i].to;
        INFO(bs[i].what << " and " << bs[j].what);
        CHECK_FALSE((space && time));
      }
    for (const cnnc::Node &n : g.nodes)
      if (!n.dead && cnnc::isView(g, n))
        CHECK(n.offset == g.nodes[n.inputs[0]].offset);
  }
}

TEST_CASE("memory plan: reuse beats a buffer per value", "[passes][memory]") {
  for (const char *path : Models) {
    INFO(path);
    cnnc::Graph g = compilePath(path);
    int64_t largest = 0;
    for (const cnnc::Node &n : g.nodes)
      if (!n.dead)
        largest = std::max(largest, n.type.elements());
    CHECK(g.arenaFloats <= g.naiveFloats);
    CHECK(g.arenaFloats >= largest);
  }
  // The bar: VGG-16 at 224x224 within 2.5x its largest activation.
  cnnc::Graph vgg = compilePath("examples/vgg16.cnn");
  CHECK(vgg.arenaFloats * 2 <= 5 * int64_t(224 * 224 * 64));
  CHECK(vgg.arenaFloats * 2 < vgg.naiveFloats);
}

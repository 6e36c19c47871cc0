// tests/frontend/test_blocks.cpp - block expansion (frontend/Blocks.cpp): the
// layers' names (an instance's prefix, nested ones, numbers, {holes}), parameters
// and defaults, if/else, for, return, calls as arguments, the implicit input, and
// errors that name their instance. tests/error/blocks_*.cnn hold each diagnostic.
#include "frontend/Ast.h"
#include "frontend/Frontend.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

namespace {

struct Built {
  cnnc::Graph g;
  std::string errors;
  bool ok = false;
  /// The node named `name` (dies if there is none: the name is the point).
  const cnnc::Node &node(const std::string &name) const {
    for (const cnnc::Node &n : g.nodes)
      if (n.name == name)
        return n;
    FAIL("no layer named " << name);
    return g.nodes.front();
  }
  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const cnnc::Node &n : g.nodes)
      v.push_back(n.name);
    return v;
  }
  cnnc::ValueId id(const std::string &name) const {
    return (cnnc::ValueId)(&node(name) - &g.nodes[0]);
  }
  int filters(const std::string &name) const {
    return std::get<cnnc::ConvAttrs>(node(name).attrs).filters;
  }
};

Built build(const std::string &body) {
  Built b;
  cnnc::Diag diag("t.cnn", "model m {\n  input x: f32[8, 8, 4]\n" + body + "}\n");
  b.ok = cnnc::buildGraph(diag, b.g);
  b.errors = diag.text();
  return b;
}

const char *Unit = R"(
  block unit(x, width, stride=1, down=false, out=width * 2) {
    conv1 = conv2d(x, filters=width, kernel=1, use_bias=false)
    relu()
    conv2 = conv2d(filters=out, kernel=3, stride=stride, padding=1)
    if down {
      downsample.0 = conv2d(x, filters=out, kernel=1, stride=stride)
      return add(conv2, downsample.0)
    }
    add(conv2, x)
  }
)";

} // namespace

TEST_CASE("blocks: an instance's layers are named <instance>.<name>", "[frontend][blocks]") {
  Built b = build(std::string(Unit) + "  layer1.0 = unit(x, width=2)\n  relu(layer1.0)\n");
  INFO(b.errors);
  REQUIRE(b.ok);
  std::vector<std::string> want = {
      "x", "layer1.0.conv1", "layer1.0.activation", "layer1.0.conv2", "layer1.0.add", "activation"};
  CHECK(b.names() == want);
  // The instance's name stands for its result: the add.
  CHECK(b.node("activation").inputs == std::vector<cnnc::ValueId>{b.id("layer1.0.add")});
  CHECK(b.filters("layer1.0.conv1") == 2);
  CHECK(b.filters("layer1.0.conv2") == 4); // out = width * 2, a default from a parameter
}

TEST_CASE("blocks: arguments by position and by name with defaults and if and return",
          "[frontend][blocks]") {
  Built b = build(std::string(Unit) + "  a = unit(x, 4, 2, true, 4)\n  output a\n");
  INFO(b.errors);
  REQUIRE(b.ok);
  CHECK(b.filters("a.conv2") == 4);
  CHECK(std::get<cnnc::ConvAttrs>(b.node("a.conv2").attrs).sh == 2);
  CHECK(b.filters("a.downsample.0") == 4);
  // return ended the body: the add after the if was not made.
  const std::vector<std::string> names = b.names();
  CHECK(std::count(names.begin(), names.end(), "a.add") == 1);
  CHECK(b.node("a.add").inputs ==
        std::vector<cnnc::ValueId>{b.id("a.conv2"), b.id("a.downsample.0")});
}

TEST_CASE("blocks: nested instances and for loops and {holes} name PyTorch's module paths",
          "[frontend][blocks]") {
  Built b = build(std::string(Unit) + R"(
  block stage(x, width, blocks) {
    0 = unit(x, width=width, down=true)
    for i in range(1, blocks) {
      {i} = unit(width=width * 2 / 2)
    }
  }
  layer1 = stage(width=2, blocks=3)
  for k in range(2) {
    head.{k+1} = conv2d(layer1, filters=k + 1, kernel=1)
  }
  output head.1, head.2
)");
  INFO(b.errors);
  REQUIRE(b.ok);
  for (const char *n : {"layer1.0.conv1", "layer1.0.downsample.0", "layer1.1.conv2",
                        "layer1.2.conv1", "layer1.2.add"})
    CHECK((b.node(n).op == cnnc::OpKind::Conv2D || b.node(n).op == cnnc::OpKind::Add));
  // Each instance after the first reads the one before (the implicit input).
  CHECK(b.node("layer1.1.conv1").inputs == std::vector<cnnc::ValueId>{b.id("layer1.0.add")});
  CHECK(b.filters("head.1") == 1);
  CHECK(b.filters("head.2") == 2);
  CHECK(b.node("head.2").inputs == std::vector<cnnc::ValueId>{b.id("layer1.2.add")});
}

TEST_CASE("blocks: a call as an argument is built first and unnamed", "[frontend][blocks]") {
  Built b = build("  y = relu(add(x, tanh(x)))\n");
  INFO(b.errors);
  REQUIRE(b.ok);
  std::vector<std::string> want = {"x", "activation", "add", "y"};
  CHECK(b.names() == want);
  CHECK(b.node("add").inputs == std::vector<cnnc::ValueId>{0, 1});
  CHECK(b.node("y").inputs == std::vector<cnnc::ValueId>{2});
}

TEST_CASE("blocks: unnamed instances get Keras-style names per block", "[frontend][blocks]") {
  Built b = build("  block pair(x) {\n    a = relu(x)\n  }\n  pair()\n  pair()\n");
  INFO(b.errors);
  REQUIRE(b.ok);
  std::vector<std::string> want = {"x", "pair.a", "pair_1.a"};
  CHECK(b.names() == want);
}

TEST_CASE("blocks: an error in a body names its instance once per mistake", "[frontend][blocks]") {
  Built b = build(std::string(Unit) + "  l.0 = unit(x, width=0)\n  l.1 = unit(x, width=0)\n");
  CHECK_FALSE(b.ok);
  // One error: the same mistake in l.1 is not shown again.
  CHECK(b.errors.find("t.cnn:5:31: error: 'filters' must be at least 1, got 0 (in instance 'l.0' "
                      "at 14:9)\n") == 0);
  CHECK(b.errors.find("'l.1'") == std::string::npos);
}

TEST_CASE("blocks: expressions", "[frontend][blocks]") {
  Built b = build(R"(
  a = conv2d(x, filters=7 / 2, kernel=1)
  b = conv2d(x, filters=-7 / 2 + 6, kernel=(1 + 2, 3 * 1))
  c = conv2d(x, filters=2 * (1 + 2), kernel=1)
  if 1 < 2 and not (3 == 4) and same != valid and 1 == 1.0 {
    d = conv2d(x, filters=1, kernel=1)
  } else if true {
    e = relu(x)
  }
  f = batchnorm(x, epsilon=1e-5 * 2)
  output a, b, c, d, f
)");
  INFO(b.errors);
  REQUIRE(b.ok);
  CHECK(b.filters("a") == 3);
  CHECK(b.filters("b") == 2); // -7 / 2 rounds down to -4
  CHECK(std::get<cnnc::ConvAttrs>(b.node("b").attrs).kh == 3);
  CHECK(b.filters("c") == 6);
  CHECK(b.filters("d") == 1);
  CHECK(std::get<cnnc::BatchNormAttrs>(b.node("f").attrs).eps == Approx(2e-5));
}

TEST_CASE("blocks: the parser keeps a block's parameters and body", "[frontend][blocks]") {
  cnnc::Diag diag("t.cnn",
                  "model m {\n block b(x, k=3, d=false) {\n  0 = relu(x)\n  return 0\n }\n}\n");
  cnnc::AstModule m = cnnc::parse(diag.source(), diag);
  INFO(diag.text());
  REQUIRE_FALSE(diag.hasErrors());
  REQUIRE(m.blocks.size() == 1);
  const cnnc::AstBlock &b = m.blocks[0];
  CHECK(b.name == "b");
  REQUIRE(b.params.size() == 3);
  CHECK((b.params[0].name == "x" && !b.params[0].hasDefault));
  CHECK((b.params[1].hasDefault && b.params[1].def.i == 3));
  CHECK((b.params[2].def.kind == cnnc::AstValue::Ident && b.params[2].def.s == "false"));
  REQUIRE(b.body.size() == 2);
  CHECK(b.body[0].result == "0");
  CHECK(b.body[1].kind == cnnc::AstStmt::Return);
}

TEST_CASE("blocks: a block calling itself or a loop too long ends in an error quickly",
          "[frontend][blocks]") {
  Built r = build("  block f(x) {\n    g(x)\n  }\n  block g(x) {\n    f(x)\n  }\n  f(x)\n");
  CHECK_FALSE(r.ok);
  CHECK(r.errors.find("block 'f' calls itself through 'g'") != std::string::npos);
  // Blocks calling a block 100 times, 5 deep: 10^10 layers, stopped at the layer limit.
  std::string wide;
  for (int k = 0; k < 5; ++k)
    wide += "  block b" + std::to_string(k) + "(x) {\n    for i in range(100) {\n      " +
            (k == 4 ? std::string("relu(x)") : "b" + std::to_string(k + 1) + "(x)") +
            "\n    }\n  }\n";
  Built w = build(wide + "  b0(x)\n");
  CHECK_FALSE(w.ok);
  CHECK(w.errors.find("too many layers") != std::string::npos);
}

TEST_CASE("blocks: examples/resnet50.cnn and mobilenet_v2.cnn take at most 60 lines",
          "[frontend][blocks]") {
  // Issue 15's budget: comments and blank lines aside.
  for (const char *name : {"resnet50", "mobilenet_v2"}) {
    std::ifstream f(std::string(CNNC_SOURCE_DIR) + "/examples/" + name + ".cnn");
    REQUIRE(f);
    int lines = 0;
    for (std::string l; std::getline(f, l);) {
      size_t first = l.find_first_not_of(" \t");
      lines += first != std::string::npos && l[first] != '#';
    }
    INFO(name);
    CHECK(lines <= 60);
  }
}

TEST_CASE("blocks: a one-line body is a body and not a name's hole", "[frontend][blocks]") {
  Built b = build("  block f(x) {relu(x)}\n  if true {y = f(x)}\n");
  INFO(b.errors);
  REQUIRE(b.ok);
  std::vector<std::string> want = {"x", "y.activation"};
  CHECK(b.names() == want);
}

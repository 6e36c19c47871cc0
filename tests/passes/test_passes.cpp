// tests/passes/test_passes.cpp - shape inference (parameter counts, output
// shapes, Keras auto names, 'same' padding), activation fusion, tile and
// memory plans, the summary table and the per-stage graph dumps.
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::string seedPath(const std::string &name) {
  return std::string(CNNC_SOURCE_DIR) + "/examples/seed/" + name + ".cnn";
}

/// Each seed model compiled once for the whole file, without the JIT (the
/// layer table and the summary come from the passes).
const cnnc::Model &seed(const std::string &name) {
  static std::map<std::string, cnnc::Model> models;
  auto it = models.find(name);
  if (it == models.end()) {
    cnnc::Options opts;
    opts.generateCode = false;
    it = models.emplace(name, cnnc::Model::compileFile(seedPath(name), opts)).first;
  }
  return it->second;
}

/// Front end and passes only (no JIT).
struct Compiled {
  bool ok = false;
  std::string errors;
  cnnc::Graph g;
  const cnnc::Node &node(const std::string &name) const {
    for (const cnnc::Node &n : g.nodes)
      if (n.name == name && !n.dead)
        return n;
    FAIL("no live node named '" << name << "' in\n" << cnnc::printGraph(g));
    throw; // unreachable
  }
};

Compiled compile(const std::string &source, bool passes = true) {
  Compiled c;
  cnnc::Diag diag("test.cnn", source);
  c.ok = cnnc::buildGraph(diag, c.g) && (!passes || cnnc::runPipeline(c.g, diag));
  c.errors = diag.text();
  return c;
}

Compiled compileSeed(const std::string &name) {
  std::ifstream f(seedPath(name));
  std::stringstream ss;
  ss << f.rdbuf();
  Compiled c = compile(ss.str());
  REQUIRE(c.ok);
  return c;
}

} // namespace

TEST_CASE("total parameters of every seed model", "[passes]") {
  const std::pair<const char *, int64_t> want[] = {
      {"mnist_valid", 2002698}, {"mnist_same", 3231498}, {"mnist_strided", 85770},
      {"mnist_pool", 113386},   {"lenet", 61706},        {"alexnet", 62378344}};
  for (auto &[name, params] : want) {
    INFO(name);
    CHECK(seed(name).totalParams() == params);
    int64_t sum = 0;
    for (const cnnc::LayerInfo &l : seed(name).layers())
      sum += l.params;
    CHECK(sum == params);
  }
}

TEST_CASE("AlexNet's layer table: name and type and output shape and parameters", "[passes]") {
  struct Row {
    const char *name, *type;
    cnnc::Shape shape;
    int64_t params;
  };
  const std::vector<Row> want = {{"conv2d", "Conv2D", {55, 55, 96}, 34944},
                                 {"max_pooling2d", "MaxPooling2D", {27, 27, 96}, 0},
                                 {"conv2d_1", "Conv2D", {27, 27, 256}, 614656},
                                 {"max_pooling2d_1", "MaxPooling2D", {13, 13, 256}, 0},
                                 {"conv2d_2", "Conv2D", {13, 13, 384}, 885120},
                                 {"conv2d_3", "Conv2D", {13, 13, 384}, 1327488},
                                 {"conv2d_4", "Conv2D", {13, 13, 256}, 884992},
                                 {"max_pooling2d_2", "MaxPooling2D", {6, 6, 256}, 0},
                                 {"flatten", "Flatten", {9216}, 0},
                                 {"dense", "Dense", {4096}, 37752832},
                                 {"dense_1", "Dense", {4096}, 16781312},
                                 {"dense_2", "Dense", {1000}, 4097000}};
  std::vector<cnnc::LayerInfo> got = seed("alexnet").layers();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("layer " << i << ": " << got[i].name);
    CHECK(got[i].name == want[i].name);
    CHECK(got[i].type == want[i].type);
    CHECK(got[i].outputShape == want[i].shape);
    CHECK(got[i].params == want[i].params);
  }
  CHECK(seed("alexnet").inputShape() == cnnc::Shape{227, 227, 3});
  CHECK(seed("alexnet").outputShape() == cnnc::Shape{1000});
}

TEST_CASE("Keras auto names: a counter per kind - explicit names take no number", "[passes]") {
  Compiled c = compile("model m {\n"
                       "  input x: f32[32, 32, 3]\n"
                       "  conv2d(filters=4, kernel=3)\n"                                // conv2d
                       "  mine = conv2d(filters=4, kernel=3)\n"                         // explicit
                       "  conv2d(filters=4, kernel=3, padding=same, activation=relu)\n" // conv2d_1
                       "  maxpool2d()\n"                 // max_pooling2d
                       "  avgpool2d(size=1)\n"           // average_pooling2d
                       "  avgpool2d(size=1)\n"           // average_pooling2d_1
                       "  relu()\n"                      // activation
                       "  conv2d_2 = tanh()\n"           // explicit, takes conv2d_2
                       "  conv2d(filters=4, kernel=1)\n" // conv2d_3 (conv2d_2 is taken)
                       "  flatten()\n"                   // flatten
                       "  dense(units=8)\n"              // dense
                       "  dense(units=8)\n"              // dense_1
                       "}\n",
                       false);
  REQUIRE(c.ok);
  std::vector<std::string> names;
  for (const cnnc::Node &n : c.g.nodes)
    names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"x", "conv2d", "mine", "conv2d_1", "conv2d_1/relu",
                                          "max_pooling2d", "average_pooling2d",
                                          "average_pooling2d_1", "activation", "conv2d_2",
                                          "conv2d_3", "flatten", "dense", "dense_1"});
  CHECK(c.g.nodes[4].implicit);
  CHECK_FALSE(c.g.nodes[8].implicit);
}

TEST_CASE("'same' padding: output ceil(n / s) with the odd pixel at the bottom/right", "[passes]") {
  struct Case {
    int n, k, s;
    int64_t out;
    int before, after;
  };
  const Case cases[] = {{28, 3, 2, 14, 0, 1}, {7, 3, 2, 4, 1, 1},     {28, 3, 1, 28, 1, 1},
                        {14, 3, 2, 7, 0, 1},  {27, 5, 1, 27, 2, 2},   {5, 5, 3, 2, 1, 2},
                        {4, 5, 1, 4, 2, 2},   {6, 1, 2, 3, 0, 0},     {10, 4, 2, 5, 1, 1},
                        {11, 4, 2, 6, 1, 2},  {224, 7, 2, 112, 2, 3}, {1, 3, 1, 1, 1, 1}};
  for (const Case &t : cases) {
    for (const char *op : {"conv2d(filters=2, kernel=", "maxpool2d(size=", "avgpool2d(size="}) {
      // The same case on both axes, for conv2d and both pools.
      std::string src = "model m {\n  input x: f32[" + std::to_string(t.n) + ", " +
                        std::to_string(t.n) + ", 2]\n  " + op + std::to_string(t.k) +
                        ", stride=" + std::to_string(t.s) + ", padding=same)\n}\n";
      INFO(src);
      Compiled c = compile(src);
      REQUIRE(c.ok);
      const cnnc::Node &n = c.g.nodes[1];
      CHECK(n.type.dims == std::vector<int64_t>{t.out, t.out, 2});
      const cnnc::Padding &p = n.op == cnnc::OpKind::Conv2D ? cnnc::attrs<cnnc::ConvAttrs>(n).pad
                                                            : cnnc::attrs<cnnc::PoolAttrs>(n).pad;
      CHECK(p.mode == cnnc::PadMode::Same);
      CHECK(p.top == t.before);
      CHECK(p.bottom == t.after);
      CHECK(p.left == t.before);
      CHECK(p.right == t.after);
      CHECK(cnnc::windowOutput(t.n, t.k, t.s, cnnc::PadMode::Same, 0, 0) == t.out);
    }
  }
  // Height and width resolve independently.
  Compiled c = compile("model m {\n  input x: f32[28, 7, 1]\n  conv2d(filters=1, kernel=3, "
                       "stride=2, padding=same)\n}\n");
  REQUIRE(c.ok);
  const cnnc::ConvAttrs &a = cnnc::attrs<cnnc::ConvAttrs>(c.g.nodes[1]);
  CHECK(c.g.nodes[1].type.dims == std::vector<int64_t>{14, 4, 1});
  CHECK((a.pad.top == 0 && a.pad.bottom == 1 && a.pad.left == 1 && a.pad.right == 1));
}

TEST_CASE("valid and explicit window sizes", "[passes]") {
  using cnnc::PadMode;
  CHECK(cnnc::windowOutput(28, 3, 1, PadMode::Valid, 0, 0) == 26);
  CHECK(cnnc::windowOutput(227, 11, 4, PadMode::Valid, 0, 0) == 55);
  CHECK(cnnc::windowOutput(55, 3, 2, PadMode::Valid, 0, 0) == 27);
  CHECK(cnnc::windowOutput(11, 2, 2, PadMode::Valid, 0, 0) == 5); // floor
  CHECK(cnnc::windowOutput(3, 3, 1, PadMode::Valid, 0, 0) == 1);
  CHECK(cnnc::windowOutput(2, 3, 1, PadMode::Valid, 0, 0) == 0); // does not fit
  CHECK(cnnc::windowOutput(7, 3, 1, PadMode::Explicit, 2, 2) == 9);
  CHECK(cnnc::windowOutput(2, 5, 1, PadMode::Explicit, 1, 1) == 0);
}

/// What a node absorbed, as the IR prints it.
static std::vector<std::string> absorbed(const cnnc::Node &n) {
  std::vector<std::string> out;
  for (const cnnc::Absorbed &a : n.absorbed)
    out.push_back(a.str());
  return out;
}

TEST_CASE("fusion: implicit and explicit activations join conv2d and dense", "[passes]") {
  Compiled c = compile("model m {\n"
                       "  input x: f32[8, 8, 3]\n"
                       "  a = conv2d(filters=4, kernel=3, activation=relu)\n" // implicit
                       "  b = conv2d(filters=4, kernel=3)\n"
                       "  t = tanh()\n" // explicit
                       "  s = conv2d(filters=4, kernel=1)\n"
                       "  softmax()\n" // not into conv2d
                       "  flatten()\n"
                       "  d = dense(units=5)\n"
                       "  sm = softmax()\n" // into dense
                       "}\n");
  REQUIRE(c.ok);
  using cnnc::Act;
  CHECK(cnnc::attrs<cnnc::ConvAttrs>(c.node("a")).act == Act::Relu);
  CHECK(absorbed(c.node("a")) == std::vector<std::string>{"relu"});
  CHECK(cnnc::attrs<cnnc::ConvAttrs>(c.node("b")).act == Act::Tanh);
  CHECK(absorbed(c.node("b")) == std::vector<std::string>{"t (tanh)"});
  CHECK(cnnc::attrs<cnnc::ConvAttrs>(c.node("s")).act == Act::Linear);
  CHECK(c.node("activation").op == cnnc::OpKind::Activation); // the softmax after s stays
  CHECK(cnnc::attrs<cnnc::DenseAttrs>(c.node("d")).act == Act::Softmax);
  CHECK(c.g.outputs ==
        std::vector<cnnc::ValueId>{(cnnc::ValueId)(&c.node("d") - c.g.nodes.data())});
  int live = 0;
  for (const cnnc::Node &n : c.g.nodes)
    live += !n.dead;
  CHECK(live == 6); // x a b s activation d (the flatten is in d)
  CHECK(absorbed(c.node("d")) == std::vector<std::string>{"flatten (flatten)", "sm (softmax)"});
  CHECK(cnnc::attrs<cnnc::DenseAttrs>(c.node("d")).image);
}

TEST_CASE("fusion: not when the result has another user or is the output", "[passes]") {
  Compiled two = compile("model m {\n  input x: f32[8, 8, 3]\n  c = conv2d(filters=4, kernel=3)\n"
                         "  r = relu(c)\n  t = tanh(c)\n  s = add(r, t)\n}\n");
  REQUIRE(two.ok);
  CHECK(cnnc::attrs<cnnc::ConvAttrs>(two.node("c")).act == cnnc::Act::Linear);
  CHECK(two.node("c").absorbed.empty());
  CHECK(two.node("r").op == cnnc::OpKind::Activation);
  CHECK(two.node("t").op == cnnc::OpKind::Activation);

  Compiled out =
      compile("model m {\n  input x: f32[10]\n  d = dense(units=4)\n  relu(d)\n  output d\n}\n");
  REQUIRE(out.ok);
  CHECK(cnnc::attrs<cnnc::DenseAttrs>(out.node("d")).act == cnnc::Act::Linear);
  CHECK(out.node("d").absorbed.empty()); // the relu after the output is dead code

  // An activation after an already fused one, or after a pool, stays.
  Compiled chain = compile(
      "model m {\n  input x: f32[8, 8, 3]\n  c = conv2d(filters=4, kernel=1, activation=relu)\n"
      "  s = sigmoid()\n  p = maxpool2d()\n  r = relu()\n}\n");
  REQUIRE(chain.ok);
  CHECK(cnnc::attrs<cnnc::ConvAttrs>(chain.node("c")).act == cnnc::Act::Relu);
  CHECK(chain.node("s").op == cnnc::OpKind::Activation);
  CHECK(chain.node("r").op == cnnc::OpKind::Activation);

  // The summary lists the layers as written, explicit activations included.
  cnnc::Model m =
      cnnc::Model::compileString("model m {\n  input x: f32[10]\n  dense(units=4)\n  relu()\n}\n");
  std::vector<cnnc::LayerInfo> layers = m.layers();
  REQUIRE(layers.size() == 2);
  CHECK(layers[1].name == "activation");
  CHECK(layers[1].type == "Activation");
}

TEST_CASE("tile plans keep a tile's input rows within L1", "[passes]") {
  // Sweep pool shapes; a tile of `rows` output rows and `cblocks` 16-channel
  // blocks reads ((rows - 1) * sh + kh) input rows of that many channel blocks.
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int iter = 0; iter < 200; ++iter) {
    int h = pick(1, 300), w = pick(1, 300), c = pick(1, 600), k = pick(1, 5), s = pick(1, 4);
    bool same = pick(0, 1);
    if (!same && (k > h || k > w))
      continue;
    std::string src = "model m {\n  input x: f32[" + std::to_string(h) + ", " + std::to_string(w) +
                      ", " + std::to_string(c) + "]\n  maxpool2d(size=" + std::to_string(k) +
                      ", stride=" + std::to_string(s) + (same ? ", padding=same" : "") + ")\n}\n";
    INFO(src);
    Compiled m = compile(src);
    REQUIRE(m.ok);
    const cnnc::PoolAttrs &a = cnnc::attrs<cnnc::PoolAttrs>(m.g.nodes[1]);
    int64_t oh = m.g.nodes[1].type.dims[0], blocks = (c + 15) / 16;
    CHECK(a.tile.rows >= 1);
    CHECK(a.tile.rows <= oh);
    CHECK(a.tile.cblocks >= 1);
    CHECK(a.tile.cblocks <= blocks);
    int64_t bytes = ((int64_t)(a.tile.rows - 1) * s + k) * w * 16 * 4 * a.tile.cblocks;
    if (a.tile.rows > 1 || a.tile.cblocks > 1)
      CHECK(bytes <= 32 * 1024);
  }
}

TEST_CASE("the pipeline: its passes in order and an error stops it", "[passes]") {
  std::vector<std::string> names;
  for (const cnnc::PassInfo &p : cnnc::defaultPipeline())
    names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"infer-shapes", "remove-identity", "eliminate-dead",
                                          "merge-common", "fold-zeropad", "fold-batchnorm", "fuse",
                                          "tile-pooling", "plan-memory"});

  cnnc::Diag diag(
      "t.cnn",
      "model m {\n  input x: f32[2, 2, 1]\n  conv2d(filters=1, kernel=3)\n  dense(units=2)\n}\n");
  cnnc::Graph g;
  REQUIRE(cnnc::buildGraph(diag, g));
  std::vector<std::string> stages;
  cnnc::PipelineHooks hooks;
  hooks.afterStage = [&](const std::string &stage, int, const cnnc::Graph &) {
    stages.push_back(stage);
  };
  CHECK_FALSE(cnnc::runPipeline(g, diag, hooks));
  CHECK(stages == std::vector<std::string>{"parsed"});
  CHECK(diag.errorCount() == 1); // the dense after the failed conv is skipped, not reported too
}

TEST_CASE("the summary table of lenet", "[passes]") {
  std::string s = seed("lenet").summary();
  INFO(s);
  CHECK(s.find("Model: \"lenet\"") != std::string::npos);
  CHECK(s.find(" conv2d_1 (Conv2D)") != std::string::npos);
  CHECK(s.find("(None, 10, 10, 16)") != std::string::npos);
  CHECK(s.find("(None, 5, 5, 16)") != std::string::npos);
  CHECK(s.find("average_pooling2d_1 (AveragePooling2D)") != std::string::npos);
  CHECK(s.find(" probs (Dense)") != std::string::npos);
  CHECK(s.find(" dense (Dense)                          (None, 120)               48120\n") !=
        std::string::npos);
  CHECK(s.find("Total params: 61,706") != std::string::npos);
  CHECK(s.find("Trainable params: 61,706") != std::string::npos);
  CHECK(s.find("Non-trainable params: 0") != std::string::npos);
}

TEST_CASE("the summary of a graph model: Connected to and non-trainable statistics", "[passes]") {
  cnnc::Options opts;
  opts.generateCode = false;
  cnnc::Model m =
      cnnc::Model::compileFile(std::string(CNNC_SOURCE_DIR) + "/examples/resnet18.cnn", opts);
  std::string s = m.summary();
  CHECK(s.find("Connected to") != std::string::npos);
  CHECK(s.find(" image (InputLayer)") != std::string::npos);
  CHECK(s.find("[(None, 224, 224, 3)]") != std::string::npos);
  // A residual add lists both inputs, one per line.
  CHECK(s.find("['layer1_0_bn2[0][0]',\n") != std::string::npos);
  CHECK(s.find(" 'maxpool[0][0]']") != std::string::npos);
  // Keras counts batchnorm's moving mean and variance as non-trainable.
  CHECK(s.find("Total params: 11,699,112") != std::string::npos);
  CHECK(s.find("Trainable params: 11,689,512") != std::string::npos);
  CHECK(s.find("Non-trainable params: 9,600") != std::string::npos);
  CHECK(m.trainableParams() == 11689512);
  // A chain keeps the Sequential layout (no input row, no fourth column).
  CHECK(seed("lenet").summary().find("Connected to") == std::string::npos);
}

TEST_CASE("memory(): arena vs a buffer per value", "[passes]") {
  cnnc::Options opts;
  opts.generateCode = false;
  cnnc::Model m =
      cnnc::Model::compileFile(std::string(CNNC_SOURCE_DIR) + "/examples/vgg16.cnn", opts);
  cnnc::MemoryInfo mem = m.memory();
  CHECK(mem.largestBytes == 224 * 224 * 64 * 4);
  CHECK(mem.arenaBytes <= mem.largestBytes * 5 / 2);
  CHECK(mem.naiveBytes > 2 * mem.arenaBytes);
  CHECK(mem.table.find("features_0") != std::string::npos);
}

TEST_CASE("dump-graph writes one Graphviz file per stage", "[passes]") {
  fs::path dir =
      fs::temp_directory_path() / ("cnnc-dump-" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  cnnc::Options opts;
  opts.dumpGraphDir = (dir / "nested").string(); // created on demand
  cnnc::Model::compileFile(seedPath("mnist_pool"), opts);
  std::vector<std::string> files = {"00-parsed.dot"};
  for (const cnnc::PassInfo &p : cnnc::defaultPipeline()) {
    char name[64];
    std::snprintf(name, sizeof name, "%02zu-%s.dot", files.size(), p.name);
    files.push_back(name);
  }
  size_t count = 0;
  for (const auto &e : fs::directory_iterator(dir / "nested"))
    count += e.path().extension() == ".dot";
  CHECK(count == files.size());
  bool haveDot = std::system("command -v dot >/dev/null 2>&1") == 0;
  if (!haveDot)
    WARN("graphviz 'dot' is not on PATH: not rendering the dumps");
  for (const std::string &f : files) {
    fs::path p = dir / "nested" / f;
    INFO(p.string());
    REQUIRE(fs::exists(p));
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str().rfind("digraph \"mnist_pool\" {", 0) == 0);
    if (haveDot) {
      std::string cmd = "dot -Tsvg '" + p.string() + "' -o '" + p.string() + ".svg' 2>/dev/null";
      CHECK(std::system(cmd.c_str()) == 0);
      CHECK(fs::file_size(p.string() + ".svg") > 0);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("shape inference reports every independent branch that cannot work", "[passes]") {
  cnnc::Diag diag("t.cnn",
                  "model m {\n  input x: f32[4, 4, 2]\n  a = conv2d(x, filters=1, kernel=5)\n"
                  "  b = maxpool2d(x, size=7)\n  c = dense(x, units=3)\n  relu(a)\n}\n");
  cnnc::Graph g;
  REQUIRE(cnnc::buildGraph(diag, g));
  CHECK_FALSE(cnnc::runPipeline(g, diag));
  CHECK(diag.errorCount() == 3);
  CHECK(diag.text().find("t.cnn:3:7: error: a 5x5 kernel does not fit") != std::string::npos);
  CHECK(diag.text().find("t.cnn:4:7: error: a 7x7 pool window does not fit") != std::string::npos);
  CHECK(diag.text().find("t.cnn:5:7: error: dense needs a vector input") != std::string::npos);
}

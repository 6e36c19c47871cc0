// tests/import/test_import.cpp - cnnc import (api/Import.cpp) and the DSL
// writer (frontend/Writer.cpp): the ONNX fixtures written as .cnn +
// .safetensors give PyTorch's numbers and the .onnx run's; every model of the
// repository written and read back is the same graph; what cannot be written
// is a clear error.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "frontend/Frontend.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
const std::string Onnx = std::string(CNNC_SOURCE_DIR) + "/tests/onnx/";

std::string readText(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// A fresh directory under the build tree for one test's files.
std::string scratchDir(const std::string &name) {
  fs::path d = fs::path(CNNC_BINARY_DIR) / "tests" / "import" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

/// [1, C, H, W] -> [H, W, C]; [1, N] -> [N].
cnnc::Tensor toHwc(const cnnc::Tensor &t) {
  const cnnc::Shape &s = t.shape();
  if (s.size() == 2)
    return cnnc::Tensor({s[1]}, std::vector<float>(t.data(), t.data() + t.size()));
  REQUIRE(s.size() == 4);
  const int64_t C = s[1], H = s[2], W = s[3];
  cnnc::Tensor out({H, W, C});
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < H * W; ++i)
      out[i * C + c] = t[c * H * W + i];
  return out;
}

double maxAbs(const cnnc::Tensor &t) {
  double m = 0;
  for (int64_t i = 0; i < t.size(); ++i)
    m = std::max(m, (double)std::fabs(t[i]));
  return m;
}

double maxDiff(const cnnc::Tensor &a, const cnnc::Tensor &b) {
  REQUIRE(a.shape() == b.shape());
  double m = 0;
  for (int64_t i = 0; i < a.size(); ++i)
    m = std::max(m, (double)std::fabs(a[i] - b[i]));
  return m;
}

/// The written text's leading '# ' lines, as writeDsl's comment.
std::string headerOf(const std::string &text) {
  std::string comment;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line) && line.rfind("# ", 0) == 0;) {
    if (!comment.empty())
      comment += '\n';
    comment.append(line, 2);
  }
  return comment;
}

cnnc::Graph build(const std::string &text, const std::string &file) {
  cnnc::Diag diag(file, text);
  cnnc::Graph g;
  INFO(diag.text());
  REQUIRE(cnnc::buildGraph(diag, g));
  return g;
}

/// One line per live node: its name, op, inputs' names and attributes.
std::vector<std::string> layers(const cnnc::Graph &g) {
  std::vector<std::string> out;
  for (const cnnc::Node &n : g.nodes) {
    std::string s = n.name + " = " + cnnc::opName(n.op) + "(";
    for (cnnc::ValueId in : n.inputs)
      s += g.nodes[in].name + " ";
    out.push_back(s + ") {" + cnnc::attrString(n) + "}");
  }
  for (cnnc::ValueId o : g.outputs)
    out.push_back("output " + g.nodes[o].name);
  return out;
}

void checkImported(const std::string &name, cnnc::Target target) {
  const std::string dir = scratchDir(name + std::to_string((int)target));
  cnnc::ImportedModel r = cnnc::importModel(Onnx + name + ".onnx", dir + "/" + name + ".cnn");
  CHECK(r.weightsPath == dir + "/" + name + ".safetensors");
  CHECK(r.layers > 0);
  cnnc::Options o;
  o.target = target;
  o.checkArena = true;
  cnnc::Model cnn = cnnc::Model::compileFile(r.cnnPath, o);
  cnn.loadWeights(r.weightsPath);
  CHECK_FALSE(cnn.channelsFirst());
  const cnnc::Tensor x = toHwc(cnnc::loadNpy(Onnx + name + ".x.npy"));
  const cnnc::Tensor want = toHwc(cnnc::loadNpy(Onnx + name + ".y.npy"));
  const cnnc::Tensor y = cnn.runAll({x}).at(0);
  const cnnc::Tensor direct = cnnc::Model::compileFile(Onnx + name + ".onnx", o).runAll({x}).at(0);
  std::ifstream f(Onnx + "fixtures.json");
  const double err32 = nlohmann::json::parse(f)[name]["err32"];
  const double peak = maxAbs(want), err = maxDiff(y, want), vsOnnx = maxDiff(y, direct);
  INFO(name << " on target " << (int)target << ": max error " << err << " (vs the .onnx run "
            << vsOnnx << "), max |y| " << peak);
  CHECK(err <= std::max(1e-4 * peak, 4 * err32));
  // The same graph as the .onnx, but for epsilons written as the float they were.
  CHECK(vsOnnx <= 1e-6 * std::max(peak, 1.0));
  // Written, read back and written again: the same text.
  const std::string text = readText(r.cnnPath);
  CHECK(cnnc::writeDsl(build(text, r.cnnPath), headerOf(text)) == text);
}

} // namespace

TEST_CASE("imported ONNX fixtures run as .cnn with PyTorch's numbers on every target",
          "[import][fixtures]") {
  std::ifstream f(Onnx + "fixtures.json"); // every fixture scripts/make_onnx_fixtures.py made
  const nlohmann::json fixtures = nlohmann::json::parse(f);
  REQUIRE(fixtures.size() >= 6);
  for (auto it = fixtures.begin(); it != fixtures.end(); ++it)
    for (cnnc::Target t :
         {cnnc::Target::Host, cnnc::Target::AVX2, cnnc::Target::SSE4, cnnc::Target::Generic})
      checkImported(it.key(), t);
}

TEST_CASE("an imported model reads as one statement per layer", "[import][text]") {
  const std::string dir = scratchDir("text");
  cnnc::ImportedModel r = cnnc::importModel(Onnx + "convs.onnx", dir + "/my-convs.cnn");
  const std::string text = readText(r.cnnPath);
  INFO(text);
  CHECK(text.rfind("# Imported from convs.onnx by cnnc import; weights: my-convs.safetensors.",
                   0) == 0);
  CHECK(text.find("\nmodel my_convs {\n  input ") != std::string::npos);
  CHECK(text.find(" = conv2d(") != std::string::npos);
  CHECK(text.find(" = dense(") != std::string::npos);
  CHECK(text.find("\n  output ") != std::string::npos);
  // Every layer with weights has all of them in the file, and nothing else is there.
  cnnc::Options o;
  o.generateCode = false;
  const cnnc::Model m = cnnc::Model::compileFile(r.cnnPath, o);
  const cnnc::WeightMap w = cnnc::loadSafetensors(r.weightsPath);
  CHECK((int)w.size() == r.weights);
  CHECK(w.size() == m.weightShapes().size());
  for (const auto &[key, shape] : m.weightShapes())
    CHECK(w.count(key));
}

TEST_CASE("every .cnn model of the repository written and read back is the same graph",
          "[import][roundtrip]") {
  int models = 0;
  for (const char *sub : {"examples", "examples/seed", "tests/models", "tests/golden/ir"})
    for (const auto &e : fs::directory_iterator(std::string(CNNC_SOURCE_DIR) + "/" + sub)) {
      if (e.path().extension() != ".cnn")
        continue;
      INFO(e.path().string());
      const cnnc::Graph g = build(readText(e.path().string()), e.path().string());
      const std::string text = cnnc::writeDsl(g);
      INFO(text);
      const cnnc::Graph back = build(text, "written.cnn");
      // The same layers (less those no output needs), inputs, attributes and outputs.
      const std::vector<std::string> written = layers(back);
      std::vector<std::string> kept;
      for (const std::string &l : layers(g))
        if (std::count(written.begin(), written.end(), l))
          kept.push_back(l);
      CHECK(written == kept);
      CHECK(written.size() + 2 >= g.nodes.size()); // graph_ops.cnn has one unused layer
      CHECK(cnnc::writeDsl(back) == text);
      ++models;
    }
  CHECK(models >= 20);
}

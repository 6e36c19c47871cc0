// tests/import/test_writer.cpp - the DSL writer (frontend/Writer.cpp) on
// hand-made graphs: the exact text, splits and implicit activations written
// back as the DSL spells them, and the graphs that cannot be written.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "frontend/Frontend.h"

#include <catch2/catch.hpp>

#include <filesystem>

namespace {

cnnc::Graph build(const std::string &text) {
  cnnc::Diag diag("t.cnn", text);
  cnnc::Graph g;
  INFO(diag.text());
  REQUIRE(cnnc::buildGraph(diag, g));
  return g;
}

cnnc::ValueId named(const cnnc::Graph &g, const std::string &name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name)
      return (cnnc::ValueId)i;
  FAIL("no node " << name);
  return -1;
}

} // namespace

TEST_CASE("the writer spells every attribute as the DSL does", "[import][writer]") {
  const cnnc::Graph g = build(R"(model t {
  input x: f32[8, 8, 3]
  c = conv2d(x, filters=4, kernel=(3, 1), padding=(1, 0, 0, 0), activation=relu, use_bias=false)
  p = avgpool2d(c, size=2, padding=1, count_include_pad=false, ceil_mode=true)
  m = maxpool2d(p, size=(1, 2), stride=1, padding=same)
  a, b = split(m, parts=2)
  e, f, h = split(m, sizes=(1, 2, 1))
  s = concat(b, a, f)
  u = upsample2d(s, size=(5, 7), mode=bilinear, align_corners=true)
  l = leaky_relu(u, alpha=0.1)
  k = clip(l, min=-1, max=1.5)
  q = gelu(k, approximate=tanh)
  d = slice(q, start=1, end=-1)
  n = batchnorm(d, epsilon=1e-5)
  z = zeropad2d(n, padding=(1, 2))
  unused = relu(z)
  output z, e
})");
  std::vector<std::string> written;
  const std::string text = cnnc::writeDsl(g, "a comment\non two lines", &written);
  CHECK(text == R"(# a comment
# on two lines
model t {
  input x: f32[8, 8, 3]
  c = conv2d(x, filters=4, kernel=(3, 1), stride=1, padding=(1, 0, 0, 0), use_bias=false, activation=relu)
  p = avgpool2d(c, size=2, stride=2, padding=1, ceil_mode=true, count_include_pad=false)
  m = maxpool2d(p, size=(1, 2), stride=1, padding=same)
  a, b = split(m, parts=2)
  e, f, h = split(m, sizes=(1, 2, 1))
  s = concat(b, a, f)
  u = upsample2d(s, size=(5, 7), mode=bilinear, align_corners=true)
  l = leaky_relu(u, alpha=0.1)
  k = clip(l, min=-1, max=1.5)
  q = gelu(k, approximate=tanh)
  d = slice(q, start=1, end=-1)
  n = batchnorm(d, epsilon=1e-05)
  z = zeropad2d(n, padding=(1, 2))
  output z, e
}
)");
  // The layers, not the input nor the unused relu.
  CHECK(written == std::vector<std::string>{"c", "p", "m", "a", "b", "e", "f", "h", "s", "u", "l",
                                            "k", "q", "d", "n", "z"});
}

TEST_CASE("a lone part of a split is written as the slice it is", "[import][writer]") {
  cnnc::Graph g = build("model t {\n  input x: f32[4, 4, 6]\n  r = relu(x)\n"
                        "  a, b, c = split(r, parts=3)\n  output b\n}\n");
  CHECK(cnnc::writeDsl(g).find("  a, b, c = split(r, parts=3)\n") != std::string::npos);
  g.nodes[named(g, "a")].dead = g.nodes[named(g, "c")].dead = true; // as after a pass
  CHECK_THROWS_WITH(cnnc::writeDsl(g), Catch::Contains("layer 'b' (slice): a part of a split "
                                                       "whose input's shape is unknown"));
  g.nodes[named(g, "r")].type.dims = {4, 4, 6}; // as the ONNX importer leaves it
  CHECK(cnnc::writeDsl(g).find("  b = slice(r, start=2, end=4)\n") != std::string::npos);
}

TEST_CASE("graphs the DSL cannot say are errors naming the layer", "[import][writer]") {
  const std::string src = "model t {\n  input x: f32[4, 4, 2]\n  c = conv2d(x, filters=2, "
                          "kernel=1)\n  r = relu(c)\n  output r\n}\n";
  cnnc::Graph g = build(src);
  cnnc::attrs<cnnc::ConvAttrs>(g.nodes[named(g, "c")]).residual = true;
  CHECK_THROWS_WITH(cnnc::writeDsl(g),
                    Catch::Contains("layer 'c' (conv2d): attribute 'residual' is set by a "
                                    "compiler pass"));
  g = build(src);
  g.nodes[named(g, "c")].name = "conv/1";
  CHECK_THROWS_WITH(cnnc::writeDsl(g), Catch::Contains("layer 'conv/1' (conv2d): the name is not "
                                                       "a DSL name"));
  g = build(src);
  g.nodes[named(g, "r")].name = g.nodes[named(g, "c")].name;
  CHECK_THROWS_WITH(cnnc::writeDsl(g), Catch::Contains("layer 'c' (activation): the name is used "
                                                       "twice"));
  g = build(src);
  g.outputs.push_back(g.outputs[0]);
  CHECK_THROWS_WITH(cnnc::writeDsl(g), Catch::Contains("'r' is two of the outputs"));
  g = build(src);
  g.outputs = {g.inputs[0]};
  CHECK_THROWS_WITH(cnnc::writeDsl(g), Catch::Contains("the output 'x' is a model input"));
  g = build(src);
  g.name = "my-model";
  CHECK_THROWS_WITH(cnnc::writeDsl(g), Catch::Contains("the model name 'my-model' is not a DSL "
                                                       "name"));
}

TEST_CASE("importModel's errors name the file", "[import][errors]") {
  namespace fs = std::filesystem;
  const std::string onnx = std::string(CNNC_SOURCE_DIR) + "/tests/onnx/";
  const std::string dir = (fs::path(CNNC_BINARY_DIR) / "tests" / "import" / "errors").string();
  fs::create_directories(dir);
  CHECK_THROWS_WITH(cnnc::importModel(onnx + "graph.onnx", dir + "/graph.txt"),
                    Catch::Contains("graph.txt: error: the output must be a .cnn path"));
  CHECK_THROWS_WITH(cnnc::importModel(dir + "/missing.onnx", dir + "/m.cnn"),
                    Catch::Contains("missing.onnx: error: cannot open the model file"));
  CHECK_THROWS_WITH(cnnc::importModel(onnx + "errors/unsupported.onnx", dir + "/u.cnn"),
                    Catch::StartsWith(onnx + "errors/unsupported.onnx: error: ") &&
                        Catch::Contains("op type not supported"));
  CHECK_FALSE(fs::exists(dir + "/u.cnn"));
  CHECK_THROWS_WITH(cnnc::importModel(onnx + "graph.onnx", dir + "/no/such/dir/g.cnn"),
                    Catch::Contains("no/such/dir/g.safetensors: cannot open file for writing"));
}

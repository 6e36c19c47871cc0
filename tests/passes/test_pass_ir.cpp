// tests/passes/test_pass_ir.cpp - one pass at a time, on textual IR (LLVM's
// `opt -passes=X` + FileCheck habit). Each tests/passes/ir/*.ir holds
//
//   # pass: NAME
//   model m { ... }        the input, as printGraph writes it
//   # expect:
//   model m { ... }        printGraph's text after that one pass
//
// and every printed stage of every example model must read back to the same
// text, so the printer and ir/IRParser.cpp cannot drift apart.
//
// To regenerate the expectations after an intended change:
//   CNNC_UPDATE_GOLDEN=1 ./cnnc_tests "[pass-ir]"
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// Parses `text` as IR; fails the test with the diagnostics if it does not parse.
cnnc::Graph parse(const std::string &file, const std::string &text) {
  cnnc::Diag diag(file, text);
  cnnc::Graph g;
  bool ok = cnnc::parseGraph(diag, g);
  INFO(diag.text());
  REQUIRE(ok);
  return g;
}

const cnnc::PassInfo *findPass(const std::string &name) {
  for (const cnnc::PassInfo &p : cnnc::defaultPipeline())
    if (name == p.name)
      return &p;
  return nullptr;
}

std::vector<fs::path> files(const fs::path &dir, const std::string &ext) {
  std::vector<fs::path> out;
  for (const auto &e : fs::directory_iterator(dir))
    if (e.path().extension() == ext)
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("each pass on its own from textual IR", "[passes][pass-ir]") {
  const fs::path dir = fs::path(CNNC_SOURCE_DIR) / "tests" / "passes" / "ir";
  std::vector<fs::path> cases = files(dir, ".ir");
  REQUIRE(cases.size() >= 8);
  for (const fs::path &file : cases) {
    SECTION(file.filename().string()) {
      std::string text = readFile(file);
      size_t split = text.find("# expect:\n");
      REQUIRE(text.rfind("# pass: ", 0) == 0);
      REQUIRE(split != std::string::npos);
      std::string passName = text.substr(8, text.find('\n') - 8);
      const cnnc::PassInfo *pass = findPass(passName);
      INFO("pass '" << passName << "'");
      REQUIRE(pass);
      cnnc::Graph g = parse(file.string(), text.substr(0, split));
      cnnc::Diag diag(file.string(), "");
      pass->run(g, diag);
      REQUIRE(diag.text() == "");
      REQUIRE(cnnc::verify(g) == "");
      std::string got = cnnc::printGraph(g);
      const char *update = std::getenv("CNNC_UPDATE_GOLDEN");
      if (update && std::string(update) == "1") {
        std::ofstream(file, std::ios::binary) << text.substr(0, split + 10) << got;
        continue;
      }
      CHECK(got == text.substr(split + 10));
    }
  }
}

TEST_CASE("every printed stage of every example reads back as printed", "[passes][pass-ir]") {
  const fs::path root = CNNC_SOURCE_DIR;
  std::vector<fs::path> models = files(root / "examples", ".cnn");
  for (const fs::path &p : files(root / "examples" / "seed", ".cnn"))
    models.push_back(p);
  for (const fs::path &p : files(root / "tests" / "golden" / "ir", ".cnn"))
    models.push_back(p);
  REQUIRE(models.size() >= 12);
  int stages = 0;
  for (const fs::path &model : models) {
    cnnc::Diag diag(model.string(), readFile(model));
    cnnc::Graph g;
    REQUIRE(cnnc::buildGraph(diag, g));
    cnnc::PipelineHooks hooks;
    hooks.afterStage = [&](const std::string &stage, int, const cnnc::Graph &at) {
      std::string text = cnnc::printGraph(at);
      INFO(model.filename().string() << " after " << stage);
      CHECK(cnnc::printGraph(parse(model.string(), text)) == text);
      ++stages;
    };
    REQUIRE(cnnc::runPipeline(g, diag, hooks));
  }
  CHECK(stages >= 12 * 10);
}

TEST_CASE("the IR parser reports malformed text with its line and column", "[passes][pass-ir]") {
  const std::pair<const char *, const char *> bad[] = {
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  output %0\n", "ends before its closing"},
      {"modle m {\n}\n", "1:1: error: expected 'model NAME {'"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = relu(%0) {name=r} : f32[4]\n"
       "  output %1\n}\n",
       "3:8: error: unknown op 'relu'"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = activation(%0) {name=r, act=rleu} : "
       "f32[4]\n  output %1\n}\n",
       "3:32: error: bad value 'rleu' for 'act'"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = activation(%0) {name=r, act=relu, "
       "units=3} : f32[4]\n  output %1\n}\n",
       "3:42: error: unknown attribute 'units' for activation"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = activation(%7) {name=r, act=relu} : "
       "f32[4]\n  output %1\n}\n",
       "3:19: error: '%7' is not a defined value"},
      {"model m {\n  %3 = input() {name=x} : f32[4]\n  %1 = activation(%3) {name=r, act=relu} : "
       "f32[4]\n  output %1\n}\n",
       "3:3: error: ids must increase"},
      {"model m {\n  %0 = input() {name=x} : f32[0]\n  output %0\n}\n",
       "2:27: error: expected a type"},
      // An absorbed entry cut short after " (" (the IR fuzzer's first find).
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = dense(%0) {name=d, units=2} : f32[2]  "
       "# absorbed: r (\n  output %1\n}\n",
       "an absorbed entry is"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = dense(%0) {name=d(, units=2} : f32[2]\n"
       "  output %1\n}\n",
       "bad value 'd(, units=2' for 'name'"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = dense(%0) {name=d, units=2} : f32[2]\n"
       "}\n",
       "4:1: error: the model has no 'output %N' line"},
      {"model m {\n  %0 = input() {name=x} : f32[2, 2, 1]\n  %1 = upsample2d(%0) {name=u, "
       "mode=linear} : f32[4, 4, 1]\n  output %1\n}\n",
       "3:32: error: bad value 'linear' for 'mode'"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = dense(%0) {name=d, units=2} : f32[2]\n"
       "  output %1\n  output %0\n}\n",
       "5:3: error: a second 'output' line (list every output in one: output %1, %2)"},
      {"model m {\n  %0 = input() {name=x} : f32[4]\n  %1 = dense(%0) {name=d, units=2} : f32[2]\n"
       "  output %1, %4\n}\n",
       "4:14: error: '%4' is not a defined value"},
  };
  for (auto &[text, want] : bad) {
    cnnc::Diag diag("bad.ir", text);
    cnnc::Graph g;
    INFO(text);
    CHECK_FALSE(cnnc::parseGraph(diag, g));
    CHECK_THAT(diag.text(), Catch::Matchers::Contains(want));
  }
}

// A word attribute (upsample2d's mode) and the scale/size alternatives print
// and read back at every stage.
TEST_CASE("upsample2d's attributes read back as printed", "[passes][pass-ir]") {
  const std::string src =
      "model m {\n  input x: f32[5, 7, 3]\n"
      "  a = upsample2d(size=(9, 4), mode=bilinear, align_corners=true)\n"
      "  b = upsample2d(a, scale=(2, 3))\n  c = upsample2d(b, mode=bilinear)\n}\n";
  cnnc::Diag diag("up.cnn", src);
  cnnc::Graph g;
  REQUIRE(cnnc::buildGraph(diag, g));
  cnnc::PipelineHooks hooks;
  int stages = 0;
  hooks.afterStage = [&](const std::string &stage, int, const cnnc::Graph &at) {
    std::string text = cnnc::printGraph(at);
    INFO("after " << stage << "\n" << text);
    CHECK(cnnc::printGraph(parse("up.ir", text)) == text);
    ++stages;
  };
  REQUIRE(cnnc::runPipeline(g, diag, hooks));
  const std::string text = cnnc::printGraph(g);
  CHECK_THAT(text, Catch::Matchers::Contains("size=[9,4], mode=bilinear, align_corners=true") &&
                       Catch::Matchers::Contains("scale=[2,3], mode=nearest") &&
                       Catch::Matchers::Contains(": f32[36, 24, 3]"));
  CHECK(stages >= 10);
}

// merge-common once keyed nodes by their printed attributes, and printed
// numbers with six digits: these two clips became one node.
TEST_CASE("merge-common keeps ops whose attributes differ in the 7th digit", "[passes][pass-ir]") {
  cnnc::Model m = cnnc::Model::compileString("model m {\n"
                                             "  input x: f32[4]\n"
                                             "  a = clip(x, min=0.1234561, max=2)\n"
                                             "  b = clip(x, min=0.1234564, max=2)\n"
                                             "  s = add(a, b)\n"
                                             "}\n");
  cnnc::Tensor y = m.run(cnnc::Tensor({4}, {0.1234562f, 0.f, 1.f, 3.f}));
  CHECK(y.data()[0] == 0.1234562f + 0.1234564f);
  CHECK(y.data()[1] == 0.1234561f + 0.1234564f);
  CHECK(y.data()[2] == 2.f);
  CHECK(y.data()[3] == 4.f);
}

TEST_CASE("numbers print as the shortest text that reads back the same", "[passes][pass-ir]") {
  CHECK(cnnc::numberString(0.1234561f) == "0.1234561");
  CHECK(cnnc::numberString(1e-5) == "1e-05");
  CHECK(cnnc::numberString(0.3f) == "0.3");
  CHECK(cnnc::numberString(6.0) == "6");
  CHECK(cnnc::actString(cnnc::ActFn(cnnc::Act::Clip, 0.1234561f, 2.f)) == "clip(0.1234561, 2)");
  for (float x : {0.1f, 1.f / 3, 3.4028235e38f, 1.17549435e-38f, -2.5e-7f}) {
    std::string s = cnnc::numberString(x);
    CHECK(std::strtof(s.c_str(), nullptr) == x);
  }
}

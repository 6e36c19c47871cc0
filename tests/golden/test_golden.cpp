// tests/golden/test_golden.cpp - the printed IR (printGraph) after the full
// pass pipeline, diffed against tests/golden/ir/<model>.expected, for every
// example model (examples/, examples/seed/) and every tests/golden/ir/*.cnn;
// and the Graphviz text (graphToDot) of a few models at the parsed and the
// final stage, against tests/golden/dot/<model>-{parsed,final}.dot.expected.
//
// To regenerate after an intended change:
//   CNNC_UPDATE_GOLDEN=1 ./cnnc_tests "[golden]"
// then read the diff of the .expected files before committing them.
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

const fs::path SourceDir = CNNC_SOURCE_DIR;
const fs::path GoldenDir = SourceDir / "tests" / "golden" / "ir";
const fs::path DotGoldenDir = SourceDir / "tests" / "golden" / "dot";

std::string readFile(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool updating() {
  const char *v = std::getenv("CNNC_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

/// The final IR of a model file, or its diagnostics prefixed with "ERROR".
std::string finalIR(const fs::path &model) {
  cnnc::Diag diag(model.filename().string(), readFile(model));
  cnnc::Graph g;
  if (!cnnc::buildGraph(diag, g) || !cnnc::runPipeline(g, diag))
    return "ERROR\n" + diag.text();
  return cnnc::printGraph(g);
}

std::vector<std::string> lines(const std::string &s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);)
    out.push_back(l);
  return out;
}

/// A short report of where two texts first differ.
std::string firstDifference(const std::string &want, const std::string &got) {
  std::vector<std::string> a = lines(want), b = lines(got);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string x = i < a.size() ? a[i] : "<end of file>",
                y = i < b.size() ? b[i] : "<end of output>";
    if (x != y)
      return "line " + std::to_string(i + 1) + ":\n  expected: " + x + "\n  actual:   " + y;
  }
  return "only in trailing whitespace";
}

/// Compares `got` with the file `expected`, or rewrites it when updating.
void checkGolden(const fs::path &expected, const std::string &got, const std::string &what) {
  if (updating()) {
    std::ofstream(expected, std::ios::binary) << got;
    WARN("rewrote " << expected.string());
    return;
  }
  INFO(what << "\nexpected " << expected.string() << " (regenerate with CNNC_UPDATE_GOLDEN=1)");
  REQUIRE(fs::exists(expected));
  std::string want = readFile(expected);
  INFO("first difference at " << firstDifference(want, got) << "\nactual:\n" << got);
  CHECK(got == want);
}

struct Case {
  std::string name;
  fs::path model, expected;
};

std::vector<Case> goldenCases() {
  std::vector<Case> cases;
  for (const char *dir : {"examples/seed", "examples"})
    for (const auto &e : fs::directory_iterator(SourceDir / dir))
      if (e.path().extension() == ".cnn")
        cases.push_back({std::string(dir) + "/" + e.path().stem().string(), e.path(),
                         GoldenDir / (e.path().stem().string() + ".expected")});
  for (const auto &e : fs::directory_iterator(GoldenDir))
    if (e.path().extension() == ".cnn")
      cases.push_back({e.path().stem().string(), e.path(),
                       GoldenDir / (e.path().stem().string() + ".expected")});
  std::sort(cases.begin(), cases.end(),
            [](const Case &a, const Case &b) { return a.name < b.name; });
  return cases;
}

} // namespace

TEST_CASE("golden IR after the full pipeline", "[passes][golden]") {
  std::vector<Case> cases = goldenCases();
  REQUIRE(cases.size() >= 9); // six seed models and at least three of our own
  for (const Case &c : cases) {
    DYNAMIC_SECTION(c.name) {
      checkGolden(c.expected, finalIR(c.model), "model " + c.model.string());
    }
  }
}

TEST_CASE("every golden .expected file belongs to a model", "[passes][golden]") {
  // A stale .expected (its model renamed or deleted) would never be checked.
  std::vector<std::string> names;
  for (const Case &c : goldenCases())
    names.push_back(c.expected.filename().string());
  for (const auto &e : fs::directory_iterator(GoldenDir))
    if (e.path().extension() == ".expected") {
      INFO(e.path().string());
      CHECK(std::find(names.begin(), names.end(), e.path().filename().string()) != names.end());
    }
}

TEST_CASE("printing the IR is deterministic and the pipeline is idempotent", "[passes][golden]") {
  fs::path lenet = SourceDir / "examples" / "seed" / "lenet.cnn";
  std::string first = finalIR(lenet);
  CHECK(first == finalIR(lenet));
  // Running the pipeline a second time over its own result changes nothing.
  cnnc::Diag diag("lenet.cnn", readFile(lenet));
  cnnc::Graph g;
  REQUIRE(cnnc::buildGraph(diag, g));
  REQUIRE(cnnc::runPipeline(g, diag));
  REQUIRE(cnnc::runPipeline(g, diag));
  CHECK(cnnc::printGraph(g) == first);
}

namespace {

/// The DOT text of a model at one stage: "parsed", a pass name, or "final"
/// (the last pass, whatever it is called).
std::string dotAt(const fs::path &model, std::string stage) {
  if (stage == "final")
    stage = cnnc::defaultPipeline().back().name;
  cnnc::Diag diag(model.filename().string(), readFile(model));
  cnnc::Graph g;
  REQUIRE(cnnc::buildGraph(diag, g));
  std::string dot;
  cnnc::PipelineHooks hooks;
  hooks.afterStage = [&](const std::string &s, int, const cnnc::Graph &at) {
    if (s == stage)
      dot = cnnc::graphToDot(at, s);
  };
  REQUIRE(cnnc::runPipeline(g, diag, hooks));
  REQUIRE(!dot.empty());
  return dot;
}

// LeNet: implicit activations fused, pooling tile plans. fusion.cnn: explicit
// activation layers absorbed (named in the cluster title) and some left alone.
const std::pair<fs::path, const char *> DotCases[] = {
    {SourceDir / "examples" / "seed" / "lenet.cnn", "parsed"},
    {SourceDir / "examples" / "seed" / "lenet.cnn", "final"},
    {GoldenDir / "fusion.cnn", "parsed"},
    {GoldenDir / "fusion.cnn", "final"},
    {SourceDir / "examples" / "resnet18.cnn", "final"},
    {GoldenDir / "graph_ops.cnn", "final"},
    {GoldenDir / "multi_io.cnn", "final"},
};

fs::path dotExpected(const fs::path &model, const std::string &stage) {
  return DotGoldenDir / (model.stem().string() + "-" + stage + ".dot.expected");
}

} // namespace

TEST_CASE("golden Graphviz text at the parsed and the final stage", "[passes][golden]") {
  for (const auto &[model, stage] : DotCases) {
    DYNAMIC_SECTION(model.stem().string() << " " << stage) {
      std::string got = dotAt(model, stage);
      CHECK(got == dotAt(model, stage)); // deterministic
      checkGolden(dotExpected(model, stage), got, "model " + model.string() + " at " + stage);
    }
  }
}

TEST_CASE("every golden .dot.expected file belongs to a case", "[passes][golden]") {
  std::vector<std::string> names;
  for (const auto &[model, stage] : DotCases)
    names.push_back(dotExpected(model, stage).filename().string());
  for (const auto &e : fs::directory_iterator(DotGoldenDir)) {
    INFO(e.path().string());
    CHECK(std::find(names.begin(), names.end(), e.path().filename().string()) != names.end());
  }
}

// tests/golden/test_golden.cpp - the printed IR (printGraph) after the full
// pass pipeline, diffed against tests/golden/ir/<model>.expected, for every
// example model (examples/, examples/seed/) and every tests/golden/ir/*.cnn.
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
      std::string got = finalIR(c.model);
      if (updating()) {
        std::ofstream(c.expected, std::ios::binary) << got;
        WARN("rewrote " << c.expected.string());
        continue;
      }
      INFO("model " << c.model.string() << "\nexpected " << c.expected.string()
                    << " (regenerate with CNNC_UPDATE_GOLDEN=1)");
      REQUIRE(fs::exists(c.expected));
      std::string want = readFile(c.expected);
      INFO("first difference at " << firstDifference(want, got) << "\nactual IR:\n" << got);
      CHECK(got == want);
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

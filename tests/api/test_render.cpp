// tests/api/test_render.cpp - in-process Graphviz rendering (api/Render.cpp)
// and Options::dumpFormat: SVG and PNG files, errors as cnnc::Error.
#include "api/Render.h"
#include "cnnc/cnnc.h"
#include "ir/IR.h"

#include "passes/Passes.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("cnnc-render-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string readBytes(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char *lenetPath() { return CNNC_SOURCE_DIR "/examples/seed/lenet.cnn"; }

} // namespace

TEST_CASE("renderDot writes SVG and PNG", "[api][render]") {
  TempDir dir;
  const std::string dot = "digraph g { a -> b [label=\"f32[3]\"]; subgraph cluster_x { c } }";
  cnnc::renderDot(dot, "svg", (dir.path / "g.svg").string());
  std::string svg = readBytes(dir.path / "g.svg");
  CHECK((svg.rfind("<?xml", 0) == 0 || svg.find("<svg") != std::string::npos));
  CHECK(svg.find("f32[3]") != std::string::npos);
  cnnc::renderDot(dot, "png", (dir.path / "g.png").string());
  std::string png = readBytes(dir.path / "g.png");
  REQUIRE(png.size() > 8);
  CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST_CASE("renderDot renders the graph dump of every stage", "[api][render]") {
  TempDir dir;
  cnnc::Options opts;
  opts.generateCode = false;
  opts.dumpGraphDir = dir.path.string();
  opts.dumpFormat = "svg";
  cnnc::Model::compileFile(lenetPath(), opts);
  int svgs = 0, dots = 0;
  for (const auto &e : fs::directory_iterator(dir.path)) {
    svgs += e.path().extension() == ".svg";
    dots += e.path().extension() == ".dot";
    if (e.path().extension() == ".svg") {
      INFO(e.path().string());
      CHECK(readBytes(e.path()).find("<svg") != std::string::npos);
    }
  }
  CHECK(svgs == (int)cnnc::defaultPipeline().size() + 1); // "parsed" and one per pass
  CHECK(dots == svgs); // the .dot stays beside each rendering
  // The fused clusters and the memory plan reach the picture.
  char last_name[64];
  std::snprintf(last_name, sizeof last_name, "%02zu-plan-memory.svg", cnnc::defaultPipeline().size());
  std::string last = readBytes(dir.path / last_name);
  CHECK(last.find("fused: conv2d + tanh") != std::string::npos);
  CHECK(last.find("offset 1024") != std::string::npos);
}

TEST_CASE("renderDot turns bad input into cnnc::Error", "[api][render]") {
  TempDir dir;
  std::string out = (dir.path / "x.svg").string();
  CHECK_THROWS_WITH(cnnc::renderDot("digraph { a -> ", "svg", out),
                    Catch::Contains("cannot parse the DOT text") &&
                        Catch::Contains("syntax error"));
  CHECK_THROWS_AS(cnnc::renderDot("", "svg", out), cnnc::Error);
  CHECK_THROWS_AS(cnnc::renderDot("graph { a -> b }", "png", out), cnnc::Error);
  CHECK_THROWS_WITH(cnnc::renderDot("digraph { a }", "gif", out),
                    Catch::Contains("cannot render graphs as 'gif'"));
  CHECK_THROWS_WITH(cnnc::renderDot("digraph { a }", "svg", (dir.path / "no/such/x.svg").string()),
                    Catch::Contains("cannot write"));
  // Graphviz still works after the errors.
  cnnc::renderDot("digraph { a -> b }", "svg", out);
  CHECK(fs::file_size(out) > 0);
  // An unknown dump format is rejected before anything is compiled.
  cnnc::Options opts;
  opts.dumpFormat = "jpeg";
  CHECK_THROWS_WITH(cnnc::Model::compileFile(lenetPath(), opts),
                    Catch::Contains("unknown graph dump format 'jpeg'"));
}

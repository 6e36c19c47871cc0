// tests/api/test_render.cpp - in-process Graphviz rendering (api/Render.cpp):
// SVG and PNG files, errors as cnnc::Error.
#include "api/Render.h"
#include "cnnc/cnnc.h"

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
}

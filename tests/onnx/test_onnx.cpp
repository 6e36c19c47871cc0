// tests/onnx/test_onnx.cpp - the ONNX front end on the fixtures of
// scripts/make_onnx_fixtures.py: tiny PyTorch models exported to ONNX, run in
// their own layout (NCHW) against PyTorch in float64, and malformed or
// unsupported models that must end in their error.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace {

const std::string Dir = std::string(CNNC_SOURCE_DIR) + "/tests/onnx/";

nlohmann::json readJson(const std::string &path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

void checkFixture(const std::string &name, cnnc::Target target) {
  cnnc::Options o;
  o.target = target;
  o.checkArena = true;
  cnnc::Model m = cnnc::Model::compileFile(Dir + name + ".onnx", o);
  cnnc::Tensor x = cnnc::loadNpy(Dir + name + ".x.npy");
  cnnc::Tensor want = cnnc::loadNpy(Dir + name + ".y.npy");
  std::vector<cnnc::Tensor> ys = m.runSourceLayout({x});
  REQUIRE(ys.size() == 1);
  REQUIRE(ys[0].shape() == want.shape());
  double peak = 0, err = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    peak = std::max(peak, (double)std::fabs(want[i]));
    err = std::max(err, (double)std::fabs(ys[0][i] - want[i]));
  }
  const double err32 = readJson(Dir + "fixtures.json")[name]["err32"];
  INFO(name << " on target " << (int)target << ": max error " << err << ", max |y| " << peak);
  CHECK(err <= std::max(1e-4 * peak, 4 * err32));
}

} // namespace

TEST_CASE("ONNX fixtures match PyTorch in float64 on the host and forced targets",
          "[onnx][fixtures]") {
  for (const char *name : {"convs", "acts", "graph", "channels"})
    for (cnnc::Target t :
         {cnnc::Target::Host, cnnc::Target::AVX2, cnnc::Target::SSE4, cnnc::Target::Generic})
      checkFixture(name, t);
}

TEST_CASE("an ONNX model takes HWC in runAll and NCHW in runSourceLayout", "[onnx][api]") {
  cnnc::Model m = cnnc::Model::compileFile(Dir + "graph.onnx");
  CHECK(m.channelsFirst());
  CHECK(m.inputShapes()[0] == cnnc::Shape{9, 11, 4});
  CHECK(m.sourceInputShapes()[0] == cnnc::Shape{1, 4, 9, 11});
  CHECK(m.sourceOutputShapes()[0] == cnnc::Shape{1, 5});
  CHECK_THROWS_WITH(m.runSourceLayout({cnnc::Tensor({1, 9, 11, 4})}),
                    Catch::Contains("must be [1, 4, 9, 11] (the ONNX graph's NCHW layout)"));
}

TEST_CASE("malformed and unsupported ONNX models end in their error", "[onnx][errors]") {
  const nlohmann::json expect = readJson(Dir + "errors.json");
  for (auto it = expect.begin(); it != expect.end(); ++it) {
    const std::string name = it.key(), text = it.value().get<std::string>();
    INFO(name);
    const std::string path = Dir + "errors/" + name + ".onnx";
    CHECK_THROWS_WITH(cnnc::Model::compileFile(path),
                      Catch::StartsWith(path + ": error: ") && Catch::Contains(text));
  }
}

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
  const nlohmann::json fixtures = readJson(Dir + "fixtures.json"); // every fixture the script made
  REQUIRE(fixtures.size() >= 6);
  for (auto it = fixtures.begin(); it != fixtures.end(); ++it)
    for (cnnc::Target t :
         {cnnc::Target::Host, cnnc::Target::AVX2, cnnc::Target::SSE4, cnnc::Target::Generic})
      checkFixture(it.key(), t);
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

TEST_CASE("an ONNX input's dynamic dimensions are pinned by input shapes", "[onnx][errors]") {
  const std::string path = Dir + "errors/dynamic.onnx"; // Relu on ['batch', 3, 4, 4]
  cnnc::Options o;
  o.inputShapes = {{"", {1, 3, 4, 4}}};
  cnnc::Model m = cnnc::Model::compileFile(path, o);
  CHECK(m.sourceInputShapes() == std::vector<cnnc::Shape>{{1, 3, 4, 4}});
  cnnc::Tensor x({1, 3, 4, 4});
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = float(i % 7) - 3;
  const cnnc::Tensor y = m.runSourceLayout({x})[0];
  for (int64_t i = 0; i < x.size(); ++i)
    CHECK(y[i] == std::max(x[i], 0.0f));
  auto fails = [&](std::vector<std::pair<std::string, std::vector<int64_t>>> pins) {
    o.inputShapes = std::move(pins);
    try {
      cnnc::Model::compileFile(path, o);
    } catch (const cnnc::Error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(fails({{"x", {1, 4, 4, 4}}}),
             Catch::Contains("graph input 'x' has dimension 1 fixed at 3, --input-shape gives 4"));
  CHECK_THAT(fails({{"y", {1, 3, 4, 4}}}),
             Catch::Contains("--input-shape: the model has no graph input 'y'"));
  CHECK_THAT(fails({{"x", {1, 3, 4}}}),
             Catch::Contains("has rank 4, --input-shape gives 3 dimensions"));
  CHECK_THAT(fails({}), Catch::Contains("pin it with --input-shape x=1,C,H,W"));
  const auto pin = cnnc::parseInputShape("in=1,3,224,224");
  CHECK(pin.first == "in");
  CHECK(pin.second == std::vector<int64_t>{1, 3, 224, 224});
  CHECK_THROWS_WITH(cnnc::parseInputShape("1,,3"), Catch::Contains("expected [NAME=]D1,D2"));
  o.inputShapes = {{"", {1, 3, 4, 4}}};
  CHECK_THROWS_WITH(
      cnnc::Model::compileString("model m {\n  input x: f32[4, 4, 3]\noutput x\n}\n", "m.cnn", o),
      Catch::Contains("--input-shape is for ONNX models"));
}

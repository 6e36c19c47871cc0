// tests/models/test_pytorch.cpp - every example model against PyTorch: the
// fixtures (input or its seed, expected output, either a weights file or the
// seed of the shared random generator, and the tolerance) are made by
// scripts/make_fixtures.py.
#include "cnnc/cnnc.h"
#include "runtime/Io.h"
#include "runtime/Random.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace {

std::string src(const std::string &rel) { return std::string(CNNC_SOURCE_DIR) + "/" + rel; }

/// A fixture entry is a path, or a list of them for several inputs or outputs.
std::vector<nlohmann::json> entries(const nlohmann::json &v) {
  return v.is_array() ? std::vector<nlohmann::json>(v.begin(), v.end())
                      : std::vector<nlohmann::json>{v};
}

/// The k-th input: its .npy file, or ("input": null) the shared generator's,
/// like the weights, under the key "input", "input_1", ...
cnnc::Tensor fixtureInput(const nlohmann::json &fx, const cnnc::Model &m, size_t k) {
  if (!fx["input"].is_null())
    return cnnc::readNpy(src(entries(fx["input"]).at(k)));
  std::string key = k ? "input_" + std::to_string(k) : "input";
  return cnnc::randomTensor(m.inputShapes()[k], fx["seed"].get<uint64_t>(), key,
                            fx.value("input_bound", 1.0));
}

void compare(const cnnc::Tensor &got, const cnnc::Tensor &want, double tolerance, bool softmax,
             const std::string &what) {
  REQUIRE(got.shape() == want.shape());
  double maxErr = 0, sum = 0;
  for (int64_t i = 0; i < got.size(); ++i) {
    double err = std::fabs(got[i] - want[i]);
    if (!(err <= maxErr)) // NaN is an error too
      maxErr = err;
    sum += got[i];
  }
  INFO(what << " max abs error " << maxErr << " (tolerance " << tolerance << ")");
  CHECK(maxErr <= tolerance);
  if (softmax)
    CHECK(std::fabs(sum - 1.0) < 1e-4);
}

void checkFixture(const std::string &name, cnnc::Target target) {
  std::ifstream f(src("tests/fixtures/fixtures.json"));
  REQUIRE(f);
  nlohmann::json all = nlohmann::json::parse(f);
  REQUIRE(all.contains(name));
  const nlohmann::json &fx = all[name];
  cnnc::Options opts;
  opts.target = target;
  opts.checkArena = true; // guard zones around every buffer, checked after each kernel
  cnnc::Model m = cnnc::Model::compileFile(src(fx["model"]), opts);
  if (fx["weights"].is_null())
    m.randomWeights(fx["seed"].get<uint64_t>());
  else
    m.loadWeights(src(fx["weights"]));
  std::vector<cnnc::Tensor> xs;
  for (size_t k = 0; k < m.inputShapes().size(); ++k)
    xs.push_back(fixtureInput(fx, m, k));
  std::vector<nlohmann::json> expected = entries(fx["expected"]), softmax = entries(fx["softmax"]);
  std::vector<cnnc::Tensor> got = m.runAll(xs);
  REQUIRE(got.size() == expected.size());
  for (size_t k = 0; k < got.size(); ++k)
    compare(got[k], cnnc::readNpy(src(expected[k])), fx.value("tolerance", 1e-5),
            softmax.at(k).get<bool>(), name + " output " + m.outputNames()[k]);
}

} // namespace

TEST_CASE("seed models match PyTorch on the host target", "[models]") {
  for (const char *name :
       {"mnist_valid", "mnist_same", "mnist_strided", "mnist_pool", "lenet", "alexnet"}) {
    SECTION(name) { checkFixture(name, cnnc::Target::Host); }
  }
}

TEST_CASE("seed models match PyTorch on the forced AVX2 target", "[models]") {
  for (const char *name :
       {"mnist_valid", "mnist_same", "mnist_strided", "mnist_pool", "lenet", "alexnet"}) {
    SECTION(name) { checkFixture(name, cnnc::Target::AVX2); }
  }
}

TEST_CASE("graph models match PyTorch on the host target", "[models][graph]") {
  for (const char *name : {"resnet18", "vgg16", "mobilenet_v1"}) {
    SECTION(name) { checkFixture(name, cnnc::Target::Host); }
  }
}

// VGG-16 is left out here: it is slow, and the host run covers it.
TEST_CASE("graph models match PyTorch on the forced AVX2 target", "[models][graph]") {
  for (const char *name : {"resnet18", "mobilenet_v1"}) {
    SECTION(name) { checkFixture(name, cnnc::Target::AVX2); }
  }
}

TEST_CASE("a small U-Net (transposed convs and skip concats) matches PyTorch", "[models][graph]") {
  for (const char *t : {"host", "avx2", "sse4", "generic"}) {
    SECTION(t) { checkFixture("unet_small", cnnc::parseTarget(t)); }
  }
}

TEST_CASE("YOLOv3-tiny with both heads as outputs matches PyTorch", "[models][graph]") {
  for (const char *t : {"host", "avx2"}) {
    SECTION(t) { checkFixture("yolov3_tiny", cnnc::parseTarget(t)); }
  }
}

TEST_CASE("a DeepLab ASPP head (dilations 6 12 18 and bilinear upsampling) matches PyTorch",
          "[models][graph]") {
  for (const char *t : {"host", "avx2", "sse4", "generic"}) {
    SECTION(t) { checkFixture("deeplab_aspp", cnnc::parseTarget(t)); }
  }
}

// torchvision's EfficientNet-B0 and MobileNetV3-Large (squeeze-and-excitation,
// silu, hardswish, hardsigmoid); tests/models/test_torchvision.cpp checks
// them against torchvision itself.
TEST_CASE("squeeze-and-excitation models match PyTorch on every target", "[models][graph]") {
  for (const char *t : {"host", "avx2", "sse4", "generic"})
    for (const char *name : {"efficientnet_b0", "mobilenet_v3_large"}) {
      SECTION(std::string(name) + " " + t) { checkFixture(name, cnnc::parseTarget(t)); }
    }
}

TEST_CASE("dilation and the new activations and binary ops match PyTorch on every target",
          "[models]") {
  for (const char *t : {"host", "avx2", "sse4", "generic"}) {
    SECTION(t) { checkFixture("ops", cnnc::parseTarget(t)); }
  }
}

TEST_CASE("two inputs and three outputs (YOLO-like heads) match PyTorch on every target",
          "[models]") {
  for (const char *t : {"host", "avx2", "sse4", "generic"}) {
    SECTION(t) { checkFixture("heads", cnnc::parseTarget(t)); }
  }
}

TEST_CASE("a weights file with a wrong shape is rejected naming the key", "[models]") {
  cnnc::Model m = cnnc::Model::compileFile(src("examples/seed/lenet.cnn"));
  cnnc::WeightMap w = cnnc::readSafetensors(src("tests/fixtures/lenet/weights.safetensors"));
  w["conv2d.weight"] = cnnc::Tensor({6, 1, 3, 3});
  REQUIRE_THROWS_WITH(
      m.loadWeights(w),
      Catch::Contains("weight 'conv2d.weight' has shape [6, 1, 3, 3], expected [6, 1, 5, 5]"));
  w.erase("probs.bias");
  REQUIRE_THROWS_WITH(m.loadWeights(w), Catch::Contains("missing weight 'probs.bias'"));
  cnnc::Tensor x({32, 32, 1});
  REQUIRE_THROWS_WITH(m.run(x), Catch::Contains("has no weights"));
}

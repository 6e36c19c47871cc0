// tests/models/test_torchvision.cpp - examples/efficientnet_b0.cnn,
// examples/mobilenet_v3_large.cnn, and resnet50.cnn and mobilenet_v2.cnn (written
// with blocks) are torchvision's models: their layer names are torchvision's
// module paths, so a torchvision state_dict, written to safetensors as torch has
// it (integer num_batches_tracked included), loads as it is (its float keys are
// exactly the model's), and the output matches torchvision's own, run in float64
// by scripts/torchvision_fixture.py (Debian's python3-torchvision) at test time.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace {

void checkTorchvision(const std::string &name, uint64_t seed, double bound, double tolerance,
                      int64_t trainable = 0) {
  const std::string dir = std::string(CNNC_BINARY_DIR) + "/torchvision";
  const std::string cmd = "/usr/bin/python3 " + std::string(CNNC_SOURCE_DIR) +
                          "/scripts/torchvision_fixture.py " + name + " --seed " +
                          std::to_string(seed) + " --bound " + std::to_string(bound) + " --out " +
                          dir + " > " + dir + "-" + name + ".log 2>&1";
  INFO(cmd);
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::vector<std::string> skipped;
  cnnc::WeightMap w = cnnc::loadSafetensors(dir + "/" + name + ".safetensors", &skipped);
  // Every batchnorm's counter is skipped, and nothing else.
  CHECK(!skipped.empty());
  for (const std::string &s : skipped)
    CHECK(s.find(".num_batches_tracked (I64)") != std::string::npos);
  cnnc::Model m =
      cnnc::Model::compileFile(std::string(CNNC_SOURCE_DIR) + "/examples/" + name + ".cnn");
  m.loadWeights(w); // every key the model needs, of its shape
  std::vector<std::string> keys, wanted;
  for (const auto &[key, shape] : m.weightShapes())
    keys.push_back(key);
  for (const auto &[key, t] : w)
    wanted.push_back(key);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == wanted); // no more either: the state_dict's keys, less num_batches_tracked
  if (trainable)
    CHECK(m.trainableParams() == trainable);
  cnnc::Tensor want = cnnc::loadNpy(dir + "/" + name + "-expected.npy");
  cnnc::Tensor got = m.run(cnnc::loadNpy(dir + "/" + name + "-input.npy"));
  REQUIRE(got.shape() == want.shape());
  double maxErr = 0;
  for (int64_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= maxErr))
      maxErr = std::fabs(got[i] - want[i]);
  INFO(name << " max abs error " << maxErr << " (tolerance " << tolerance << ")");
  CHECK(maxErr <= tolerance);
}

} // namespace

TEST_CASE("torchvision's efficientnet_b0 state_dict loads as it is and matches torchvision",
          "[models][torchvision]") {
  checkTorchvision("efficientnet_b0", 10, 1.0, 1e-5);
}

TEST_CASE("torchvision's mobilenet_v3_large state_dict loads as it is and matches torchvision",
          "[models][torchvision]") {
  checkTorchvision("mobilenet_v3_large", 11, 0.1, 2e-4);
}

TEST_CASE(
    "torchvision's resnet50 state_dict loads as it is into the blocks of examples/resnet50.cnn",
    "[models][torchvision]") {
  // Random batchnorm statistics do not normalise: 16 residual blocks take the logits to
  // about 2263, and float32 rounding to 3.4e-3 of them (1.5e-6 relative).
  checkTorchvision("resnet50", 12, 0.1, 1e-2, 25557032);
}

TEST_CASE("torchvision's mobilenet_v2 state_dict loads as it is into the blocks of "
          "examples/mobilenet_v2.cnn",
          "[models][torchvision]") {
  checkTorchvision("mobilenet_v2", 13, 1.0, 1e-4, 3504872);
}

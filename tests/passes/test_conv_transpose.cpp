// tests/passes/test_conv_transpose.cpp - conv2d_transpose through the passes:
// its summary row (Keras's Conv2DTranspose), parameters and FLOPs, its IR
// read back as printed at every stage, a batchnorm and an activation folded
// into its epilogue, and the zero borders of the buffers around it.
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

namespace {

const std::string Source = "model m {\n  input x: f32[6, 5, 8]\n"
                           "  c = conv2d(filters=12, kernel=3, padding=same)\n"
                           "  t = conv2d_transpose(c, filters=10, kernel=3, stride=2, "
                           "padding=same, groups=2)\n"
                           "  b = batchnorm(t)\n  r = relu(b)\n"
                           "  conv2d_transpose(r, filters=4, kernel=(2, 3), stride=(2, 1), "
                           "padding=(1, 0, 0, 1), output_padding=(1, 0), dilation=(1, 2), "
                           "use_bias=false)\n"
                           "  d = conv2d(filters=5, kernel=3, padding=1)\n}\n";

TEST_CASE("conv2d_transpose's summary row and parameters and FLOPs", "[passes]") {
  cnnc::Options opts;
  opts.generateCode = false;
  cnnc::Model m = cnnc::Model::compileString(Source, "t.cnn", opts);
  std::vector<cnnc::LayerInfo> layers = m.layers();
  REQUIRE(layers.size() == 6); // no input row in a sequential model
  CHECK(layers[1].name == "t");
  CHECK(layers[1].type == "Conv2DTranspose");
  CHECK(layers[1].outputShape == cnnc::Shape{12, 10, 10});
  CHECK(layers[1].params == 12 * (10 / 2) * 3 * 3 + 10); // [in, out / groups, kh, kw] + bias
  CHECK(layers[4].name == "conv2d_transpose");           // Keras's auto name
  // H: (12 - 1) * 2 - 1 + 2 + 1 = 24; W: (10 - 1) * 1 - 1 + 2 * 2 + 1 = 13.
  CHECK(layers[4].outputShape == cnnc::Shape{24, 13, 4});
  CHECK(layers[4].params == 10 * 4 * 2 * 3);
  // Every input pixel times every tap and output channel of its group, a multiply-add each.
  const int64_t flops = 2 * (6 * 5 * 8 * 9 * 12) + 2 * (6 * 5 * 12 * 9 * 5) +
                        2 * (12 * 10 * 10 * 6 * 4) + 2 * (24 * 13 * 4 * 9 * 5);
  CHECK(m.flops() == flops);
}

TEST_CASE("conv2d_transpose reads back as printed and folds a batchnorm and a relu",
          "[passes][pass-ir]") {
  cnnc::Diag diag("t.cnn", Source);
  cnnc::Graph g;
  REQUIRE(cnnc::buildGraph(diag, g));
  cnnc::PipelineHooks hooks;
  int stages = 0;
  hooks.afterStage = [&](const std::string &stage, int, const cnnc::Graph &at) {
    const std::string text = cnnc::printGraph(at);
    INFO("after " << stage << "\n" << text);
    cnnc::Diag d("t.ir", text);
    cnnc::Graph back;
    REQUIRE(cnnc::parseGraph(d, back));
    CHECK(cnnc::printGraph(back) == text);
    ++stages;
  };
  REQUIRE(cnnc::runPipeline(g, diag, hooks));
  CHECK(stages >= 10);
  const std::string text = cnnc::printGraph(g);
  INFO(text);
  // The batchnorm and the relu are t's epilogue; the conv before it writes into
  // a buffer with the border t's taps reach (a 3x3 stride 2 'same' reaches one
  // pixel before the input), and t into one with the next transposed conv's
  // (rows: one after; columns: 2 * 2 before and 2 * 2 - 1 after, past the crop).
  CHECK_THAT(text, Catch::Matchers::Contains("padding=same[0,1,0,1], groups=2, "
                                             "bn={name=b, eps=0.001}, act=relu") &&
                       Catch::Matchers::Contains("# absorbed: b (batchnorm), r (relu)") &&
                       Catch::Matchers::Contains("border=[1,0,1,0]} : f32[6, 5, 12]") &&
                       Catch::Matchers::Contains("border=[0,1,4,3]} : f32[12, 10, 10]") &&
                       Catch::Matchers::Contains("border=[1,1,1,1]} : f32[24, 13, 4]"));
}

} // namespace

// tests/runtime/test_image.cpp - image decoding, channel conversion and
// preprocessing: against Pillow's resampling transcribed in scalar fixed point
// (every Highway target), against torchvision's own tensors for committed test
// images (scripts/image_fixtures.py), and hostile images, each a clear error.
#include "cnnc/Io.h"
#include "runtime/Image.h"
#include "runtime/Io.h"
#include "runtime/Preprocess.h"
#include "runtime/Simd.h"

#include <hwy/targets.h>
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace cnnc;
using Catch::Contains;

namespace {

const std::string Dir = std::string(CNNC_SOURCE_DIR) + "/tests/fixtures/images/";

// ---- Pillow's ImagingResample for 8-bit images (Resample.c), transcribed ----

constexpr int kPrecisionBits = 32 - 8 - 2;

struct PilCoeffs {
  int ksize;
  std::vector<int> bounds; // xmin, xmax per output
  std::vector<int32_t> k;
};

PilCoeffs pilCoeffs(int inSize, int outSize) {
  const double scale = double(inSize) / outSize, filterscale = std::max(scale, 1.0);
  const double support = filterscale;
  PilCoeffs c{int(std::ceil(support)) * 2 + 1, std::vector<int>(outSize * 2), {}};
  c.k.assign(size_t(outSize) * c.ksize, 0);
  for (int xx = 0; xx < outSize; ++xx) {
    const double center = (xx + 0.5) * scale, ss = 1.0 / filterscale;
    int xmin = int(center - support + 0.5), xmax = int(center + support + 0.5);
    xmin = std::max(xmin, 0);
    xmax = std::min(xmax, inSize) - xmin;
    std::vector<double> k(c.ksize, 0.0);
    double ww = 0;
    for (int x = 0; x < xmax; ++x) {
      const double t = std::fabs((x + xmin - center + 0.5) * ss);
      ww += k[x] = t < 1.0 ? 1.0 - t : 0.0;
    }
    for (int x = 0; x < c.ksize; ++x) {
      const double v = ww != 0.0 && x < xmax ? k[x] / ww : 0.0;
      c.k[xx * c.ksize + x] = int32_t(v < 0 ? std::trunc(-0.5 + v * (1 << kPrecisionBits))
                                            : std::trunc(0.5 + v * (1 << kPrecisionBits)));
    }
    c.bounds[xx * 2] = xmin;
    c.bounds[xx * 2 + 1] = xmax;
  }
  return c;
}

uint8_t clip8(int64_t v) {
  return uint8_t(std::min<int64_t>(std::max<int64_t>(v >> kPrecisionBits, 0), 255));
}

/// Image.resize((outW, outH), BILINEAR): the horizontal pass, then the vertical one.
Image pilResize(const Image &in, int outW, int outH) {
  const int c = in.channels;
  const PilCoeffs h = pilCoeffs(in.width, outW), v = pilCoeffs(in.height, outH);
  Image mid{in.height, outW, c, std::vector<uint8_t>(size_t(in.height) * outW * c)};
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < outW; ++x)
      for (int ch = 0; ch < c; ++ch) {
        int64_t ss = 1 << (kPrecisionBits - 1);
        for (int t = 0; t < h.bounds[x * 2 + 1]; ++t)
          ss += int64_t(in.pixels[(size_t(y) * in.width + h.bounds[x * 2] + t) * c + ch]) *
                h.k[x * h.ksize + t];
        mid.pixels[(size_t(y) * outW + x) * c + ch] = clip8(ss);
      }
  Image out{outH, outW, c, std::vector<uint8_t>(size_t(outH) * outW * c)};
  for (int y = 0; y < outH; ++y)
    for (int x = 0; x < outW; ++x)
      for (int ch = 0; ch < c; ++ch) {
        int64_t ss = 1 << (kPrecisionBits - 1);
        for (int t = 0; t < v.bounds[y * 2 + 1]; ++t)
          ss += int64_t(mid.pixels[(size_t(v.bounds[y * 2] + t) * outW + x) * c + ch]) *
                v.k[y * v.ksize + t];
        out.pixels[(size_t(y) * outW + x) * c + ch] = clip8(ss);
      }
  return out;
}

Image randomImage(int height, int width, int channels, uint32_t seed) {
  std::mt19937 rng(seed);
  Image im{height, width, channels, std::vector<uint8_t>(size_t(height) * width * channels)};
  for (size_t i = 0; i < im.pixels.size(); ++i) // smooth with noise, like a photo
    im.pixels[i] = uint8_t(std::min<int>(255, int(i / channels % width) * 3 + int(rng() % 40)));
  return im;
}

/// Preprocess with no normalisation: pixel values 0-255.
Preprocess raw(int resize, int crop = 224) {
  Preprocess p;
  p.resize = resize;
  p.crop = crop;
  p.mean = {0.f};
  p.std = {1.f};
  p.scale = 1.f;
  return p;
}

/// The largest difference of preprocessInto from Pillow's resize + centre crop.
float maxDiffFromPil(const Image &im, const Preprocess &p, int outH, int outW) {
  const ResizePlan plan = planResize(im.height, im.width, p, outH, outW, "x");
  const Image pil = pilResize(im, plan.resizedWidth, plan.resizedHeight);
  std::vector<float> got(size_t(outH) * outW * im.channels);
  preprocessInto(im, p, outH, outW, "x", got.data());
  float worst = 0;
  for (int y = 0; y < outH; ++y)
    for (int x = 0; x < outW * im.channels; ++x)
      worst = std::max(worst,
                       std::fabs(got[size_t(y) * outW * im.channels + x] -
                                 pil.pixels[size_t(y + plan.top) * plan.resizedWidth * im.channels +
                                            plan.left * im.channels + x]));
  return worst;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("image: preprocessing matches Pillow within 1 level on every Highway target",
          "[runtime][image]") {
  struct Case {
    int h, w, c, outH, outW, resize;
  };
  const Case cases[] = {{1080 / 8, 1920 / 8, 3, 28, 28, 256},
                        {37, 53, 3, 32, 32, 256},
                        {50, 20, 1, 11, 11, 256},
                        {19, 23, 4, 40, 40, 256},
                        {64, 64, 3, 64, 64, 256},
                        {45, 61, 3, 20, 30, 256},
                        {100, 30, 1, 28, 28, 0},
                        {7, 300, 3, 9, 17, 0}};
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const Case &k : cases) {
      INFO("target " << hwy::TargetName(target) << ": " << k.w << "x" << k.h << "x" << k.c
                     << " into " << k.outW << "x" << k.outH << " resize " << k.resize);
      const Image im = randomImage(k.h, k.w, k.c, uint32_t(k.h * k.w));
      REQUIRE(maxDiffFromPil(im, raw(k.resize), k.outH, k.outW) <= 1.0f);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST_CASE("image: resize sizes and crop offsets follow torchvision", "[runtime][image]") {
  // 1920x1080 into 224x224: Resize(256) gives 455x256, CenterCrop's left round(115.5) = 116.
  ResizePlan p = planResize(1080, 1920, Preprocess{}, 224, 224, "x");
  REQUIRE((p.resizedWidth == 455 && p.resizedHeight == 256 && p.top == 16 && p.left == 116));
  // Python's round() halves to even: (229 - 224) / 2 = 2.5 gives 2.
  p = planResize(256, 229, raw(256), 224, 224, "x");
  REQUIRE((p.resizedWidth == 256 && p.resizedHeight == 286 && p.left == 16 && p.top == 31));
  // A 299 input: the shorter side to floor(299 * 256 / 224) = 341.
  p = planResize(500, 500, Preprocess{}, 299, 299, "x");
  REQUIRE((p.resizedWidth == 341 && p.top == 21));
  // A wide input from a photo whose resize is narrower than it: enlarged until the crop
  // fits (45x61 to 22x29 would leave no 30 columns; CenterCrop would pad with zeros).
  p = planResize(45, 61, Preprocess{}, 20, 30, "x");
  REQUIRE((p.resizedWidth == 30 && p.resizedHeight == 22 && p.left == 0 && p.top == 1));
  // resize 0: straight to the input size.
  p = planResize(100, 37, raw(0), 28, 28, "x");
  REQUIRE((p.resizedWidth == 28 && p.resizedHeight == 28 && p.top == 0 && p.left == 0));
  REQUIRE_THROWS_WITH(planResize(10, 10, raw(-1), 8, 8, "a.png"),
                      Contains("a.png: the resize (-1) and crop (224) sizes must be positive"));
}

TEST_CASE("image: loadImage matches torchvision for the test images", "[runtime][image]") {
  const nlohmann::json cases = nlohmann::json::parse(readAll(Dir + "cases.json"));
  REQUIRE(cases.size() >= 8);
  for (const auto &[name, c] : cases.items()) {
    INFO("case " << name);
    const Preprocess p = raw(c["resize"], c["crop"]);
    Preprocess unit = p;
    unit.scale = 1.f / 255;
    const Tensor got = loadImage(Dir + c["image"].get<std::string>(), unit,
                                 {c["height"], c["width"], c["channels"]});
    const Tensor want = readNpy(Dir + "ref_" + name + ".npy");
    REQUIRE(got.shape() == want.shape());
    float worst = 0;
    for (int64_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::fabs(got[i] - want[i]));
    INFO("largest difference " << worst * 255 << " / 255");
    // No resize: the decode itself, identical to PIL's (the same libjpeg-turbo).
    REQUIRE(worst <= (c["resize"] == 0 && name == "jpg_own_size" ? 1e-6f : 1.f / 255 + 1e-6f));
  }
}

TEST_CASE("image: normalisation is ToTensor then Normalize", "[runtime][image]") {
  const Shape hwc{12, 12, 3};
  const Tensor raw01 = loadImage(Dir + "rgba.png", raw(256), hwc);
  const Tensor norm = loadImage(Dir + "rgba.png", Preprocess{}, hwc);
  const float mean[] = {0.485f, 0.456f, 0.406f}, std[] = {0.229f, 0.224f, 0.225f};
  for (int64_t i = 0; i < norm.size(); ++i)
    REQUIRE(norm[i] == Approx((raw01[i] / 255 - mean[i % 3]) / std[i % 3]).margin(1e-5));
}

TEST_CASE("image: decoding gives PIL's pixels and channel conversions", "[runtime][image]") {
  Image jpg = readImage(Dir + "photo.jpg");
  REQUIRE((jpg.width == 96 && jpg.height == 72 && jpg.channels == 3));
  Image gray = readImage(Dir + "gray.png");
  REQUIRE(gray.channels == 1);
  REQUIRE(readImage(Dir + "rgba.png").channels == 4);
  const Image rgb = toChannels(gray, 3, "g");
  REQUIRE((rgb.pixels[0] == gray.pixels[0] && rgb.pixels[2] == gray.pixels[0]));
  const Image one = toChannels(Image{1, 1, 3, {255, 128, 0}}, 1, "p");
  REQUIRE(int(one.pixels[0]) == (255 * 19595 + 128 * 38470 + 0x8000) >> 16); // PIL's L
  const Image rgba = toChannels(Image{1, 1, 2, {9, 7}}, 4, "p");
  REQUIRE(rgba.pixels == std::vector<uint8_t>{9, 9, 9, 7});
  REQUIRE_THROWS_WITH(toChannels(gray, 2, "g.png"),
                      "g.png: the model's input has 2 channels; an image gives 1 (gray), 3 (RGB) "
                      "or 4 (RGBA)");
  REQUIRE_THROWS_WITH(loadImage(Dir + "photo.jpg", Preprocess{}, {1, 28, 28, 3}),
                      Contains("an image is read into an [H, W, C] input"));
  Preprocess badMean;
  badMean.mean = {0.5f, 0.5f};
  REQUIRE_THROWS_WITH(loadImage(Dir + "photo.jpg", badMean, {8, 8, 3}),
                      Contains("mean has 2 values; the model's input has 3 channels"));
}

// ---- Hostile images: each a clear error naming the file ----

namespace {
void requireRefused(const std::string &file, const std::string &why) {
  const std::string path = Dir + "hostile/" + file;
  REQUIRE_THROWS_WITH(readImage(path), Contains(path + ": ") && Contains(why));
  REQUIRE_THROWS_WITH(decodeImage(readAll(path), file), Contains(why));
}
} // namespace

TEST_CASE("image: a truncated JPEG is an error not a gray image", "[runtime][image]") {
  requireRefused("truncated.jpg", "cannot decode the JPEG: Premature end of JPEG file");
}

TEST_CASE("image: a truncated PNG is an error", "[runtime][image]") {
  requireRefused("truncated.png", "cannot decode the PNG: the file is truncated");
}

TEST_CASE("image: a corrupt JPEG is an error", "[runtime][image]") {
  requireRefused("corrupt.jpg", "cannot decode the JPEG: ");
}

TEST_CASE("image: 0x0 images are errors", "[runtime][image]") {
  requireRefused("zero.png",
                 "cannot decode the PNG: Invalid IHDR data (Image height is zero in IHDR)");
  requireRefused("zero.jpg", "cannot decode the JPEG: ");
}

TEST_CASE("image: a decompression bomb is refused before decoding", "[runtime][image]") {
  requireRefused("bomb.png", "the image is 100000x100000 pixels, more than the limit of 100 "
                             "megapixels (refused before decoding");
  requireRefused("bomb.jpg",
                 "the image is 65000x65000 pixels, more than the limit of 100 megapixels");
  requireRefused("wide.png",
                 "the image is 70000x10 pixels, more than the limit of 65535 pixels a side");
}

TEST_CASE("image: a CMYK JPEG is an error", "[runtime][image]") {
  requireRefused("cmyk.jpg", "CMYK JPEGs are not supported (convert the image to RGB first");
}

TEST_CASE("image: other formats and empty files are errors", "[runtime][image]") {
  requireRefused("notimage.png", "not a JPEG or PNG image (unknown magic bytes)");
  REQUIRE_THROWS_WITH(decodeImage("", "e.jpg"), "e.jpg: the file is empty");
  REQUIRE_THROWS_WITH(readImage(Dir + "missing.jpg"), Contains("missing.jpg: cannot open file"));
  // Every prefix of a valid image is refused or decoded, never a crash.
  for (const char *file : {"photo.jpg", "photo.png"}) {
    const std::string bytes = readAll(Dir + file);
    for (size_t n = 0; n < bytes.size(); n += 7) {
      try {
        decodeImage(bytes.substr(0, n), file);
      } catch (const Error &) {
      }
    }
  }
}

TEST_CASE("image: loadImageBatch stacks NHWC or NCHW for ONNX models", "[runtime][image]") {
  const Shape hwc{9, 11, 4};
  const std::vector<std::string> files{Dir + "photo.jpg", Dir + "rgba.png", Dir + "gray.png"};
  const Preprocess p = Preprocess::defaults(4);
  std::vector<std::string> notes;
  const Tensor nhwc = loadImageBatch(files, p, hwc, false, &notes);
  const Tensor nchw = loadImageBatch(files, p, hwc, true);
  REQUIRE(nhwc.shape() == Shape{3, 9, 11, 4});
  REQUIRE(nchw.shape() == Shape{3, 4, 9, 11});
  REQUIRE(notes.size() == 3);
  REQUIRE(notes[2] == "40x30 gray converted to RGBA, resized to 11x9");
  for (size_t n = 0; n < files.size(); ++n) {
    const Tensor one = loadImage(files[n], p, hwc);
    for (int64_t y = 0; y < 9; ++y)
      for (int64_t x = 0; x < 11; ++x)
        for (int64_t c = 0; c < 4; ++c) {
          const float v = one[(y * 11 + x) * 4 + c];
          REQUIRE(nhwc[((int64_t(n) * 9 + y) * 11 + x) * 4 + c] == v);
          REQUIRE(nchw[((int64_t(n) * 4 + c) * 9 + y) * 11 + x] == v);
        }
  }
}

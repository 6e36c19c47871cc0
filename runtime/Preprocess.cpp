// runtime/Preprocess.cpp - resize, crop and normalise, in two separable passes
// as Pillow's ImagingResample does (horizontal, then vertical), computing only
// the pixels the centre crop keeps.
#include "runtime/Preprocess.h"
#include "runtime/Simd.h"

#include <algorithm>
#include <cmath>

namespace cnnc {

namespace {

/// Above this a resized side is absurd (and overflows int); the crop keeps H x W of it.
constexpr double kMaxResizedSide = 1 << 24;

double bilinear(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

/// 32-bit-aligned float storage padded so the kernels read whole vectors.
std::vector<float> paddedRows(size_t rows, size_t n) {
  return std::vector<float>(rows * simd::padded(n) + simd::kPadFloats);
}

/// The horizontal taps as gathers over an interleaved row of `channels`:
/// index/weights [maxTaps][padded(W * C)].
void gatherTable(const Taps &t, int channels, std::vector<int32_t> &index,
                 std::vector<float> &weights) {
  const size_t width = t.start.size(), n = width * channels, stride = simd::padded(n);
  index.assign(t.maxTaps * stride, 0);
  weights.assign(t.maxTaps * stride, 0.f);
  for (size_t x = 0; x < width; ++x)
    for (int k = 0; k < t.size[x]; ++k)
      for (int c = 0; c < channels; ++c) {
        index[k * stride + x * channels + c] = (t.start[x] + k) * channels + c;
        weights[k * stride + x * channels + c] = static_cast<float>(t.weights[x * t.maxTaps + k]);
      }
}

} // namespace

Preprocess Preprocess::defaults(int channels) {
  Preprocess p;
  if (channels != 3) {
    p.resize = 0;
    p.mean = {0.f};
    p.std = {1.f};
  }
  return p;
}

ResizePlan planResize(int height, int width, const Preprocess &p, int outHeight, int outWidth,
                      const std::string &name) {
  ResizePlan plan{outHeight, outWidth, 0, 0};
  if (p.resize == 0)
    return plan;
  if (p.resize < 0 || p.crop <= 0)
    throw Error(name + ": the resize (" + std::to_string(p.resize) + ") and crop (" +
                std::to_string(p.crop) + ") sizes must be positive (resize 0: no crop)");
  // torchvision's Resize(short): the shorter side to `short`, the longer one
  // in proportion, truncated (Python's int()).
  const double shortSide = std::floor(double(std::min(outHeight, outWidth)) * p.resize / p.crop);
  double h = shortSide, w = shortSide;
  if (width <= height)
    h = std::trunc(shortSide * height / width);
  else
    w = std::trunc(shortSide * width / height);
  // A resize smaller than the input in one direction (a wide input, a tall
  // photo) is enlarged until the crop fits, where CenterCrop would pad with zeros.
  const double cover = std::max({1.0, outHeight / h, outWidth / w});
  if (cover > 1.0) {
    h = std::max<double>(outHeight, std::trunc(h * cover));
    w = std::max<double>(outWidth, std::trunc(w * cover));
  }
  if (h > kMaxResizedSide || w > kMaxResizedSide)
    throw Error(name + ": resizing the " + std::to_string(width) + "x" + std::to_string(height) +
                " image makes a side longer than " + std::to_string(int(kMaxResizedSide)) +
                " pixels; is the resize size right?");
  plan.resizedHeight = static_cast<int>(h);
  plan.resizedWidth = static_cast<int>(w);
  // CenterCrop: Python's round(), halves to even, as nearbyint rounds by default.
  plan.top = static_cast<int>(std::nearbyint((h - outHeight) / 2.0));
  plan.left = static_cast<int>(std::nearbyint((w - outWidth) / 2.0));
  return plan;
}

Taps bilinearTaps(int in, int out, int first, int count) {
  const double scale = double(in) / out, filterScale = std::max(scale, 1.0);
  const double support = filterScale; // the bilinear filter's support is 1
  Taps t;
  t.maxTaps = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.start.resize(count);
  t.size.resize(count);
  t.weights.assign(size_t(count) * t.maxTaps, 0.0);
  for (int i = 0; i < count; ++i) {
    const double center = (first + i + 0.5) * scale;
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), in);
    double sum = 0;
    double *w = &t.weights[size_t(i) * t.maxTaps];
    for (int x = lo; x < hi; ++x)
      sum += w[x - lo] = bilinear((x - center + 0.5) / filterScale);
    for (int x = lo; x < hi && sum != 0.0; ++x)
      w[x - lo] /= sum;
    t.start[i] = lo;
    t.size[i] = std::max(hi - lo, 0);
  }
  return t;
}

void preprocessInto(const Image &image, const Preprocess &p, int outHeight, int outWidth,
                    const std::string &name, float *out) {
  const int c = image.channels;
  for (const std::vector<float> *v : {&p.mean, &p.std})
    if (v->size() != 1 && v->size() != size_t(c))
      throw Error(name + ": " + (v == &p.mean ? "mean" : "std") + " has " +
                  std::to_string(v->size()) + " values; the model's input has " +
                  std::to_string(c) + " channels (give " + std::to_string(c) + ", or 1 for all)");
  const ResizePlan plan = planResize(image.height, image.width, p, outHeight, outWidth, name);
  const Taps across = bilinearTaps(image.width, plan.resizedWidth, plan.left, outWidth);
  const Taps down = bilinearTaps(image.height, plan.resizedHeight, plan.top, outHeight);
  const size_t n = size_t(outWidth) * c, stride = simd::padded(n);
  std::vector<int32_t> index;
  std::vector<float> weights, scale(stride + simd::kPadFloats), bias(stride + simd::kPadFloats);
  gatherTable(across, c, index, weights);
  for (size_t i = 0; i < n; ++i) {
    const float mean = p.mean[p.mean.size() == 1 ? 0 : i % c],
                std = p.std[p.std.size() == 1 ? 0 : i % c];
    scale[i] = p.scale / std;
    bias[i] = -mean / std;
  }
  // Output row y reads input rows [start[y], start[y] + size[y]), a window that only
  // moves down: each input row's horizontal pass is computed once, into a ring of
  // maxTaps rows (row r in slot r % maxTaps), which stays in cache.
  const int slots = down.maxTaps;
  std::vector<float> ring = paddedRows(slots, n), line(size_t(image.width) * c), w(slots);
  std::vector<const float *> window(slots);
  int next = 0; // the next input row to pass horizontally
  for (int y = 0; y < outHeight; ++y) {
    const int lo = down.start[y], hi = lo + down.size[y];
    for (next = std::max(next, lo); next < hi; ++next) {
      simd::u8ToF32(&image.pixels[size_t(next) * line.size()], line.data(), line.size());
      simd::gatherTaps(line.data(), index.data(), weights.data(), across.maxTaps, n,
                       &ring[(next % slots) * stride]);
    }
    for (int k = 0; k < hi - lo; ++k) {
      w[k] = static_cast<float>(down.weights[size_t(y) * slots + k]);
      window[k] = &ring[((lo + k) % slots) * stride];
    }
    simd::blendRows(window.data(), w.data(), hi - lo, n, scale.data(), bias.data(),
                    out + size_t(y) * n);
  }
}

} // namespace cnnc

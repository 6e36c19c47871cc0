// tests/runtime/test_simd.cpp - runtime/Simd.h's Highway kernels against scalar
// loops, on every Highway target this CPU supports (the dispatch forced to each
// with hwy::SetSupportedTargetsForTest, as Highway's own tests do).
#include "runtime/Simd.h"

#include <hwy/targets.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

using namespace cnnc;

namespace {

/// Runs `check` once per supported target, the dispatch pinned to it.
void forEachTarget(const std::function<void()> &check) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  REQUIRE(!targets.empty());
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    INFO("Highway target " << hwy::TargetName(target));
    REQUIRE(simd::dispatchedTarget() == target);
    check();
  }
  hwy::SetSupportedTargetsForTest(0);
}

std::vector<float> randomFloats(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = u(rng);
  return v;
}

double roundByte(double v) { return std::min(std::max(std::floor(v + 0.5), 0.0), 255.0); }

/// Float sums may round a value within 1e-3 of a half either way.
bool nearHalf(double v) { return std::fabs(v - std::floor(v) - 0.5) < 1e-3; }

} // namespace

TEST_CASE("simd: the dispatch reaches every supported Highway target", "[runtime][simd]") {
  std::vector<std::string> names;
  forEachTarget([&] { names.push_back(hwy::TargetName(simd::dispatchedTarget())); });
  // On x86-64 at least SSSE3 or SSE4 and the emulated 128-bit target.
  REQUIRE(names.size() >= 2);
}

TEST_CASE("simd: u8ToF32 matches the scalar conversion", "[runtime][simd]") {
  forEachTarget([] {
    for (size_t n : {0, 1, 15, 16, 17, 64, 100, 1023}) {
      std::vector<uint8_t> in(n);
      for (size_t i = 0; i < n; ++i)
        in[i] = static_cast<uint8_t>(i * 37 + 11);
      std::vector<float> out(n + 1, -1.f);
      simd::u8ToF32(in.data(), out.data(), n);
      for (size_t i = 0; i < n; ++i)
        REQUIRE(out[i] == float(in[i]));
      REQUIRE(out[n] == -1.f); // nothing written past n
    }
  });
}

TEST_CASE("simd: gatherTaps matches the scalar taps", "[runtime][simd]") {
  forEachTarget([] {
    for (size_t n : {1, 5, 16, 33, 100, 673}) {
      const int taps = static_cast<int>(n % 7) + 1;
      const size_t stride = simd::padded(n), rowLen = 3 * n + 5;
      const std::vector<float> row = randomFloats(rowLen, 0.f, 255.f, 1 + n);
      std::vector<float> weights = randomFloats(taps * stride, 0.f, 1.f / taps, 2 + n);
      std::vector<int32_t> index(taps * stride);
      for (size_t i = 0; i < index.size(); ++i)
        index[i] = static_cast<int32_t>((i * 7919) % rowLen);
      std::vector<float> out(n + 1, -1.f);
      simd::gatherTaps(row.data(), index.data(), weights.data(), taps, n, out.data());
      for (size_t i = 0; i < n; ++i) {
        double sum = 0;
        for (int k = 0; k < taps; ++k)
          sum += double(weights[k * stride + i]) * row[index[k * stride + i]];
        INFO("n " << n << " i " << i << " sum " << sum);
        REQUIRE(std::fabs(out[i] - roundByte(sum)) <= (nearHalf(sum) ? 1.0 : 0.0));
      }
      REQUIRE(out[n] == -1.f);
    }
  });
}

TEST_CASE("simd: blendRows matches the scalar blend and normalisation", "[runtime][simd]") {
  forEachTarget([] {
    for (size_t n : {1, 7, 16, 48, 99, 672}) {
      const int taps = static_cast<int>(n % 9) + 1;
      const size_t stride = simd::padded(n) + 64;
      const std::vector<float> rows = randomFloats(taps * stride, 0.f, 255.f, 3 + n);
      std::vector<const float *> pointers;
      for (int k = taps; k-- > 0;) // any rows, in any order
        pointers.insert(pointers.begin(), rows.data() + k * stride);
      const std::vector<float> weights = randomFloats(taps, 0.f, 1.2f / taps, 4 + n);
      const std::vector<float> scale = randomFloats(simd::padded(n), 0.001f, 0.05f, 5 + n);
      const std::vector<float> bias = randomFloats(simd::padded(n), -3.f, 3.f, 6 + n);
      std::vector<float> out(n + 1, -1.f);
      simd::blendRows(pointers.data(), weights.data(), taps, n, scale.data(), bias.data(),
                      out.data());
      for (size_t i = 0; i < n; ++i) {
        double sum = 0;
        for (int k = 0; k < taps; ++k)
          sum += double(weights[k]) * rows[k * stride + i];
        const double want = roundByte(sum) * scale[i] + bias[i];
        INFO("n " << n << " i " << i << " sum " << sum);
        REQUIRE(std::fabs(out[i] - want) <= 1e-5 + (nearHalf(sum) ? scale[i] : 0.0));
      }
      REQUIRE(out[n] == -1.f);
    }
  });
}

TEST_CASE("simd: NHWC to NCHW and back match the scalar transposes", "[runtime][simd]") {
  forEachTarget([] {
    for (int64_t images : {1, 3})
      for (int64_t hw : {1, 7, 50, 257})
        for (int64_t c : {1, 3, 4, 16, 19, 40}) {
          const int64_t count = images * hw * c;
          const std::vector<float> x = randomFloats(count, -1.f, 1.f, uint32_t(hw * c + images));
          std::vector<float> chw(count), hwc(count);
          simd::nhwcToNchw(x.data(), chw.data(), images, hw, c);
          for (int64_t n = 0; n < images; ++n)
            for (int64_t p = 0; p < hw; ++p)
              for (int64_t ch = 0; ch < c; ++ch) {
                INFO("images " << images << " hw " << hw << " c " << c);
                REQUIRE(chw[(n * c + ch) * hw + p] == x[(n * hw + p) * c + ch]);
              }
          simd::nchwToNhwc(chw.data(), hwc.data(), images, hw, c);
          REQUIRE(hwc == x);
        }
  });
}

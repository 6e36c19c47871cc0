// bench/preprocess.cpp - cnnc's image preprocessing (runtime/Preprocess.h, Highway)
// against OpenCV on one 1920x1080 RGB image, decode excluded:
//   cnnc:   torchvision's Resize(256) (antialiased bilinear, 455x256) + CenterCrop(224)
//           + ToTensor + Normalize, to a [224, 224, 3] float tensor
//   opencv: cv::resize(INTER_AREA) straight to 224x224 + convertTo(CV_32F, 1/255)
//   opencv, the same steps: cv::resize(INTER_AREA) to 455x256, the centre 224x224,
//           convertTo(CV_32F, 1/255), subtract the mean, divide by the std
// Both single-threaded (cv::setNumThreads(1)); the median of 200 runs each (and of 50
// on each Highway target the CPU supports).
//   build/bench/bench_preprocess [photo.jpg]   (default: a synthetic photo)
#include "runtime/Preprocess.h"
#include "runtime/Image.h"
#include "runtime/Simd.h"

#include <hwy/targets.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

namespace {

double medianMs(const std::function<void()> &f, int runs = 200) {
  for (int i = 0; i < 5; ++i)
    f();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

cnnc::Image synthetic() {
  cnnc::Image im{1080, 1920, 3, std::vector<uint8_t>(1080 * 1920 * 3)};
  std::mt19937 rng(1);
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      for (int c = 0; c < 3; ++c)
        im.pixels[(size_t(y) * im.width + x) * 3 + c] =
            uint8_t((x * (c + 1) / 8 + y / 5 + rng() % 32) & 255);
  return im;
}

} // namespace

int main(int argc, char **argv) {
  cnnc::Image im = argc > 1 ? cnnc::toChannels(cnnc::readImage(argv[1]), 3, argv[1]) : synthetic();
  std::printf("%dx%d RGB image to a 224x224x3 float tensor; cnnc dispatches to %s\n", im.width,
              im.height, hwy::TargetName(cnnc::simd::dispatchedTarget()));
  std::vector<float> out(224 * 224 * 3);
  const cnnc::Preprocess p;
  const double ours = medianMs([&] { cnnc::preprocessInto(im, p, 224, 224, "bench", out.data()); });

  cv::setNumThreads(1);
  cv::Mat src(im.height, im.width, CV_8UC3, im.pixels.data()), small, f;
  const double area = medianMs([&] {
    cv::resize(src, small, cv::Size(224, 224), 0, 0, cv::INTER_AREA);
    small.convertTo(f, CV_32F, 1.0 / 255);
  });
  const cv::Scalar mean(0.485, 0.456, 0.406), stdev(0.229, 0.224, 0.225);
  const double same = medianMs([&] {
    cv::resize(src, small, cv::Size(455, 256), 0, 0, cv::INTER_AREA);
    small(cv::Rect(116, 16, 224, 224)).convertTo(f, CV_32F, 1.0 / 255);
    cv::subtract(f, mean, f);
    cv::divide(f, stdev, f);
  });
  std::printf("cnnc preprocess (resize 256, crop 224, normalise)        %8.3f ms\n", ours);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) { // each Highway target
    hwy::SetSupportedTargetsForTest(target);
    std::printf("  on %-8s %8.3f ms\n", hwy::TargetName(target),
                medianMs([&] { cnnc::preprocessInto(im, p, 224, 224, "bench", out.data()); }, 50));
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("opencv resize INTER_AREA to 224x224 + convertTo          %8.3f ms  (cnnc %.2fx)\n",
              area, area / ours);
  std::printf("opencv INTER_AREA to 455x256, crop, convertTo, normalise %8.3f ms  (cnnc %.2fx)\n",
              same, same / ours);
  return 0;
}

// runtime/Preprocess.h - an image to a model input, as torchvision's
// Resize + CenterCrop + ToTensor + Normalize on a PIL image computes it
// (cnnc/Io.h's Preprocess). The loops are runtime/Simd.h's (Highway).
#pragma once

#include "cnnc/Io.h"
#include "runtime/Image.h"

#include <string>
#include <vector>

namespace cnnc {

/// Where an image goes: resized to resizedHeight x resizedWidth, of which the
/// model's H x W starting at (top, left) is kept.
struct ResizePlan {
  int resizedHeight = 0, resizedWidth = 0, top = 0, left = 0;
};

/// torchvision's sizes for an image of height x width into an H x W input
/// (Preprocess's rule); `name` is used in errors.
ResizePlan planResize(int height, int width, const Preprocess &p, int outHeight, int outWidth,
                      const std::string &name);

/// PIL's antialiased bilinear filter (Pillow's precompute_coeffs, support 1
/// widened by the downscale factor) for `in` samples resized to `out`, for the
/// outputs [first, first + count): output i reads inputs start[i] to
/// start[i] + size[i] - 1 with weights[i * maxTaps + k] (summing to 1).
struct Taps {
  int maxTaps = 0;
  std::vector<int> start, size;
  std::vector<double> weights;
};
Taps bilinearTaps(int in, int out, int first, int count);

/// The image (already of the model's channel count) into out[H][W][C]
/// (C = image.channels); mean and std have 1 or C values.
void preprocessInto(const Image &image, const Preprocess &p, int outHeight, int outWidth,
                    const std::string &name, float *out);

} // namespace cnnc

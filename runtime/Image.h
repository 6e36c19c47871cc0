// runtime/Image.h - JPEG (libjpeg-turbo) and PNG (libpng) decoding to 8-bit
// pixels, and the channel conversions PIL's Image.convert makes.
// Every malformed, truncated, oversized or unsupported image is a cnnc::Error
// naming the file, never a crash, an exit() or an out-of-memory.
#pragma once

#include "cnnc/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc {

/// Decoded pixels, row-major HWC: 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA) channels.
struct Image {
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

/// The largest image decoded: checked against the header before any pixel
/// buffer is allocated (a small file can claim 65535 x 65535 pixels).
/// Sides are limited as JPEG's are (which bounds a resize's filter taps).
constexpr int64_t kMaxImagePixels = 100'000'000;
constexpr uint64_t kMaxImageSide = 65535;

/// Decodes a JPEG or PNG held in memory (the format from its magic bytes);
/// `name` is used in errors. Images of more than `maxPixels` pixels are refused.
Image decodeImage(const std::string &bytes, const std::string &name,
                  int64_t maxPixels = kMaxImagePixels);
Image readImage(const std::string &path, int64_t maxPixels = kMaxImagePixels);

/// The image with `channels` channels as PIL's convert gives them: to 3 ('RGB')
/// gray is repeated and alpha dropped; to 1 ('L') RGB becomes
/// (19595 R + 38470 G + 7471 B + 2^15) >> 16; to 4 ('RGBA') alpha is 255 where absent.
/// Any other count is an error naming `name`.
Image toChannels(Image image, int channels, const std::string &name);

/// "RGB", "gray", "gray+alpha", "RGBA"
const char *channelsName(int channels);

} // namespace cnnc

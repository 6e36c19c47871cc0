// fuzz/image.cpp - the JPEG/PNG decoder and the preprocessing on arbitrary bytes,
// from memory. Every bad image must be a cnnc::Error; anything else escaping, a
// crash, a sanitizer report, a leak or an out-of-memory is a bug. The pixel limit
// is lowered (1 megapixel) so each input stays fast; the check before
// allocating is the same.
#include "runtime/Image.h"
#include "runtime/Preprocess.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    cnnc::Image image = cnnc::decodeImage(std::string(reinterpret_cast<const char *>(data), size),
                                          "fuzz.img", 1'000'000);
    if (image.pixels.size() != size_t(image.width) * image.height * image.channels ||
        image.channels < 1 || image.channels > 4)
      __builtin_trap();
    // Into a 3-channel 13x17 input, torchvision's way, and a 1-channel one, stretched.
    std::vector<float> out(13 * 17 * 3);
    cnnc::preprocessInto(cnnc::toChannels(image, 3, "fuzz.img"), cnnc::Preprocess{}, 13, 17,
                         "fuzz.img", out.data());
    cnnc::preprocessInto(cnnc::toChannels(image, 1, "fuzz.img"), cnnc::Preprocess::defaults(1), 13,
                         17, "fuzz.img", out.data());
  } catch (const cnnc::Error &) {
  }
  return 0;
}

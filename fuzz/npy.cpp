// fuzz/npy.cpp - the .npy reader on arbitrary bytes, from memory. Every malformed array
// must be a cnnc::Error; anything else escaping, a crash or a sanitizer report is a bug.
#include "runtime/Io.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    cnnc::Tensor t =
        cnnc::parseNpy(std::string(reinterpret_cast<const char *>(data), size), "fuzz.npy");
    // An accepted array's data is the tail of the input, at least a byte an element.
    if (t.size() > static_cast<int64_t>(size) || cnnc::numElements(t.shape()) != t.size())
      __builtin_trap();
  } catch (const cnnc::Error &) {
  }
  return 0;
}

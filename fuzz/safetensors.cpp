// fuzz/safetensors.cpp - the safetensors reader on arbitrary bytes, from memory. Every
// malformed image must be a cnnc::Error; anything else escaping (a JSON library
// exception, std::bad_alloc, ...), a crash or a sanitizer report is a bug.
#include "runtime/Io.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    cnnc::WeightMap weights =
        cnnc::parseSafetensors(std::string(reinterpret_cast<const char *>(data), size), "fuzz");
    // What was accepted must be consistent: every tensor's data lies within the input.
    int64_t bytes = 0;
    for (const auto &[key, tensor] : weights)
      bytes += tensor.size() * 4;
    if (bytes > static_cast<int64_t>(size))
      __builtin_trap();
  } catch (const cnnc::Error &) {
  }
  return 0;
}

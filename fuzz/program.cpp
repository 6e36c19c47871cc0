// fuzz/program.cpp - the schedule reader of cnnc compile's objects
// (Program::fromJson, runtime/Program.cpp) on arbitrary bytes: a corrupt
// object's program must be a cnnc::Error, never a crash or an out-of-range
// program the runtime would then allocate or copy by.
#include "runtime/Program.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const cnnc::KernelFn kernels[64] = {};
  const std::string text(reinterpret_cast<const char *>(data), size);
  for (size_t count : {size_t(0), size_t(1), size_t(3)}) {
    try {
      cnnc::Program p = cnnc::Program::fromJson(text, kernels, count);
      if (p.steps.size() != count || p.arenaFloats() < 0) // accepted: within its checks
        __builtin_trap();
      for (const cnnc::PackSpec &pk : p.packs)
        if (pk.offset + cnnc::packedSize(pk) > p.weightFloats)
          __builtin_trap();
      for (const cnnc::Port &in : p.inputs) // copyIn's last bordered row stays in the arena
        if (in.bordered() &&
            in.offset + (in.shape[0] + in.top) * (in.shape[1] + in.left + in.right) * in.shape[2] >
                p.arenaStride)
          __builtin_trap();
    } catch (const cnnc::Error &) {
    }
  }
  return 0;
}

// runtime/Program.h - what running a compiled model takes besides its machine
// code: the kernels in order with their loops, where inputs and outputs sit in
// the arena, and how the weights are packed. The JIT (api/) builds one in
// memory; `cnnc compile` writes it into the object file as JSON, and the
// LLVM-free runtime (runtime/Aot.cpp) reads it back. Both run it with the
// functions below, so an ahead-of-time program is the JIT's schedule, not a
// copy of it.
#pragma once

#include "cnnc/Tensor.h"
#include "runtime/Pack.h"
#include "runtime/ThreadPool.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cnnc {

/// A kernel: does work items [lo, hi) of one node (or of a conv's padding copy).
/// `scratch` is the calling thread's own memory of Step::scratchFloats floats.
using KernelFn = void (*)(const float *weights, float *arena, int64_t lo, int64_t hi,
                          float *scratch);

/// One kernel call over [0, items): in one call, or split into chunks across
/// threads when `parallel` (worth it: enough work, and items independent).
struct Step {
  KernelFn fn = nullptr;
  int64_t items = 1;
  bool parallel = false;
  bool batched = false;      // does every image of the batch in one call (else: one call per image)
  int64_t scratchFloats = 0; // per-thread scratch the kernel needs (Winograd's transforms)
};

/// A model input or output: one image's worth at `offset` in each image's arena.
/// An input read only by a padded conv sits inside that conv's zero border
/// (top, left, right: rows and columns; the conv zeroes them): copyIn writes
/// its rows there, so the conv needs no padded copy.
struct Port {
  std::string name;
  int64_t offset = 0;
  Shape shape; // one image's, HWC (or [units])
  int64_t top = 0, left = 0, right = 0;

  bool bordered() const { return top || left || right; }
};

struct Program {
  std::string name;
  int batch = 1;           // images per run, each in its own arena...
  int64_t arenaStride = 0; // ... this many floats after the previous one
  std::vector<Port> inputs, outputs;
  std::vector<Step> steps;
  std::vector<PackSpec> packs; // how the weights file becomes the packed arena
  std::vector<std::pair<std::string, Shape>> weightShapes; // what a weights file holds
  int64_t weightFloats = 0;                                // the packed arena's size

  int64_t arenaFloats() const { return batch * arenaStride; }
  float *image(float *arena, int i) const { return arena + i * arenaStride; }

  /// Copies a batch of each input (inputs[k]: batch x its shape) into the arena.
  void copyIn(const float *const *inputs, float *arena) const;
  /// Copies each output of every image out (outputs[k]: batch x its shape).
  void copyOut(const float *arena, float *const *outputs) const;
  /// Runs one step over the batch, split across `pool` if it is parallel.
  void runStep(const Step &s, const float *weights, float *arena, ThreadPool &pool) const;
  /// Every step, in order.
  void run(const float *weights, float *arena, ThreadPool &pool) const;

  /// Checks `weights` against weightShapes (every missing, misshapen or
  /// unexpected key, in one Error) and packs them into `arena` (weightFloats).
  /// `release`, if given, is told of the memory of `weights` not read again.
  void packWeights(const WeightViews &weights, float *arena, const Release &release = {}) const;
  void packWeights(const WeightMap &weights, float *arena) const {
    packWeights(viewsOf(weights), arena);
  }

  /// The program without the kernels' addresses (steps keep their order).
  std::string toJson() const;
  /// Reads toJson()'s text; step i's function is kernels[i]. Throws Error.
  static Program fromJson(const std::string &json, const KernelFn *kernels, size_t count);

private:
  void validate() const; // fromJson's range checks (throws Error)
};

/// The calling thread's scratch for kernels that need it (kept for the next call).
float *threadScratch(int64_t floats);

} // namespace cnnc

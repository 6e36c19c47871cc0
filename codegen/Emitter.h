// codegen/Emitter.h - a thin layer over llvm::IRBuilder for writing kernels:
// counted loops, float vectors of the target's width, masked tails, and the
// vector math (exp, tanh, sigmoid, activations, softmax over a row).
#pragma once

#include "codegen/Codegen.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>

namespace cnnc {

class Emitter {
public:
  Emitter(llvm::Module &m, llvm::Function *fn, int vectorWidth);

  llvm::IRBuilder<> b;
  llvm::Function *fn;
  const int VL;
  llvm::Type *f32, *i64;
  llvm::VectorType *vf;
  ConvTile convTile;     // a conv's tile, as planned with its weights (convTile(), winogradTile())
  bool winograd = false; // the conv's weights are packed for emitWinograd
  std::string plan;      // set by a kernel that reports its blocking (JitModel::Kernel::plan)
  /// Whether LLVM may unroll the loops emitted from now on. Kernels whose
  /// bodies are already register tiles turn it off: unrolling them further
  /// only costs compile time (a third of ResNet-18's) and code size.
  bool unroll = true;
  /// The batch: images per run, arenaStride floats apart. A kernel that does
  /// them all in one call sets `batched`; others are called once per image.
  int batch = 1;
  int64_t arenaStride = 0;
  bool batched = false;

  llvm::Value *c(int64_t v) { return b.getInt64(v); }
  /// The kernel's arguments: the packed weights and the activation arena.
  llvm::Value *weights() { return fn->getArg(0); }
  llvm::Value *arena() { return fn->getArg(1); }
  /// The range of work items [lo, hi) this call covers (see JitModel::Kernel).
  llvm::Value *lo() { return fn->getArg(2); }
  llvm::Value *hi() { return fn->getArg(3); }
  /// The calling thread's scratch memory: scratchFloats floats, set by the kernel.
  llvm::Value *scratch() { return fn->getArg(4); }
  int64_t scratchFloats = 0;
  /// &base[index] for a float pointer and an i64 (or constant) element index.
  llvm::Value *at(llvm::Value *base, llvm::Value *index);
  llvm::Value *at(llvm::Value *base, int64_t index) { return at(base, c(index)); }

  /// for (i = lo; i < hi; ++i) body(i); empty ranges are allowed.
  void loop(llvm::Value *lo, llvm::Value *hi, const std::function<void(llvm::Value *)> &body);
  void loop(int64_t lo, int64_t hi, const std::function<void(llvm::Value *)> &body) {
    loop(c(lo), c(hi), body);
  }
  /// if (cond) then() else otherwise();
  void ifElse(llvm::Value *cond, const std::function<void()> &then,
              const std::function<void()> &otherwise);
  /// for (i = 0; i < n; i += VL) body(i, mask): the mask is null but on the tail.
  void vectors(int64_t n, const std::function<void(llvm::Value *, llvm::Value *)> &body);
  /// Rows [lo(), hi()) of an H x W x C image copied into dst with a zero border
  /// of `pad` (rows of the padded image, H + top + bottom in all). With a null
  /// src the image is already in dst's interior: only the border is zeroed.
  void padRows(llvm::Value *dst, llvm::Value *src, int64_t H, int64_t W, int64_t C,
               const Padding &pad);
  llvm::Value *min(llvm::Value *a, llvm::Value *b);
  llvm::Value *max(llvm::Value *a, llvm::Value *b);

  /// A vector accumulator slot in the entry block (SROA turns it into a register).
  llvm::Value *slot(const char *name = "acc");
  llvm::Value *splat(float x);
  llvm::Value *splat(llvm::Value *scalar);
  /// Lanes [base, base + VL) that are below `limit`, or null when all are (constant base).
  llvm::Value *tailMask(llvm::Value *base, int64_t limit);
  llvm::Value *loadV(llvm::Value *ptr, llvm::Value *mask = nullptr, float passthru = 0.f);
  void storeV(llvm::Value *v, llvm::Value *ptr, llvm::Value *mask = nullptr);
  llvm::Value *fma(llvm::Value *a, llvm::Value *b, llvm::Value *c);
  /// A read prefetch of the cache line at ptr into L2 (prefetcht1; never faults).
  void prefetchL2(llvm::Value *ptr);

  llvm::Value *exp(llvm::Value *x);
  llvm::Value *tanh(llvm::Value *x);
  llvm::Value *sigmoid(llvm::Value *x);
  /// Applies an element-wise activation; Softmax is not element-wise (see softmaxRow).
  llvm::Value *activate(const ActFn &act, llvm::Value *x);
  /// In-place softmax over n contiguous floats at ptr.
  void softmaxRow(llvm::Value *ptr, int64_t n);
  /// Maximum that propagates NaN (as PyTorch does), element-wise and across a vector.
  llvm::Value *maxNaN(llvm::Value *x, llvm::Value *y);
  llvm::Value *minNaN(llvm::Value *x, llvm::Value *y);
  llvm::Value *reduceMax(llvm::Value *v);
  llvm::Value *reduceAdd(llvm::Value *v);

private:
  llvm::IRBuilder<> entryBuilder_;
  llvm::Value *call(llvm::Intrinsic::ID id, llvm::ArrayRef<llvm::Value *> args);
};

/// Convolutions (codegen/Conv.cpp); depthwise ones have their own kernel and
/// weight layout. A padded conv's zero-bordered input copy is a kernel of its own.
/// The register tile of a direct conv (`forced` when it fits, else the cost
/// model's). Weights are packed in blocks of `vectors` x VL output channels.
ConvTile convTile(const Graph &g, const Node &n, int VL, ConvTile forced);
int64_t emitConv(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);
int64_t emitPadScratch(Emitter &e, const Graph &g, const Node &n);
bool isDepthwise(const Graph &g, const Node &n);

/// Emits the kernel for one node into e.fn: it does work items [lo(), hi())
/// and returns how many there are (1: it does all its work in one call,
/// whatever the range). `wOff`/`bOff` are the node's packed weight and bias
/// offsets in floats (-1 if none).
int64_t emitKernel(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);

} // namespace cnnc

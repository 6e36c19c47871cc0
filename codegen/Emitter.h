// codegen/Emitter.h - a thin layer over llvm::IRBuilder for writing kernels:
// counted loops, float vectors of the target's width, masked tails, the
// vector math (exp, tanh, sigmoid, gelu's erfc, activations, softmax over a row) and the
// broadcast-FMA register tile; and how each kernel family packs its weights.
#pragma once

#include "codegen/Codegen.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <optional>

namespace cnnc {

class Emitter {
public:
  Emitter(llvm::Module &m, llvm::Function *fn, const TargetInfo &target);

  llvm::IRBuilder<> b;
  llvm::Function *fn;
  const int VL;
  const int registers; // SIMD registers (TargetInfo::vectorRegisters)
  llvm::Type *f32, *i64;
  llvm::VectorType *vf;
  ConvTile convTile;     // a conv's tile, as planned with its weights (PackPlan::tile)
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
  /// The threads run() shares a kernel's work items among (CodegenOptions::threads; 0: not known).
  int threads = 0;

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
  /// A compiler barrier (an empty asm with a memory clobber): no load or store
  /// moves across it, and the scheduler does not interleave the code on its
  /// two sides, which keeps independent blocks of work from piling up live values.
  void barrier();

  llvm::Value *exp(llvm::Value *x);
  llvm::Value *tanh(llvm::Value *x);
  llvm::Value *sigmoid(llvm::Value *x);
  llvm::Value *expm1(llvm::Value *x);
  /// Natural log: -inf at 0, NaN below 0 (lrn's powers).
  llvm::Value *log(llvm::Value *x);
  /// log(1 + u) for u in [0, 1] only.
  llvm::Value *log1pUnit(llvm::Value *u);
  llvm::Value *gelu(llvm::Value *x, GeluForm form);
  llvm::Value *hardSigmoid(llvm::Value *x);
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
  llvm::Value *erfSmall(llvm::Value *x);
  llvm::Value *erfcTail(llvm::Value *a, llvm::Value *hi, llvm::Value *lo);
  llvm::Value *call(llvm::Intrinsic::ID id, llvm::ArrayRef<llvm::Value *> args);
};

/// A register tile, XNNPACK's microkernel: R x G vector accumulators in
/// slots (so LLVM keeps them in registers), updated by broadcast FMAs. Per
/// reduction step it loads G weight vectors and, per row, broadcasts one
/// input float: acc[r][g] = fma(x_r, w_g, acc[r][g]). The direct and
/// Winograd convs and both dense kernels run their reductions on it.
class RegTile {
public:
  /// The accumulators, the step's weights and a broadcast must fit the registers.
  RegTile(Emitter &e, int R, int G);
  /// Rows [0, rows) start at first(g), or at zero without it.
  void init(int rows, const std::function<llvm::Value *(int g)> &first = nullptr);
  /// One step over rows [r0, r0 + n): w_g loaded from w(g) (times the vector
  /// wScale when given), x_r broadcast from x(r).
  void update(int r0, int n, const std::function<llvm::Value *(int r)> &x,
              const std::function<llvm::Value *(int g)> &w, llvm::Value *wScale = nullptr);
  llvm::Value *get(int r, int g);
  void set(int r, int g, llvm::Value *v);
  const int R, G;

private:
  Emitter &e;
  std::vector<llvm::Value *> acc_; // row-major
};

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// How a kernel reads its node's weights: the packer's specs (offsets are
/// set by compileGraph) and the conv tile they are packed for. Each kernel
/// family plans its own beside its emit, so the layout and its reader agree.
struct PackPlan {
  std::optional<PackSpec> weight, bias;
  ConvTile tile;
  bool winograd = false; // weights in Winograd's domain, for emitWinograd
};
/// The bias (or a folded batchnorm's shift) of a conv or dense, padded to `pad`.
std::optional<PackSpec> biasSpec(const Graph &g, const Node &n, bool useBias, const FoldedBN &bn,
                                 int64_t pad);
PackPlan planDensePack(const Graph &g, const Node &n, const TargetInfo &t);
PackPlan planBatchNormPack(const Node &n, const TargetInfo &t);

/// Convolutions (codegen/Conv.cpp); depthwise ones have their own kernel and
/// weight layout. A padded conv's zero-bordered input copy is a kernel of its own.
/// A direct conv's weights are packed in blocks of its register tile's
/// G x VL output channels (the tile from a cost model, or `forced` when it fits).
PackPlan planConvPack(const Graph &g, const Node &n, const CodegenOptions &opts);
/// The cost model of a register tile (convTile, the transposed conv's tile):
/// cycles per reduction step of an r x u pixel tile of G vectors, `steps`
/// reduction steps per tile.
double tileStepCycles(int64_t r, int64_t u, int G, double steps);
int64_t emitConv(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);
int64_t emitPadScratch(Emitter &e, const Graph &g, const Node &n);

/// The channel ops (codegen/Channels.cpp): prelu and its packed slopes
/// ([C] or one, padded to whole vectors), lrn, channel_shuffle and slice.
PackPlan planPreluPack(const Graph &g, const Node &n, const TargetInfo &t);
int64_t emitPrelu(Emitter &e, const Graph &g, const Node &n, int64_t wOff);
int64_t emitLrn(Emitter &e, const Graph &g, const Node &n);
int64_t emitChannelShuffle(Emitter &e, const Graph &g, const Node &n);
int64_t emitSlice(Emitter &e, const Graph &g, const Node &n);
/// Transposed convolutions (codegen/ConvTranspose.cpp): weights packed like a
/// direct conv's ([group][block][kh][kw][ic][G x VL], PackSpec::ConvTransposeHWIO)
/// from PyTorch's [in, out / groups, kh, kw]; a register-tiled kernel per
/// output phase (oy mod sh, ox mod sw).
PackPlan planConvTransposePack(const Graph &g, const Node &n, const CodegenOptions &opts);
int64_t emitConvTranspose(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);

/// Emits the kernel for one node into e.fn: it does work items [lo(), hi())
/// and returns how many there are (1: it does all its work in one call,
/// whatever the range). `wOff`/`bOff` are the node's packed weight and bias
/// offsets in floats (-1 if none).
int64_t emitKernel(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);

} // namespace cnnc

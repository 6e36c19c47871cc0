// codegen/Conv.h - what the convolution kernels (Conv.cpp, Winograd.cpp)
// share: a conv's tensors and its epilogue.
#pragma once

#include "codegen/Emitter.h"

namespace cnnc {

using llvm::Value;

/// What every conv variant shares: its tensors and the epilogue.
struct ConvFrame {
  const ConvAttrs &a;
  // OH x OW: the conv's own output; with a fused pool the node stores
  // (OH / pool) x (OW / pool) maxima of it.
  int64_t IC, OH, OW, OC, Wp, pool;
  Value *in, *out, *w, *residual = nullptr;
  Value *scale = nullptr; // a fused mul's per-input-channel factors (ConvAttrs::scaled)
  int64_t residualW = 0;  // the residual's width (a pool may drop the conv's last column)
  Padding border;         // of the output buffer

  ConvFrame(Emitter &e, const Graph &g, const Node &n, int64_t wOff) : a(attrs<ConvAttrs>(n)) {
    const Node &inNode = g.nodes[n.inputs[0]];
    CNNC_ASSERT(inNode.type.dims.size() == 3 && n.type.dims.size() == 3, "a conv's HWC tensors");
    IC = inNode.type.dims[2];
    pool = std::max(a.pool, 1);
    OH = n.type.dims[0] * pool, OW = n.type.dims[1] * pool, OC = n.type.dims[2];
    Wp = inNode.type.dims[1] + a.pad.left + a.pad.right;
    Value *arena = e.arena();
    in = e.at(arena, n.scratch >= 0 ? n.scratch : inNode.offset);
    out = e.at(arena, n.offset);
    border = n.border;
    w = e.at(e.weights(), wOff);
    if (a.residual) {
      residual = e.at(arena, g.nodes[n.inputs[1]].offset);
      residualW = g.nodes[n.inputs[1]].type.dims[1];
    }
    if (a.scaled)
      scale = e.at(arena, g.nodes[n.inputs.back()].offset);
  }

  /// Element (oh, ow, oc) of a width-`width` image with border b.
  Value *index(Emitter &e, Value *oh, Value *ow, Value *oc, int64_t width, const Padding &b) {
    Value *pix =
        e.b.CreateAdd(e.b.CreateMul(e.b.CreateAdd(oh, e.c(b.top)), e.c(width + b.left + b.right)),
                      e.b.CreateAdd(ow, e.c(b.left)));
    return e.b.CreateAdd(e.b.CreateMul(pix, e.c(OC)), oc);
  }
  /// acc (bias included) at conv output (oh, ow, oc) -> + residual -> activation.
  Value *value(Emitter &e, Value *acc, Value *oh, Value *ow, Value *oc, Value *mask) {
    if (residual)
      acc = e.b.CreateFAdd(acc, e.loadV(e.at(residual, index(e, oh, ow, oc, residualW, {})), mask));
    return e.activate(a.act, acc);
  }
  /// Stores v at stored pixel (oh, ow) (pooled coordinates with a fused pool).
  void store(Emitter &e, Value *v, Value *oh, Value *ow, Value *oc, Value *mask) {
    e.storeV(v, e.at(out, index(e, oh, ow, oc, OW / pool, border)), mask);
  }
  void finish(Emitter &e, Value *acc, Value *oh, Value *ow, Value *oc, Value *mask) {
    store(e, value(e, acc, oh, ow, oc, mask), oh, ow, oc, mask);
  }
};

/// A software prefetch (into L2) of `total` floats spread evenly over `slots`
/// reduction steps, so a stream from memory asks for a steady rate rather than
/// bursts: slot i takes `lines` cache lines from stepFloats x i on (one line,
/// or several when a slot must cover more). The direct conv's next weight
/// block and Winograd's next U slice.
struct Spread {
  int64_t stepFloats;
  int lines;
  void emit(Emitter &e, Value *base, Value *slot) const {
    for (int j = 0; j < lines; ++j)
      e.prefetchL2(e.at(base, e.b.CreateAdd(e.c(j * e.VL), e.b.CreateMul(slot, e.c(stepFloats)))));
  }
};
inline Spread spread(const Emitter &e, int64_t total, int64_t slots) {
  const int64_t perSlot = (total + slots - 1) / slots;
  const int lines = (int)((perSlot + e.VL - 1) / e.VL);
  return {perSlot <= e.VL ? perSlot : lines * e.VL, lines};
}

/// Depthwise convs (codegen/Depthwise.cpp): the register tile (`vectors`
/// channel vectors x `cols` pixels of one row; `forced` when it fits, else the
/// cost model's) and the kernel, which reads its input unpadded
/// (inputBorder gives a depthwise conv none).
ConvTile depthwiseTile(const Graph &g, const Node &n, const TargetInfo &target, ConvTile forced);
int64_t emitDepthwise(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);

/// Winograd's F(2x2, 3x3) and F(4x4, 3x3) (codegen/Winograd.cpp): whether it
/// applies to conv n (3x3, stride 1, ungrouped, >= 16 channels in and out, at
/// least 32 2x2 tiles, a dilation d equal in both axes that divides the output
/// size (then no pool), no pool or a 2x2 one), its plan (weights as
/// PackSpec::ConvWinograd or ConvWinograd4, blocks of its register tile's G
/// output vectors) and the kernel.
bool winogradApplies(const Graph &g, const Node &n);
PackPlan planWinogradPack(const Graph &g, const Node &n, const TargetInfo &t);
int64_t emitWinograd(Emitter &e, const Graph &g, const Node &n, int64_t wOff, int64_t bOff);

} // namespace cnnc

// passes/FoldBatchNorm.cpp - a batchnorm right after a conv2d or dense (its
// only user) folds into that layer: when weights are loaded, the packer scales
// its weights by gamma / sqrt(var + eps) and shifts its bias (runtime/Pack.h),
// so the batchnorm costs nothing at run time.
#include "passes/Passes.h"

namespace cnnc {

static FoldedBN *foldSlot(Node &n) {
  switch (n.op) {
  case OpKind::Conv2D: {
    ConvAttrs &a = attrs<ConvAttrs>(n);
    return a.act == Act::Linear && !a.residual ? &a.bn : nullptr;
  }
  case OpKind::Dense:
    return attrs<DenseAttrs>(n).act == Act::Linear ? &attrs<DenseAttrs>(n).bn : nullptr;
  case OpKind::Input:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D:
  case OpKind::GlobalAvgPool2D:
  case OpKind::ZeroPad2D:
  case OpKind::BatchNorm:
  case OpKind::Add:
  case OpKind::Concat:
  case OpKind::Dropout:
  case OpKind::Flatten:
  case OpKind::Activation:
    return nullptr;
  }
  return nullptr;
}

bool foldBatchNorm(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &bn = g.nodes[i];
    if (bn.dead || bn.op != OpKind::BatchNorm)
      continue;
    ValueId pid = bn.inputs[0];
    FoldedBN *slot = foldSlot(g.nodes[pid]);
    if (!slot || !slot->name.empty() || g.output == pid || g.users(pid).size() != 1)
      continue;
    *slot = {bn.name, attrs<BatchNormAttrs>(bn).eps};
    g.nodes[pid].absorbed.push_back(bn.name + " (batchnorm)");
    g.replaceUses((ValueId)i, pid);
    bn.dead = changed = true;
  }
  return changed;
}

} // namespace cnnc

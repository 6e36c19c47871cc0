// passes/FoldBatchNorm.cpp - a batchnorm right after a conv2d or dense (its
// only user) folds into that layer: when weights are loaded, the packer scales
// its weights by gamma / sqrt(var + eps) and shifts its bias (runtime/Pack.h),
// so the batchnorm costs nothing at run time.
#include "passes/Passes.h"

namespace cnnc {

bool foldBatchNorm(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &bn = g.nodes[i];
    if (bn.dead || bn.op != OpKind::BatchNorm)
      continue;
    ValueId pid = bn.inputs[0];
    // Only straight after the conv/dense: its epilogue applies bn before the rest.
    Epilogue e = epilogue(g.nodes[pid]);
    if (!e.bn || !e.bn->name.empty() || *e.act != Act::Linear || (e.residual && *e.residual) ||
        g.isOutput(pid) || g.users(pid).size() != 1)
      continue;
    *e.bn = {bn.name, attrs<BatchNormAttrs>(bn).eps};
    g.nodes[pid].absorbed.push_back({bn.name, bn.op});
    g.replaceUses((ValueId)i, pid);
    bn.dead = changed = true;
  }
  return changed;
}

} // namespace cnnc

// passes/FoldZeroPad.cpp - zeropad2d followed by conv2d becomes one conv with
// the padding added to its own (the conv already reads a zero-bordered copy).
// Max and min pooling treat padding differently (they ignore it), so a
// zeropad before them stays.
#include "passes/Passes.h"

namespace cnnc {

bool foldZeroPad(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &z = g.nodes[i];
    if (z.dead || z.op != OpKind::ZeroPad2D || g.isOutput((ValueId)i))
      continue;
    const Padding &zp = attrs<ZeroPadAttrs>(z).pad;
    for (ValueId u : g.users((ValueId)i)) {
      Node &c = g.nodes[u];
      if (c.op != OpKind::Conv2D || c.inputs[0] != (ValueId)i)
        continue;
      Padding &p = attrs<ConvAttrs>(c).pad; // concrete numbers since infer-shapes
      p.mode = PadMode::Explicit;
      p.top += zp.top, p.bottom += zp.bottom, p.left += zp.left, p.right += zp.right;
      c.inputs[0] = z.inputs[0];
      c.absorbed.push_back({z.name, z.op});
      changed = true;
    }
    if (g.users((ValueId)i).empty())
      z.dead = true;
  }
  return changed;
}

} // namespace cnnc

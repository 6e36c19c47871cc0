// passes/RemoveIdentity.cpp - dropout (the identity at inference) and linear
// activations disappear: their users read the input instead. One stays only
// when it is all that stands between an input and an output (an output
// is never an input).
#include "passes/Passes.h"

namespace cnnc {

bool removeIdentity(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &n = g.nodes[i];
    bool identity = hasTrait(n.op, Identity) ||
                    (n.op == OpKind::Activation && attrs<ActAttrs>(n).act == Act::Linear);
    if (n.dead || !identity || (g.isOutput((ValueId)i) && g.nodes[n.inputs[0]].op == OpKind::Input))
      continue;
    g.replaceUses((ValueId)i, n.inputs[0]);
    n.dead = changed = true;
  }
  return changed;
}

} // namespace cnnc

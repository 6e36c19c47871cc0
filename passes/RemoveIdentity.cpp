// passes/RemoveIdentity.cpp - dropout (the identity at inference) and linear
// activations disappear: their users read the input instead. One stays only
// when it is all that stands between the model's input and its output.
#include "passes/Passes.h"

namespace cnnc {

bool removeIdentity(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &n = g.nodes[i];
    bool identity = hasTrait(n.op, Identity) ||
                    (n.op == OpKind::Activation && attrs<ActAttrs>(n).act == Act::Linear);
    if (n.dead || !identity || (g.output == (ValueId)i && n.inputs[0] == g.input))
      continue;
    g.replaceUses((ValueId)i, n.inputs[0]);
    n.dead = changed = true;
  }
  return changed;
}

} // namespace cnnc

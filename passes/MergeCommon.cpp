// passes/MergeCommon.cpp - common subexpressions: two nodes with the same op,
// the same inputs and equal attributes (the structs' defaulted ==, so exact
// values) compute the same tensor, so the later one's users read the earlier
// one. Layers with weights are never merged (their weights are their own,
// named after them).
#include "passes/Passes.h"

#include <map>

namespace cnnc {

bool mergeCommon(Graph &g, Diag &) {
  // (op, inputs) -> the earlier nodes with them; attributes are compared exactly.
  std::map<std::pair<OpKind, std::vector<ValueId>>, std::vector<ValueId>> seen;
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &n = g.nodes[i];
    if (n.dead || n.op == OpKind::Input || hasTrait(n.op, HasWeights))
      continue;
    std::vector<ValueId> &same = seen[{n.op, n.inputs}];
    auto it = std::find_if(same.begin(), same.end(),
                           [&](ValueId j) { return g.nodes[j].attrs == n.attrs; });
    if (it == same.end()) {
      same.push_back((ValueId)i);
      continue;
    }
    g.replaceUses((ValueId)i, *it);
    n.dead = changed = true;
  }
  return changed;
}

} // namespace cnnc

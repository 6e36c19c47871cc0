// passes/MergeCommon.cpp - common subexpressions: two nodes with the same op,
// the same inputs and the same attributes compute the same tensor, so the
// later one's users read the earlier one. Layers with weights are never
// merged (their weights are their own, named after them).
#include "passes/Passes.h"

#include <map>

namespace cnnc {

bool mergeCommon(Graph &g, Diag &) {
  std::map<std::string, ValueId> seen;
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &n = g.nodes[i];
    if (n.dead || n.op == OpKind::Input || hasTrait(n.op, HasWeights))
      continue;
    std::string key = std::string(opName(n.op)) + "(";
    for (ValueId in : n.inputs)
      key += std::to_string(in) + ",";
    key += ")" + attrString(n);
    auto [it, inserted] = seen.emplace(key, (ValueId)i);
    if (inserted)
      continue;
    if (g.output == (ValueId)i)
      g.output = it->second;
    g.replaceUses((ValueId)i, it->second);
    n.dead = changed = true;
  }
  return changed;
}

} // namespace cnnc

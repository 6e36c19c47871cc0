// passes/EliminateDead.cpp - layers the output does not depend on are removed
// (a branch that leads nowhere, layers after the `output` statement).
#include "passes/Passes.h"

namespace cnnc {

bool eliminateDead(Graph &g, Diag &) {
  std::vector<bool> live(g.nodes.size(), false);
  live[g.output] = live[g.input] = true;
  for (size_t i = g.nodes.size(); i-- > 0;) // inputs always come before their users
    if (live[i] && !g.nodes[i].dead)
      for (ValueId in : g.nodes[i].inputs)
        live[in] = true;
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!live[i] && !g.nodes[i].dead)
      g.nodes[i].dead = changed = true;
  return changed;
}

} // namespace cnnc

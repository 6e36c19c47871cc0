// passes/EliminateDead.cpp - layers no output depends on are removed
// (a branch that leads nowhere, layers after the `output` statement).
#include "passes/Passes.h"

namespace cnnc {

bool eliminateDead(Graph &g, Diag &) {
  std::vector<bool> live(g.nodes.size(), false);
  for (ValueId v : g.outputs)
    live[v] = true;
  for (ValueId v : g.inputs) // an input no output reads is still one the caller passes
    live[v] = true;
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

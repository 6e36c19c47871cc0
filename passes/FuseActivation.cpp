// passes/FuseActivation.cpp - conv2d or dense followed by an activation becomes
// one node that applies the activation in its epilogue, before the single
// store. Legal when the conv/dense result has no other user. Softmax is only
// fused into dense (it needs the whole output vector, which dense has).
#include "passes/Passes.h"

namespace cnnc {

static Act *fusedAct(Node &n) {
  switch (n.op) {
  case OpKind::Conv2D:
    return &attrs<ConvAttrs>(n).act;
  case OpKind::Dense:
    return &attrs<DenseAttrs>(n).act;
  case OpKind::Input:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::Flatten:
  case OpKind::Activation:
    return nullptr;
  }
  return nullptr;
}

bool fuseActivation(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &a = g.nodes[i];
    if (a.dead || a.op != OpKind::Activation)
      continue;
    ValueId pid = a.inputs[0];
    Node &p = g.nodes[pid];
    Act act = attrs<ActAttrs>(a).act;
    Act *slot = fusedAct(p);
    if (!slot || *slot != Act::Linear || g.output == pid || g.users(pid).size() != 1)
      continue;
    if (act == Act::Softmax && p.op != OpKind::Dense)
      continue;
    *slot = act;
    p.absorbed.push_back(a.implicit ? actName(act) : a.name + " (" + actName(act) + ")");
    g.replaceUses((ValueId)i, pid);
    a.dead = true;
    changed = true;
  }
  return changed;
}

} // namespace cnnc

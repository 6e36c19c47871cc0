// passes/Fuse.cpp - fusion groups, by TVM's rule: a conv2d or dense absorbs
// the element-wise chain after it when nothing else needs the intermediate
// tensor. The epilogue applies, before the single store:
//   bias (and a folded batchnorm) -> + residual (a following `add`, conv only)
//   -> activation (softmax only into dense: it needs the whole vector).
// The residual's other operand must already be computed when the conv runs,
// so only an add whose other input comes earlier is absorbed. Last, a conv
// absorbs a following non-overlapping max pool (k x k, stride k, no padding,
// k <= 3 so that a window of accumulators fits in the registers):
// its kernel takes the maximum over each window of the tile it holds in
// registers, and the conv's full-size output is never stored.
#include "passes/Passes.h"

namespace cnnc {

/// Whether `pid`'s result is needed only by node `user`, and is not a pooled
/// conv's (nothing element-wise can follow a pool inside the epilogue).
static bool onlyFeeds(const Graph &g, ValueId pid, ValueId user) {
  std::vector<ValueId> users = g.users(pid);
  const Node &p = g.nodes[pid];
  if (p.op == OpKind::Conv2D && attrs<ConvAttrs>(p).pool)
    return false;
  return g.output != pid && users.size() == 1 && users[0] == user;
}

/// Node `id` becomes part of node `into` (recorded as `entry`): its readers read `into`.
static bool absorb(Graph &g, ValueId into, ValueId id, const std::string &entry) {
  g.nodes[into].absorbed.push_back(entry);
  g.replaceUses(id, into);
  g.nodes[id].dead = true;
  return true;
}

static bool fuseResidual(Graph &g, ValueId id) {
  Node &add = g.nodes[id];
  // The later operand is the producer; the earlier one is ready by then.
  ValueId a = add.inputs[0], b = add.inputs[1];
  ValueId pid = std::max(a, b), other = std::min(a, b);
  Node &p = g.nodes[pid];
  if (a == b || p.op != OpKind::Conv2D || !onlyFeeds(g, pid, id))
    return false;
  Epilogue e = epilogue(p);
  if (*e.residual || *e.act != Act::Linear)
    return false;
  *e.residual = true;
  p.inputs.push_back(other);
  return absorb(g, pid, id, add.name + " (add)");
}

static bool fuseActivation(Graph &g, ValueId id) {
  Node &a = g.nodes[id];
  ValueId pid = a.inputs[0];
  Node &p = g.nodes[pid];
  ActFn act = attrs<ActAttrs>(a).act;
  ActFn *slot = epilogue(p).act;
  if (!slot || *slot != Act::Linear || !onlyFeeds(g, pid, id))
    return false;
  if (act == Act::Softmax && p.op != OpKind::Dense)
    return false;
  *slot = act;
  return absorb(g, pid, id, a.implicit ? actString(act) : a.name + " (" + actString(act) + ")");
}

static bool fusePool(Graph &g, ValueId id) {
  Node &pool = g.nodes[id];
  const PoolAttrs &a = attrs<PoolAttrs>(pool);
  ValueId pid = pool.inputs[0];
  Node &p = g.nodes[pid];
  if (p.op != OpKind::Conv2D || !onlyFeeds(g, pid, id) || a.kh != a.kw || a.sh != a.kh ||
      a.sw != a.kw || a.kh < 2 || a.kh > 3 || a.pad.any())
    return false;
  ConvAttrs &c = attrs<ConvAttrs>(p);
  if (c.groups != 1 || c.pool)
    return false;
  c.pool = a.kh;
  p.type = pool.type;
  return absorb(g, pid, id, pool.name + " (maxpool2d)");
}

static bool fuseFlatten(Graph &g, ValueId id) {
  Node &f = g.nodes[id];
  std::vector<ValueId> users = g.users(id);
  if (isView(g, f) || g.output == id || users.size() != 1 || g.nodes[users[0]].op != OpKind::Dense)
    return false;
  Node &dense = g.nodes[users[0]];
  dense.inputs[0] = f.inputs[0];
  attrs<DenseAttrs>(dense).image = true;
  dense.absorbed.insert(dense.absorbed.begin(), f.name + " (flatten)");
  f.dead = true;
  return true;
}

bool fuseElementwise(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node &n = g.nodes[i];
    if (!n.dead && n.op == OpKind::Add)
      changed |= fuseResidual(g, (ValueId)i);
    else if (!n.dead && n.op == OpKind::Activation)
      changed |= fuseActivation(g, (ValueId)i);
    else if (!n.dead && n.op == OpKind::MaxPool2D)
      changed |= fusePool(g, (ValueId)i);
    else if (!n.dead && n.op == OpKind::Flatten)
      changed |= fuseFlatten(g, (ValueId)i);
  }
  return changed;
}

} // namespace cnnc

// passes/Fuse.cpp - fusion groups, by TVM's rule and decided by the op
// table's traits: an op with an epilogue (HasEpilogue: conv2d, dense) absorbs
// the chain of Fusable Elementwise ops after it when nothing else needs the
// intermediate tensor, a unary one as its activation, a binary one as its
// residual. The epilogue applies, before the single store:
//   bias (and a folded batchnorm) -> + residual (a following `add`, conv only)
//   -> activation (softmax only into dense: it needs the whole vector).
// The residual's other operand must already be computed when the conv runs,
// so only an add whose other input comes earlier is absorbed. Last, a conv
// absorbs a following non-overlapping max pool (k x k, stride k, no padding,
// k <= 3 so that a window of accumulators fits in the registers; ceil_mode
// only where it adds no partial window):
// its kernel takes the maximum over each window of the tile it holds in
// registers, and the conv's full-size output is never stored.
// A mul of an image by a channel vector (squeeze-and-excitation) cannot join
// its image's producer, whose output the vector is computed from; it becomes
// the prologue of an ungrouped conv that alone reads it, as inputs.back().
// A conv's inputs are: image, [residual], [scale].
#include "passes/Passes.h"

namespace cnnc {

/// Whether `pid`'s result is needed only by node `user`, and is not a pooled
/// conv's (nothing element-wise can follow a pool inside the epilogue).
static bool onlyFeeds(const Graph &g, ValueId pid, ValueId user) {
  std::vector<ValueId> users = g.users(pid);
  const Node &p = g.nodes[pid];
  if (p.op == OpKind::Conv2D && attrs<ConvAttrs>(p).pool)
    return false;
  return !g.isOutput(pid) && users.size() == 1 && users[0] == user;
}

/// Node `id` becomes part of node `into`: its readers read `into`.
static bool absorb(Graph &g, ValueId into, ValueId id) {
  const Node &n = g.nodes[id];
  Absorbed a{n.name, n.op, n.implicit};
  if (n.op == OpKind::Activation)
    a.act = attrs<ActAttrs>(n).act;
  g.nodes[into].absorbed.push_back(a);
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
  if (a == b || p.op != OpKind::Conv2D || g.nodes[a].type.dims != g.nodes[b].type.dims ||
      !onlyFeeds(g, pid, id))
    return false;
  Epilogue e = epilogue(p);
  if (*e.residual || *e.act != Act::Linear)
    return false;
  *e.residual = true;
  p.inputs.insert(p.inputs.begin() + 1, other); // before a scale
  return absorb(g, pid, id);
}

/// The unary function a Fusable op applies (its attributes' `act`).
static ActFn unaryFn(const Node &n) {
  return std::visit(
      [&](const auto &a) {
        if constexpr (requires { a.act; })
          return a.act;
        CNNC_ASSERT(false, std::string("a unary Fusable op has no act: ") + opName(n.op));
        return ActFn();
      },
      n.attrs);
}

static bool fuseActivation(Graph &g, ValueId id) {
  Node &a = g.nodes[id];
  ValueId pid = a.inputs[0];
  Node &p = g.nodes[pid];
  ActFn act = unaryFn(a);
  ActFn *slot = epilogue(p).act;
  if (!slot || *slot != Act::Linear || !onlyFeeds(g, pid, id))
    return false;
  if (act == Act::Softmax && p.op != OpKind::Dense)
    return false;
  *slot = act;
  return absorb(g, pid, id);
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
  // ceil_mode adds a partial last window unless the size divides the conv's output.
  const bool partial = a.ceilMode && (p.type.dims[0] % a.kh || p.type.dims[1] % a.kw);
  if (c.groups != 1 || c.pool || partial)
    return false;
  c.pool = a.kh;
  p.type = pool.type;
  return absorb(g, pid, id);
}

static bool fuseScale(Graph &g, ValueId id) {
  const Node &mul = g.nodes[id];
  std::vector<ValueId> users = g.users(id);
  if (g.isOutput(id) || users.size() != 1)
    return false;
  Node &conv = g.nodes[users[0]];
  // Image and vector, in either order.
  const TensorType &a = g.nodes[mul.inputs[0]].type, &b = g.nodes[mul.inputs[1]].type;
  const bool vecFirst = a.elements() < b.elements();
  ValueId image = mul.inputs[vecFirst], scale = mul.inputs[!vecFirst];
  if (g.nodes[scale].type.elements() != mul.type.dims.back() || mul.type.dims.size() != 3 ||
      conv.op != OpKind::Conv2D || conv.inputs[0] != id)
    return false;
  ConvAttrs &c = attrs<ConvAttrs>(conv);
  if (c.groups != 1 || c.scaled || (c.residual && conv.inputs[1] == id))
    return false;
  c.scaled = true;
  conv.inputs[0] = image;
  conv.inputs.push_back(scale);
  conv.absorbed.insert(conv.absorbed.begin(), {mul.name, mul.op});
  g.nodes[id].dead = true;
  return true;
}

static bool fuseFlatten(Graph &g, ValueId id) {
  Node &f = g.nodes[id];
  std::vector<ValueId> users = g.users(id);
  if (isView(g, f) || g.isOutput(id) || users.size() != 1 || g.nodes[users[0]].op != OpKind::Dense)
    return false;
  Node &dense = g.nodes[users[0]];
  dense.inputs[0] = f.inputs[0];
  attrs<DenseAttrs>(dense).image = true;
  dense.absorbed.insert(dense.absorbed.begin(), {f.name, f.op});
  f.dead = true;
  return true;
}

bool fuseElementwise(Graph &g, Diag &) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    if (hasTrait(n.op, Fusable) && hasTrait(n.op, Elementwise))
      changed |= opArity(n.op) == 2 ? fuseResidual(g, (ValueId)i) : fuseActivation(g, (ValueId)i);
    else if (n.op == OpKind::MaxPool2D)
      changed |= fusePool(g, (ValueId)i);
    else if (n.op == OpKind::Flatten)
      changed |= fuseFlatten(g, (ValueId)i);
    else if (n.op == OpKind::Mul)
      changed |= fuseScale(g, (ValueId)i);
  }
  return changed;
}

} // namespace cnnc

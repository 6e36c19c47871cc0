// passes/PlanMemory.cpp - layouts and arena offsets. Every tensor is
// channels-last (HWC) or a vector, in one arena; offsets are in floats,
// 64-byte aligned. Kernels run in node order, so a value lives from its
// producer to its last reader, and a buffer is reused once its value is dead
// (first fit over the free gaps). A flatten of a vector is a view of its
// input (a flatten of an image copies it into CHW order). A padded
// conv (and a transposed conv: its taps reach past the input) reads a
// zero-bordered scratch copy of its input: the copy is made
// before the conv writes anything, so the input's buffer may already hold
// the conv's output (unless the input is read again later, or is the
// residual the epilogue adds). Every output stays live to the end; all the
// inputs are placed before any layer's buffer.
#include "passes/Passes.h"

#include <map>

namespace cnnc {

namespace {

/// First-fit allocation over free gaps; `top` is the arena's high-water mark.
class Arena {
public:
  int64_t alloc(int64_t size) {
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->second >= size) {
        int64_t at = it->first, left = it->second - size;
        free_.erase(it);
        if (left)
          free_[at + size] = left;
        return at;
      }
    // Grow, merging a free gap at the top.
    if (!free_.empty() && free_.rbegin()->first + free_.rbegin()->second == top_) {
      int64_t at = free_.rbegin()->first;
      free_.erase(at);
      top_ = at + size;
      return at;
    }
    top_ += size;
    return top_ - size;
  }
  void release(int64_t at, int64_t size) {
    auto next = free_.lower_bound(at);
    if (next != free_.end() && at + size == next->first) // merge with the gap after
      size += next->second, free_.erase(next);
    auto prev = free_.lower_bound(at);
    if (prev != free_.begin() && std::prev(prev)->first + std::prev(prev)->second == at) {
      std::prev(prev)->second += size; // and with the gap before
      return;
    }
    free_[at] = size;
  }
  int64_t top() const { return top_; }

private:
  std::map<int64_t, int64_t> free_; // offset -> size
  int64_t top_ = 0;
};

/// A conv (or transposed conv) whose only reader reads its input inside a
/// zero border (a padded conv, a transposed conv) writes straight into a
/// buffer with that border, so the reader needs no padded copy. So does a
/// model input (Program::copyIn writes its rows inside the border).
Padding borderFor(const Graph &g, ValueId id) {
  const Node &n = g.nodes[id];
  std::vector<ValueId> users = g.users(id);
  if ((n.op != OpKind::Conv2D && n.op != OpKind::ConvTranspose2D && n.op != OpKind::Input) ||
      g.isOutput(id) || users.size() != 1 || n.type.dims.size() != 3)
    return {};
  const Node &reader = g.nodes[users[0]];
  Padding p = inputBorder(g, reader);
  if (reader.inputs[0] != id || (reader.inputs.size() > 1 && reader.inputs[1] == id) || !p.any())
    return {};
  p.mode = PadMode::Explicit;
  return p;
}

} // namespace

bool planMemory(Graph &g, Diag &) {
  const int N = (int)g.nodes.size();
  // Storage: a flatten shares its input's buffer; a value's buffer lives until
  // the last reader of any value stored in it.
  std::vector<ValueId> root(N);
  std::vector<int> end(N, -1);
  for (int i = 0; i < N; ++i) {
    Node &n = g.nodes[i];
    root[i] = !n.dead && isView(g, n) ? root[n.inputs[0]] : i;
    n.lastUse = g.isOutput(i) ? N : -1; // an output lives to the end
  }
  for (int i = 0; i < N; ++i)
    if (!g.nodes[i].dead)
      for (ValueId in : g.nodes[i].inputs)
        g.nodes[in].lastUse = std::max(g.nodes[in].lastUse, i);
  for (int i = 0; i < N; ++i)
    if (!g.nodes[i].dead)
      end[root[i]] = std::max(end[root[i]], g.nodes[i].lastUse);

  Arena arena;
  g.naiveFloats = 0;
  // A block is [guard][buffer, 16-float aligned][guard]; offsets point at the buffer.
  const int64_t guard = g.guardFloats;
  auto block = [&](int64_t floats) { return alignedFloats(floats) + 2 * guard; };
  auto releaseIfLast = [&](ValueId in, int i) {
    ValueId r = root[in];
    if (end[r] == i) {
      arena.release(g.nodes[r].offset - guard, block(bufferFloats(g.nodes[r])));
      end[r] = -1; // released once, even when read twice
    }
  };
  // Every input is copied in before the first kernel runs, so every input
  // buffer is allocated first, wherever its node stands (an input declared
  // after some layers must not share a buffer with them).
  for (ValueId in : g.inputs) {
    Node &n = g.nodes[in];
    n.type.layout = n.type.dims.size() == 3 ? Layout::HWC : Layout::Vector;
    n.border = borderFor(g, in);
    g.naiveFloats += block(bufferFloats(n));
    n.offset = arena.alloc(block(bufferFloats(n))) + guard;
  }
  for (ValueId in : g.inputs)
    if (end[in] < 0) // read by no one: free once all inputs are placed
      arena.release(g.nodes[in].offset - guard, block(bufferFloats(g.nodes[in])));
  for (int i = 0; i < N; ++i) {
    Node &n = g.nodes[i];
    if (n.dead || n.op == OpKind::Input)
      continue;
    n.type.layout = n.type.dims.size() == 3 ? Layout::HWC : Layout::Vector;
    if (isView(g, n)) {
      n.offset = g.nodes[n.inputs[0]].offset;
      continue;
    }
    n.border = borderFor(g, i);
    int64_t size = block(bufferFloats(n));
    g.naiveFloats += size;
    n.scratch = -1;
    int64_t scratchSize = 0;
    if (scratchFloats(g, n) > 0 && !hasBorder(g.nodes[n.inputs[0]])) {
      scratchSize = block(scratchFloats(g, n));
      n.scratch = arena.alloc(scratchSize) + guard;
      g.naiveFloats += scratchSize;
      // The main input is fully copied before the conv writes: free it now.
      ValueId residual = n.inputs.size() > 1 ? root[n.inputs[1]] : -1;
      if (root[n.inputs[0]] != residual)
        releaseIfLast(n.inputs[0], i);
    }
    n.offset = arena.alloc(size) + guard;
    if (n.scratch >= 0)
      arena.release(n.scratch - guard, scratchSize);
    for (ValueId in : n.inputs)
      releaseIfLast(in, i);
    if (end[root[i]] < 0) // never read (a dead-end the user kept): free at once
      arena.release(n.offset - guard, size);
  }
  g.arenaFloats = arena.top();
  return true;
}

} // namespace cnnc

// passes/PlanMemory.cpp - layouts and arena offsets. Every tensor is
// channels-last (HWC) or a vector; every live value gets its own 64-byte
// aligned slice of one arena, except flatten, which is a view of its input
// (HWC flattened in order is already contiguous); a padded conv also gets a
// scratch slice for its zero-bordered input. Liveness-based reuse is a later
// step; offsets are in floats.
#include "passes/Passes.h"

namespace cnnc {

bool planMemory(Graph &g, Diag &) {
  int64_t top = 0;
  for (Node &n : g.nodes) {
    if (n.dead)
      continue;
    n.type.layout = n.type.dims.size() == 3 ? Layout::HWC : Layout::Vector;
    if (n.op == OpKind::Flatten) {
      n.offset = g.nodes[n.inputs[0]].offset;
      continue;
    }
    n.offset = top;
    top += (n.type.elements() + 15) / 16 * 16;
    // A padded convolution reads a copy of its input with a physical zero
    // border, so its inner loops have no edge cases.
    if (n.op == OpKind::Conv2D) {
      const Padding &p = attrs<ConvAttrs>(n).pad;
      const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
      if (p.top + p.bottom + p.left + p.right > 0) {
        n.scratch = top;
        top += ((in[0] + p.top + p.bottom) * (in[1] + p.left + p.right) * in[2] + 15) / 16 * 16;
      }
    }
  }
  g.arenaFloats = top;
  return true;
}

} // namespace cnnc

// passes/TilePooling.cpp - gives every pooling node a tile plan: how many
// output rows and 16-channel blocks one tile covers, so that the input rows a
// tile reads stay within L1. Codegen loops tile by tile in this order.
#include "passes/Passes.h"

namespace cnnc {

constexpr int64_t L1Bytes = 32 * 1024;
constexpr int ChannelBlock = PoolChannelBlock;

bool tilePooling(Graph &g, Diag &) {
  bool changed = false;
  for (Node &n : g.nodes) {
    if (n.dead || !hasTrait(n.op, Pool))
      continue;
    PoolAttrs &a = attrs<PoolAttrs>(n);
    const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
    int64_t oh = n.type.dims[0];
    int64_t blocks = (in[2] + ChannelBlock - 1) / ChannelBlock;
    // Input bytes one output row of one channel block reads, counting overlap once.
    int64_t rowBytes = in[1] * ChannelBlock * 4;
    int64_t cblocks = std::clamp<int64_t>(L1Bytes / (2 * rowBytes * a.kh), 1, blocks);
    int64_t rows =
        std::clamp<int64_t>((L1Bytes / (rowBytes * cblocks) - (a.kh - a.sh)) / a.sh, 1, oh);
    TilePlan plan{(int)rows, (int)cblocks};
    changed |= plan.rows != a.tile.rows || plan.cblocks != a.tile.cblocks;
    a.tile = plan;
  }
  return changed;
}

} // namespace cnnc

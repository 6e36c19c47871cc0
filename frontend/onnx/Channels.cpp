// frontend/onnx/Channels.cpp - ONNX's ways of cutting and permuting an
// image's channels, as the IR's channel ops:
// - Slice / Split along axis 1 -> slice nodes;
// - Reshape [1, C, H, W] -> [1, G, C/G, H, W], Transpose (0, 2, 1, 3, 4),
//   Reshape back -> channel_shuffle(G) (ShuffleNet's export). A 5-D value is
//   the IR value it reshapes, its channels split in two axes.
#include "frontend/onnx/Translator.h"

#include <functional>
#include <map>

namespace cnnc::onnximport {

using Fn = std::function<void(Translator &, AttrReader &)>;

namespace {

/// A slice node for channels [lo, hi) of `x`.
void channelSlice(Translator &t, int k, const Val &x, int64_t lo, int64_t hi,
                  const std::string &layer) {
  SliceAttrs a;
  a.start = (int)lo, a.end = (int)hi;
  std::vector<int64_t> shape = x.shape;
  shape[1] = hi - lo;
  t.define(k, Val{false, {}, t.add(OpKind::Slice, a, {x.id}, layer), shape});
}

int64_t channelAxis(const Val &x, int64_t axis) {
  return axis < 0 ? axis + (int64_t)x.shape.size() : axis;
}

} // namespace

/// Slice of an image on its channels (axis 1, step 1).
void sliceTensor(Translator &t, const Val &x) {
  const Const *st = t.constInput(1), *en = t.constInput(2);
  const Const *ax = t.constInput(3, true), *sp = t.constInput(4, true);
  if (!st || !en || !t.image(0))
    return;
  if (st->count() != 1 || en->count() != 1 || (ax && ax->count() != 1) ||
      (ax && channelAxis(x, (int64_t)ax->v[0]) != 1) || (sp && (sp->count() != 1 || sp->v[0] != 1)))
    return t.unsupported("a slice of a tensor other than on the channels (axis 1) with step 1");
  const int64_t C = x.shape[1];
  auto clampIdx = [&](double v) {
    int64_t i = v < -1e18 ? 0 : v > 1e18 ? C : (int64_t)v;
    return std::clamp<int64_t>(i < 0 ? i + C : i, 0, C);
  };
  const int64_t lo = clampIdx(st->v[0]), hi = clampIdx(en->v[0]);
  if (hi <= lo)
    return t.unsupported("an empty slice");
  channelSlice(t, 0, x, lo, hi, t.layerName());
}

namespace {

/// Split on the channels: `split` (an input from opset 13, else an
/// attribute) gives the sizes, or the outputs share the channels equally.
void split(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  const int64_t axis = r.i("axis", 0);
  std::vector<int64_t> sizes = r.ints("split");
  if (const Const *s = t.opset >= 13 ? t.constInput(1, true) : nullptr)
    sizes.assign(s->v.begin(), s->v.end());
  if (!x)
    return;
  if (x->shape.size() != 4 || channelAxis(*x, axis) != 1)
    return t.unsupported("a split other than on the channels (axis 1)");
  const int64_t C = x->shape[1], n = t.node->output_size();
  if (sizes.empty() && C % n == 0)
    sizes.assign(n, C / n);
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s > 0 ? s : C + 1;
  if ((int64_t)sizes.size() != n || sum != C)
    return t.unsupported("split sizes that do not add up to the " + std::to_string(C) +
                         " channels");
  const std::string base = t.layerName();
  int64_t lo = 0;
  for (int64_t k = 0; k < n; lo += sizes[k++])
    channelSlice(t, (int)k, *x, lo, lo + sizes[k], base + "_" + std::to_string(k));
}

} // namespace

/// Reshape of an image to [1, G, C/G, H, W] (or back to [1, C, H, W] from
/// one): the same IR value. False if `out` is neither.
bool reshapeChannels(Translator &t, const Val &x, const std::vector<int64_t> &out) {
  const std::vector<int64_t> &in = x.shape;
  if (in.size() == 4 && out.size() == 5 && out[0] == 1 && out[1] * out[2] == in[1] &&
      out[3] == in[2] && out[4] == in[3])
    return t.define(0, Val{false, {}, x.id, out}), true;
  if (in.size() == 5 && out.size() == 4 && out[0] == 1 && out[1] == in[1] * in[2] &&
      out[2] == in[3] && out[3] == in[4])
    return t.define(0, Val{false, {}, x.id, out}), true;
  return false;
}

/// Transpose (0, 2, 1, 3, 4) of a [1, G, C/G, H, W] view: channel_shuffle(G).
void transposeTensor(Translator &t, AttrReader &r, const Val &x) {
  const std::vector<int64_t> perm = r.ints("perm");
  if (x.shape.size() != 5 || perm != std::vector<int64_t>{0, 2, 1, 3, 4})
    return t.unsupported("a transpose of a tensor other than a channel shuffle "
                         "(Reshape [1, G, C/G, H, W] -> Transpose (0, 2, 1, 3, 4) -> Reshape)");
  ShuffleAttrs a;
  a.groups = (int)x.shape[1];
  ValueId id = t.add(OpKind::ChannelShuffle, a, {x.id});
  t.define(0, Val{false, {}, id, {1, x.shape[2], x.shape[1], x.shape[3], x.shape[4]}});
}

void registerChannelOps(std::map<std::string, Fn> &m) { m["Split"] = split; }

} // namespace cnnc::onnximport

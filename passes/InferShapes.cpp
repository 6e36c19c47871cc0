// passes/InferShapes.cpp - output shapes with Keras's rules, and the concrete
// padding of 'same' windows:
//   valid: floor((n - f) / s) + 1 (a pool's ceil_mode: ceil, PyTorch's rule)
//   same:  ceil(n / s), total padding max((out - 1) * s + f - n, 0), the odd
//          row/column at the bottom/right (TensorFlow's rule).
// A dilated conv's kernel counts as its span d * (f - 1) + 1 in both (PyTorch's
// output size, TensorFlow's 'same').
// A shape that cannot work (a kernel larger than its padded input, a dense on
// an image) is an error at the layer's source location.
#include "passes/Passes.h"

namespace cnnc {

/// Largest tensor cnnc accepts, in elements (keeps every offset in 32 bits' reach).
constexpr int64_t MaxElements = int64_t(1) << 31;

int64_t windowOutput(int64_t in, int64_t k, int s, PadMode mode, int padBefore, int padAfter,
                     bool ceil) {
  if (mode == PadMode::Same)
    return (in + s - 1) / s;
  int64_t span = in + padBefore + padAfter - k;
  if (span < 0)
    return 0;
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  // PyTorch's ceil_mode: the last window starts inside the input or the top/left padding.
  return ceil && (out - 1) * s >= in + padBefore ? out - 1 : out;
}

static void resolveSame(Padding &p, int64_t h, int64_t w, int64_t kh, int64_t kw, int sh, int sw) {
  if (p.mode != PadMode::Same)
    return;
  auto split = [](int64_t n, int64_t k, int s, int &before, int &after) {
    int64_t out = (n + s - 1) / s;
    int64_t total = std::max<int64_t>((out - 1) * s + k - n, 0);
    before = (int)(total / 2);
    after = (int)(total - total / 2);
  };
  split(h, kh, sh, p.top, p.bottom);
  split(w, kw, sw, p.left, p.right);
}

static bool image(const Node &n, const TensorType &in, Diag &diag) {
  if (in.dims.size() == 3)
    return true;
  diag.error(n.loc, std::string(opName(n.op)) + " needs an image f32[H, W, C], got " + in.str());
  return false;
}

/// A window of kh x kw taps, dh and dw pixels apart (a dilated conv's kernel).
struct Window {
  int kh, kw, sh, sw, dh = 1, dw = 1;
  bool ceil = false; // a pool's ceil_mode
  int64_t spanH() const { return (int64_t)dh * (kh - 1) + 1; }
  int64_t spanW() const { return (int64_t)dw * (kw - 1) + 1; }
};

/// A dilated kernel spans at most as many pixels as the largest kernel the DSL takes.
static bool spanOk(const Node &n, const Window &w, Diag &diag) {
  if (std::max(w.spanH(), w.spanW()) <= MaxAttrInt)
    return true;
  diag.error(n.loc, "a " + std::to_string(w.kh) + "x" + std::to_string(w.kw) +
                        " kernel dilated to " + std::to_string(w.spanH()) + "x" +
                        std::to_string(w.spanW()) + " spans more than " +
                        std::to_string(MaxAttrInt) + " pixels");
  return false;
}

static bool window(Node &n, const TensorType &in, Padding &pad, Window w, const char *what,
                   Diag &diag) {
  if (!image(n, in, diag))
    return false;
  const int kh = w.kh, kw = w.kw;
  const int64_t eh = w.spanH(), ew = w.spanW();
  if (!spanOk(n, w, diag))
    return false;
  resolveSame(pad, in.dims[0], in.dims[1], eh, ew, w.sh, w.sw);
  int64_t oh = windowOutput(in.dims[0], eh, w.sh, pad.mode, pad.top, pad.bottom, w.ceil);
  int64_t ow = windowOutput(in.dims[1], ew, w.sw, pad.mode, pad.left, pad.right, w.ceil);
  if (oh < 1 || ow < 1) {
    std::string padded = pad.mode == PadMode::Valid ? "" : " padded";
    // Only a conv's kernel is dilated.
    std::string shape = eh == kh && ew == kw ? std::string(what)
                                             : "kernel, dilated to " + std::to_string(eh) + "x" +
                                                   std::to_string(ew) + ",";
    diag.error(n.loc, std::string("a ") + std::to_string(kh) + "x" + std::to_string(kw) + " " +
                          shape + " does not fit the" + padded + " " +
                          std::to_string(in.dims[0] + pad.top + pad.bottom) + "x" +
                          std::to_string(in.dims[1] + pad.left + pad.right) + " input of " +
                          opName(n.op) + " '" + n.name + "'");
    return false;
  }
  n.type.dims = {oh, ow, in.dims[2]};
  // A padded conv reads a zero-bordered copy of its input: that must fit too.
  TensorType padded{
      {in.dims[0] + pad.top + pad.bottom, in.dims[1] + pad.left + pad.right, in.dims[2]}};
  if (n.op == OpKind::Conv2D && padded.elements() > MaxElements) {
    diag.error(n.loc, "the zero-padded input of " + std::string(opName(n.op)) + " '" + n.name +
                          "' would be " + padded.str() + ", more than " +
                          std::to_string(MaxElements) + " elements");
    return false;
  }
  return true;
}

/// add/sub/mul/div: one shape, or an image and a vector of its channels ([C]
/// or [1, 1, C]) in either order; the result has the image's shape.
/// A conv's or pool's padding and strides; null padding for the other ops.
struct PadStride {
  const Padding *pad = nullptr;
  int sh = 1, sw = 1;
};
static PadStride padStrideOf(const Node &n) {
  switch (n.op) {
  case OpKind::Conv2D: {
    const ConvAttrs &a = attrs<ConvAttrs>(n);
    return {&a.pad, a.sh, a.sw};
  }
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D: {
    const PoolAttrs &a = attrs<PoolAttrs>(n);
    return {&a.pad, a.sh, a.sw};
  }
  case OpKind::Input:
  case OpKind::Flatten:
  case OpKind::Dense:
  case OpKind::GlobalAvgPool2D:
  case OpKind::ZeroPad2D:
  case OpKind::BatchNorm:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Concat:
  case OpKind::Dropout:
  case OpKind::Activation:
  case OpKind::GlobalMaxPool2D:
  case OpKind::Upsample2D:
  case OpKind::Prelu:
  case OpKind::Lrn:
  case OpKind::ChannelShuffle:
  case OpKind::Slice:
  case OpKind::ConvTranspose2D:
    return {};
  }
  return {};
}

/// After a height/width mismatch between two inputs: a note for each that a
/// conv or pool made smaller with padding=valid than padding=same would have
/// (the usual cause: the other branch kept its size with padding=same). A
/// stride's own reduction is not padding's doing, so it is left out.
static void shrinkNotes(const Graph &g, std::initializer_list<ValueId> inputs, Diag &diag) {
  auto hw = [](int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); };
  for (ValueId x : inputs) {
    const Node &src = g.nodes[x];
    const PadStride w = padStrideOf(src);
    if (!w.pad || w.pad->mode != PadMode::Valid || src.inputs.empty())
      continue;
    const TensorType &in = g.nodes[src.inputs[0]].type, &out = src.type;
    if (in.dims.size() != 3 || out.dims.size() != 3)
      continue;
    const int64_t sameH = (in.dims[0] + w.sh - 1) / w.sh, sameW = (in.dims[1] + w.sw - 1) / w.sw;
    if (out.dims[0] == sameH && out.dims[1] == sameW)
      continue;
    const std::string name = "'" + src.name + "' has padding=valid, which ";
    if (w.sh == 1 && w.sw == 1)
      diag.note(src.loc, name + "shrank it from " + hw(in.dims[0], in.dims[1]) + " to " +
                             hw(out.dims[0], out.dims[1]));
    else
      diag.note(src.loc, name + "makes it " + hw(out.dims[0], out.dims[1]) +
                             " where padding=same would make it " + hw(sameH, sameW));
  }
}

static bool binaryShape(const Graph &g, Node &n, Diag &diag) {
  const TensorType &a = g.nodes[n.inputs[0]].type, &b = g.nodes[n.inputs[1]].type;
  const TensorType &image = a.elements() >= b.elements() ? a : b, &other = &image == &a ? b : a;
  const int64_t C = image.dims.back();
  if (other.dims != image.dims && other.dims != std::vector<int64_t>{C} &&
      !(image.dims.size() == 3 && other.dims == std::vector<int64_t>{1, 1, C})) {
    diag.error(n.loc, std::string(opName(n.op)) +
                          " needs inputs of one shape, or an image and a vector of its channels, "
                          "got " +
                          a.str() + " and " + b.str());
    if (a.dims.size() == 3 && b.dims.size() == 3 &&
        (a.dims[0] != b.dims[0] || a.dims[1] != b.dims[1]))
      shrinkNotes(g, {n.inputs[0], n.inputs[1]}, diag);
    return false;
  }
  n.type.dims = image.dims;
  return true;
}

/// slice: channels [start, end) within the input's C; a split's results:
/// C / parts each, or sizes that add up to C. A split's error is reported
/// once, by its first result.
static bool sliceShape(Node &n, const TensorType &in, Diag &diag) {
  const SliceAttrs &a = attrs<SliceAttrs>(n);
  const int64_t C = in.dims.back();
  const std::string P = std::to_string(a.parts), of = " of its input " + in.str();
  if (a.parts > 0 && C % a.parts) {
    if (a.part == 0)
      diag.error(n.loc, "split into " + P + " parts needs a channel count divisible by " + P +
                            ", got " + std::to_string(C) + " channels" + of);
    return false;
  }
  if (a.channels > 0 && a.channels != C) {
    if (a.start == 0)
      diag.error(n.loc, "split's sizes add up to " + std::to_string(a.channels) +
                            " channels, not the " + std::to_string(C) + " channels" + of);
    return false;
  }
  const auto [first, last] = sliceRange(a, C);
  const std::string head = "slice '" + n.name + "': ", chans = std::to_string(C);
  if (first < 0 || first >= C)
    diag.error(n.loc, head + "start=" + std::to_string(a.start) + " is outside the " + chans +
                          " channels" + of + " (start is 0 to " + std::to_string(C - 1) + ", or -" +
                          chans + " to -1 from the end)");
  else if (last < 1 || last > C)
    diag.error(n.loc, head + "end=" + std::to_string(a.end) + " is outside the " + chans +
                          " channels" + of + " (end is 1 to " + chans + ", or -" +
                          std::to_string(C - 1) + " to -1 from the end)");
  else if (first >= last)
    diag.error(n.loc, head + "start=" + std::to_string(a.start) + " (channel " +
                          std::to_string(first) + ") is not before end=" + std::to_string(a.end) +
                          " (channel " + std::to_string(last) + "): the slice would be empty");
  else {
    n.type.dims = in.dims;
    n.type.dims.back() = last - first;
    return true;
  }
  return false;
}

/// conv2d_transpose: PyTorch's out = (in - 1) * s - top - bottom + d * (k - 1)
/// + 1 + output_padding, or Keras's 'same', out = in * s, whose crop
/// max(d * (k - 1) + 1 - s, 0) is resolved here, the odd row/column at the
/// bottom/right (TensorFlow's rule, as for conv2d).
static bool transposeShape(const Graph &g, Node &n, const TensorType &in, Diag &diag) {
  ConvTransposeAttrs &a = attrs<ConvTransposeAttrs>(n);
  const Window w{a.kh, a.kw, a.sh, a.sw, a.dh, a.dw};
  if (!image(n, in, diag) || !spanOk(n, w, diag))
    return false;
  if (in.dims[2] % a.groups) {
    diag.error(n.loc, "conv2d_transpose '" + n.name + "' has " + std::to_string(in.dims[2]) +
                          " input channels, not a multiple of groups=" + std::to_string(a.groups));
    return false;
  }
  Padding &p = a.pad;
  if (p.mode == PadMode::Same) {
    auto crop = [](int64_t span, int s, int &before, int &after) {
      const int64_t total = std::max<int64_t>(span - s, 0);
      before = (int)(total / 2), after = (int)(total - total / 2);
    };
    crop(w.spanH(), a.sh, p.top, p.bottom);
    crop(w.spanW(), a.sw, p.left, p.right);
  }
  const int64_t fullH = (in.dims[0] - 1) * a.sh + w.spanH() + a.oph;
  const int64_t fullW = (in.dims[1] - 1) * a.sw + w.spanW() + a.opw;
  const int64_t oh = p.mode == PadMode::Same ? in.dims[0] * a.sh : fullH - p.top - p.bottom;
  const int64_t ow = p.mode == PadMode::Same ? in.dims[1] * a.sw : fullW - p.left - p.right;
  if (oh < 1 || ow < 1) {
    diag.error(n.loc, "padding (" + std::to_string(p.top) + ", " + std::to_string(p.bottom) + ", " +
                          std::to_string(p.left) + ", " + std::to_string(p.right) +
                          ") crops all of the " + std::to_string(fullH) + "x" +
                          std::to_string(fullW) + " output of conv2d_transpose '" + n.name + "'");
    return false;
  }
  n.type.dims = {oh, ow, a.filters};
  // The kernel reads a zero-bordered copy of its input: that must fit too.
  const Padding b = inputBorder(g, n);
  TensorType bordered{{in.dims[0] + b.top + b.bottom, in.dims[1] + b.left + b.right, in.dims[2]}};
  if (bordered.elements() > MaxElements) {
    diag.error(n.loc, "the zero-bordered input of conv2d_transpose '" + n.name + "' would be " +
                          bordered.str() + ", more than " + std::to_string(MaxElements) +
                          " elements");
    return false;
  }
  return true;
}

static bool inferNode(Graph &g, Node &n, Diag &diag) {
  const TensorType in = n.inputs.empty() ? TensorType{} : g.nodes[n.inputs[0]].type;
  switch (n.op) {
  case OpKind::Input:
    return n.type.known();
  case OpKind::Conv2D: {
    ConvAttrs &a = attrs<ConvAttrs>(n);
    if (!window(n, in, a.pad, {a.kh, a.kw, a.sh, a.sw, a.dh, a.dw}, "kernel", diag))
      return false;
    if (in.dims[2] % a.groups) {
      diag.error(n.loc,
                 "conv2d '" + n.name + "' has " + std::to_string(in.dims[2]) +
                     " input channels, not a multiple of groups=" + std::to_string(a.groups));
      return false;
    }
    n.type.dims[2] = a.filters;
    return true;
  }
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D: {
    PoolAttrs &a = attrs<PoolAttrs>(n);
    const Padding &p = a.pad;
    // PyTorch's rule: a window never lies wholly in the padding.
    if (p.mode == PadMode::Explicit &&
        (2 * std::max(p.top, p.bottom) > a.kh || 2 * std::max(p.left, p.right) > a.kw)) {
      diag.error(n.loc, std::string(opName(n.op)) + " '" + n.name +
                            "': padding must be at most half the pool size");
      return false;
    }
    return window(n, in, a.pad, {a.kh, a.kw, a.sh, a.sw, 1, 1, a.ceilMode}, "pool window", diag);
  }
  case OpKind::Flatten:
    n.type.dims = {in.elements()};
    return true;
  case OpKind::Dense:
    if (in.dims.size() != 1 && !attrs<DenseAttrs>(n).image) {
      diag.error(n.loc,
                 "dense needs a vector input, got " + in.str() + "; add flatten() before it");
      return false;
    }
    n.type.dims = {attrs<DenseAttrs>(n).units};
    return true;
  case OpKind::Activation:
  case OpKind::Dropout:
  case OpKind::BatchNorm:
  case OpKind::Prelu:
  case OpKind::Lrn:
    n.type.dims = in.dims;
    return true;
  case OpKind::GlobalAvgPool2D:
  case OpKind::GlobalMaxPool2D:
    if (!image(n, in, diag))
      return false;
    n.type.dims = attrs<GlobalPoolAttrs>(n).keepdims ? std::vector<int64_t>{1, 1, in.dims[2]}
                                                     : std::vector<int64_t>{in.dims[2]};
    return true;
  case OpKind::ZeroPad2D: {
    if (!image(n, in, diag))
      return false;
    const Padding &p = attrs<ZeroPadAttrs>(n).pad;
    n.type.dims = {in.dims[0] + p.top + p.bottom, in.dims[1] + p.left + p.right, in.dims[2]};
    return true;
  }
  case OpKind::Upsample2D: {
    if (!image(n, in, diag))
      return false;
    const UpsampleAttrs &a = attrs<UpsampleAttrs>(n);
    n.type.dims = in.dims;
    if (a.oh > 0)
      n.type.dims[0] = a.oh, n.type.dims[1] = a.ow;
    else
      n.type.dims[0] *= a.sh, n.type.dims[1] *= a.sw;
    return true;
  }
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
    return binaryShape(g, n, diag);
  case OpKind::ChannelShuffle: {
    const int groups = attrs<ShuffleAttrs>(n).groups;
    if (groups < 1 || in.dims.back() % groups) {
      diag.error(n.loc, "channel_shuffle '" + n.name + "': groups=" + std::to_string(groups) +
                            " does not divide the " + std::to_string(in.dims.back()) +
                            " channels of its input " + in.str());
      return false;
    }
    n.type.dims = in.dims;
    return true;
  }
  case OpKind::Slice:
    return sliceShape(n, in, diag);
  case OpKind::ConvTranspose2D:
    return transposeShape(g, n, in, diag);
  case OpKind::Concat: {
    n.type.dims = in.dims;
    n.type.dims.back() = 0;
    for (ValueId x : n.inputs) {
      const std::vector<int64_t> &d = g.nodes[x].type.dims;
      if (d.size() != in.dims.size() || !std::equal(d.begin(), d.end() - 1, in.dims.begin())) {
        diag.error(n.loc,
                   "concat joins channels: every input needs the same " +
                       std::string(d.size() == in.dims.size() ? "height and width" : "rank") +
                       ", got " + in.str() + " and " + g.nodes[x].type.str());
        if (d.size() == in.dims.size())
          shrinkNotes(g, {n.inputs[0], x}, diag);
        return false;
      }
      n.type.dims.back() += d.back();
    }
    return true;
  }
  }
  return false;
}

static bool withinLimits(const Graph &g, const Node &n, Diag &diag) {
  if (n.type.elements() > MaxElements) {
    diag.error(n.loc, "'" + n.name + "' would produce " + n.type.str() + ", more than " +
                          std::to_string(MaxElements) + " elements");
    return false;
  }
  for (auto &[key, shape] : weightShapes(g, n)) {
    int64_t count = 1;
    for (int64_t d : shape)
      count = d > 0 && count > MaxElements / d ? MaxElements + 1 : count * d;
    if (count > MaxElements) {
      diag.error(n.loc,
                 "'" + key + "' would hold more than " + std::to_string(MaxElements) + " weights");
      return false;
    }
  }
  return true;
}

bool inferNodeShape(Graph &g, Node &n, Diag &diag) {
  if (!inferNode(g, n, diag) || !withinLimits(g, n, diag)) {
    n.type.dims.clear();
    return false;
  }
  return true;
}

bool inferShapes(Graph &g, Diag &diag) {
  for (Node &n : g.nodes) {
    if (n.dead)
      continue;
    // A layer downstream of one that failed has no input type: skip it
    // quietly, but keep checking independent branches so one run reports them all.
    bool inputsKnown = true;
    for (ValueId in : n.inputs)
      inputsKnown &= g.nodes[in].type.known();
    if (!inputsKnown || !inferNode(g, n, diag) || !withinLimits(g, n, diag))
      n.type.dims.clear();
  }
  return true;
}

} // namespace cnnc

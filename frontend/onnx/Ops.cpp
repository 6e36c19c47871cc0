// frontend/onnx/Ops.cpp - one function per ONNX op: IR nodes for tensors,
// folded constants for the shape arithmetic exporters emit.
#include "frontend/onnx/Translator.h"

#include <cmath>
#include <functional>
#include <map>

namespace cnnc::onnximport {
namespace {

using Fn = std::function<void(Translator &, AttrReader &)>;

/// An integer attribute within [lo, MaxAttrInt], else unsupported (lo - 1).
int bounded(Translator &t, int64_t v, int64_t lo, const char *what) {
  if (v < lo || v > MaxAttrInt) {
    t.unsupported(std::string(what) + " " + std::to_string(v) + " is out of range");
    return (int)lo - 1;
  }
  return (int)v;
}

/// Two-element spatial attributes ("strides", "dilations", "kernel_shape").
bool pair2(Translator &t, const std::vector<int64_t> &v, int64_t lo, const char *what, int &h,
           int &w) {
  if (v.size() != 2) {
    t.unsupported(std::string(what) + " must have 2 values (2-d ops only)");
    return false;
  }
  h = bounded(t, v[0], lo, what), w = bounded(t, v[1], lo, what);
  return h >= lo && w >= lo;
}

/// ONNX pads [top, left, bottom, right] or auto_pad, resolved to explicit
/// padding on input [1, C, H, W] (SAME_UPPER puts the odd row at the bottom).
bool padding(Translator &t, AttrReader &r, const std::vector<int64_t> &in, int kh, int kw, int sh,
             int sw, int dh, int dw, Padding &p) {
  std::vector<int64_t> pads = r.ints("pads", {0, 0, 0, 0});
  std::string autoPad = r.s("auto_pad", "NOTSET");
  p.mode = PadMode::Explicit;
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    int64_t tot[2];
    int64_t k[2] = {(int64_t)dh * (kh - 1) + 1, (int64_t)dw * (kw - 1) + 1}, s[2] = {sh, sw};
    for (int a = 0; a < 2; ++a) {
      int64_t out = (in[2 + a] + s[a] - 1) / s[a];
      tot[a] = std::max<int64_t>((out - 1) * s[a] + k[a] - in[2 + a], 0);
    }
    bool up = autoPad == "SAME_UPPER";
    pads = {up ? tot[0] / 2 : tot[0] - tot[0] / 2, up ? tot[1] / 2 : tot[1] - tot[1] / 2,
            up ? tot[0] - tot[0] / 2 : tot[0] / 2, up ? tot[1] - tot[1] / 2 : tot[1] / 2};
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad != "NOTSET") {
    t.unsupported("auto_pad '" + autoPad + "'");
    return false;
  }
  if (pads.size() != 4) {
    t.unsupported("pads must have 4 values");
    return false;
  }
  for (int64_t v : pads)
    if (v < 0 || v > MaxAttrInt) {
      t.unsupported("pads value " + std::to_string(v) + " is out of range");
      return false;
    }
  p.top = (int)pads[0], p.left = (int)pads[1], p.bottom = (int)pads[2], p.right = (int)pads[3];
  return true;
}

void conv(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  const Const *w = t.constInput(1), *b = t.constInput(2, true);
  ConvAttrs a;
  std::vector<int64_t> ks = r.ints("kernel_shape");
  bool ok = pair2(t, r.ints("strides", {1, 1}), 1, "strides", a.sh, a.sw) &&
            pair2(t, r.ints("dilations", {1, 1}), 1, "dilations", a.dh, a.dw);
  a.groups = bounded(t, r.i("group", 1), 1, "group");
  if (!x || !w || !ok || !a.groups)
    return;
  if (w->dims.size() != 4 || x->shape.size() != 4)
    return t.unsupported("only 2-d convolutions of images are supported");
  if (!ks.empty() && ks != std::vector<int64_t>{w->dims[2], w->dims[3]})
    return t.unsupported("kernel_shape does not match the weight's shape");
  if (!pair2(t, {w->dims[2], w->dims[3]}, 1, "kernel", a.kh, a.kw) ||
      !padding(t, r, x->shape, a.kh, a.kw, a.sh, a.sw, a.dh, a.dw, a.pad))
    return;
  a.filters = bounded(t, w->dims[0], 1, "output channels");
  if (b && b->count() != w->dims[0])
    return t.unsupported("the bias does not have one value per output channel");
  std::string name = t.layerName(t.node->input(1));
  t.setWeight(name + ".weight", *w, w->dims);
  if (b)
    t.setWeight(name + ".bias", *b, {w->dims[0]});
  a.useBias = b != nullptr;
  t.defineTensor(0, t.add(OpKind::Conv2D, a, {x->id}, name));
}

void convTranspose(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  const Const *w = t.constInput(1), *b = t.constInput(2, true);
  ConvTransposeAttrs a;
  bool ok = pair2(t, r.ints("strides", {1, 1}), 1, "strides", a.sh, a.sw) &&
            pair2(t, r.ints("dilations", {1, 1}), 1, "dilations", a.dh, a.dw) &&
            pair2(t, r.ints("output_padding", {0, 0}), 0, "output_padding", a.oph, a.opw);
  a.groups = bounded(t, r.i("group", 1), 1, "group");
  std::vector<int64_t> ks = r.ints("kernel_shape");
  if (r.has("output_shape"))
    r.ints("output_shape"), t.unsupported("output_shape (give pads instead)");
  if (r.s("auto_pad", "NOTSET") != "NOTSET")
    return t.unsupported("auto_pad on ConvTranspose (give pads instead)");
  if (!x || !w || !ok || !a.groups)
    return;
  if (w->dims.size() != 4 || x->shape.size() != 4)
    return t.unsupported("only 2-d transposed convolutions of images are supported");
  if (!ks.empty() && ks != std::vector<int64_t>{w->dims[2], w->dims[3]})
    return t.unsupported("kernel_shape does not match the weight's shape");
  if (!pair2(t, {w->dims[2], w->dims[3]}, 1, "kernel", a.kh, a.kw) ||
      !padding(t, r, x->shape, a.kh, a.kw, 1, 1, 1, 1, a.pad))
    return;
  a.filters = bounded(t, w->dims[1] * a.groups, 1, "output channels");
  if (b && b->count() != a.filters)
    return t.unsupported("the bias does not have one value per output channel");
  std::string name = t.layerName(t.node->input(1));
  t.setWeight(name + ".weight", *w, w->dims);
  if (b)
    t.setWeight(name + ".bias", *b, {a.filters});
  a.useBias = b != nullptr;
  t.defineTensor(0, t.add(OpKind::ConvTranspose2D, a, {x->id}, name));
}

void pool(Translator &t, AttrReader &r, OpKind op) {
  const Val *x = t.image(0);
  PoolAttrs a;
  bool ok = pair2(t, r.ints("kernel_shape"), 1, "kernel_shape", a.kh, a.kw) &&
            pair2(t, r.ints("strides", {1, 1}), 1, "strides", a.sh, a.sw);
  a.ceilMode = r.i("ceil_mode", 0) != 0;
  if (op == OpKind::AvgPool2D)
    a.countIncludePad = r.i("count_include_pad", 0) != 0;
  else if (r.ints("dilations", {1, 1}) != std::vector<int64_t>{1, 1} || r.i("storage_order", 0))
    return t.unsupported("dilations or storage_order on MaxPool");
  if (t.node->output_size() > 1 && !t.node->output(1).empty())
    return t.unsupported("the indices output");
  if (!x || !ok)
    return;
  if (x->shape.size() != 4)
    return t.unsupported("a pool of a vector");
  if (padding(t, r, x->shape, a.kh, a.kw, a.sh, a.sw, 1, 1, a.pad))
    t.defineTensor(0, t.add(op, a, {x->id}));
}

void globalPool(Translator &t, AttrReader &, OpKind op) {
  const Val *x = t.image(0);
  if (x && x->shape.size() != 4)
    return t.unsupported("a global pool of a vector");
  if (x)
    t.defineTensor(0, t.add(op, GlobalPoolAttrs{true}, {x->id}));
}

/// ReduceMean / ReduceMax over H and W: a global pool.
void reduce(Translator &t, AttrReader &r, OpKind op) {
  const Val *x = t.image(0);
  std::vector<int64_t> axes = r.ints("axes");
  if (axes.empty() && t.node->input_size() > 1)
    if (const Const *c = t.constInput(1))
      axes.assign(c->v.begin(), c->v.end());
  bool keep = r.i("keepdims", 1) != 0;
  if (!x)
    return;
  for (int64_t &v : axes)
    v = v < 0 ? v + (int64_t)x->shape.size() : v;
  std::sort(axes.begin(), axes.end());
  if (x->shape.size() != 4 || axes != std::vector<int64_t>{2, 3})
    return t.unsupported("only a reduction over H and W of an image (axes [2, 3])");
  t.defineTensor(0, t.add(op, GlobalPoolAttrs{keep}, {x->id}));
}

void batchNorm(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  double eps = r.f("epsilon", 1e-5);
  r.f("momentum", 0.9); // training only
  if (r.i("training_mode", 0))
    return t.unsupported("training_mode");
  if (t.node->output_size() > 1)
    return t.unsupported("the running statistics outputs (training mode)");
  const Const *p[4];
  for (int k = 0; k < 4; ++k)
    p[k] = t.constInput(k + 1);
  if (!x || !p[0] || !p[1] || !p[2] || !p[3])
    return;
  int64_t c = x->shape[1];
  for (const Const *q : p)
    if (q->count() != c)
      return t.unsupported("the statistics do not have one value per channel");
  if (!(eps >= 1e-30 && eps <= 1))
    return t.unsupported("epsilon out of range");
  std::string name = t.layerName(t.node->input(1));
  const char *keys[4] = {".weight", ".bias", ".running_mean", ".running_var"};
  for (int k = 0; k < 4; ++k)
    t.setWeight(name + keys[k], *p[k], {c});
  t.defineTensor(0, t.add(OpKind::BatchNorm, BatchNormAttrs{eps}, {x->id}, name));
}

void activation(Translator &t, ActFn act) {
  const Val *x = t.image(0);
  if (x)
    t.defineTensor(0, t.add(OpKind::Activation, ActAttrs{act}, {x->id}));
}

void clip(Translator &t, AttrReader &r) {
  double lo = -3e38, hi = 3e38;
  if (t.opset < 11)
    lo = r.f("min", -3e38f), hi = r.f("max", 3e38f);
  if (const Const *c = t.constInput(1, true); c && c->count() == 1)
    lo = c->v[0];
  if (const Const *c = t.constInput(2, true); c && c->count() == 1)
    hi = c->v[0];
  lo = std::max(lo, -3e38), hi = std::min(hi, 3e38);
  if (!(lo <= hi))
    return t.unsupported("min above max");
  activation(t, lo == 0 && hi == 6 ? ActFn(Act::Relu6) : ActFn(Act::Clip, (float)lo, (float)hi));
}

void softmax(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  int64_t axis = r.i("axis", t.opset >= 13 ? -1 : 1);
  if (!x)
    return;
  int64_t rank = x->shape.size();
  axis = axis < 0 ? axis + rank : axis;
  bool image = rank == 4 && (t.opset >= 13 || (x->shape[2] == 1 && x->shape[3] == 1));
  if (axis != 1 || (rank == 4 && !image))
    return t.unsupported("softmax over an axis other than the channels");
  activation(t, Act::Softmax);
}

void alias(Translator &t, AttrReader &r) {
  r.f("ratio", 0.5), r.i("seed", 0);
  if (const Val *x = t.input(0))
    t.define(0, *x);
}

void flatten(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  if (r.i("axis", 1) != 1)
    return t.unsupported("only axis 1");
  if (x && x->shape.size() == 2)
    t.define(0, *x);
  else if (x)
    t.defineTensor(0, t.add(OpKind::Flatten, NoAttrs{}, {x->id}));
}

/// Reshape's output shape: 0 copies the input's dimension (unless
/// allowzero), one -1 takes what is left. Empty, with an error, if invalid.
std::vector<int64_t> reshaped(Translator &t, const std::vector<int64_t> &in, const Const &s,
                              AttrReader &r) {
  const bool allowZero = r.i("allowzero", 0) != 0;
  int64_t count = 1, known = 1, infer = -1;
  for (int64_t d : in)
    count *= d;
  std::vector<int64_t> out;
  for (size_t i = 0; i < s.v.size(); ++i) {
    int64_t d = (int64_t)s.v[i];
    if (d == 0 && !allowZero)
      d = i < in.size() ? in[i] : -2;
    if (d == -1 && infer < 0)
      infer = (int64_t)i;
    else if (d < 0 || d > count)
      return t.unsupported("the target shape is invalid for the input"), std::vector<int64_t>{};
    else
      known *= d;
    out.push_back(d);
  }
  if (infer >= 0 && known > 0 && count % known == 0)
    out[infer] = count / known;
  else if (infer >= 0 || known != count)
    return t.unsupported("the target shape does not hold the input's elements"),
           std::vector<int64_t>{};
  return out;
}

void reshape(Translator &t, AttrReader &r) {
  const Val *x = t.input(0);
  const Const *s = t.constInput(1);
  if (!x || !s)
    return;
  std::vector<int64_t> out = reshaped(t, x->isConst ? x->c.dims : x->shape, *s, r);
  if (out.empty())
    return;
  if (x->isConst) {
    Const c = x->c;
    c.dims = out; // reshaped() checked the element count
    return t.defineConst(0, c);
  }
  if (reshapeChannels(t, *x, out))
    return;
  if (!(x = t.image(0)))
    return;
  if (out.size() == 2 && out[0] == 1 && x->shape.size() == 4)
    return t.defineTensor(0, t.add(OpKind::Flatten, NoAttrs{}, {x->id}));
  if (out == x->shape)
    return t.define(0, *x);
  t.unsupported("only a reshape to [1, N] (a flatten), or a channel shuffle's reshapes, "
                "is supported");
}

/// Gemm / MatMul of a vector [1, K] by a constant: dense with weight [N, K].
void dense(Translator &t, AttrReader &r, bool gemm) {
  const Val *x = t.image(0);
  const Const *w = t.constInput(1), *c = gemm ? t.constInput(2, true) : nullptr;
  double alpha = gemm ? r.f("alpha", 1) : 1, beta = gemm ? r.f("beta", 1) : 1;
  bool transB = gemm && r.i("transB", 0);
  if (gemm && r.i("transA", 0))
    return t.unsupported("transA");
  if (!x || !w)
    return;
  if (x->shape.size() != 2 || w->dims.size() != 2)
    return t.unsupported("only [1, K] x [K, N] (after a flatten) is supported");
  int64_t K = x->shape[1], N = transB ? w->dims[0] : w->dims[1];
  if ((transB ? w->dims[1] : w->dims[0]) != K)
    return t.unsupported("the weight's shape does not match the input");
  if (c && c->count() != N && c->count() != 1)
    return t.unsupported("a bias that is not [N] or a scalar");
  Const wt;
  wt.v.resize(N * K);
  for (int64_t o = 0; o < N; ++o)
    for (int64_t i = 0; i < K; ++i)
      wt.v[o * K + i] = alpha * (transB ? w->v[o * K + i] : w->v[i * N + o]);
  DenseAttrs a;
  a.units = bounded(t, N, 1, "units");
  if (!a.units)
    return;
  std::string name = t.layerName(t.node->input(1));
  t.setWeight(name + ".weight", wt, {N, K});
  if (c) {
    Const bias;
    for (int64_t o = 0; o < N; ++o)
      bias.v.push_back(beta * c->v[c->count() == 1 ? 0 : o]);
    t.setWeight(name + ".bias", bias, {N});
  }
  a.useBias = c != nullptr;
  t.defineTensor(0, t.add(OpKind::Dense, a, {x->id}, name));
}

void concat(Translator &t, AttrReader &r) {
  int64_t axis = r.i("axis", 1);
  std::vector<const Val *> ins;
  bool consts = true;
  for (int k = 0; k < t.node->input_size(); ++k) {
    const Val *v = t.input(k);
    if (!v)
      return;
    ins.push_back(v);
    consts &= v->isConst;
  }
  if (consts) { // shape arithmetic: 1-d
    Const c;
    for (const Val *v : ins) {
      if (v->c.dims.size() != 1)
        return t.unsupported("a concat of constants that are not 1-d");
      c.v.insert(c.v.end(), v->c.v.begin(), v->c.v.end());
    }
    c.dims = {(int64_t)c.v.size()};
    return t.defineConst(0, c);
  }
  std::vector<ValueId> ids;
  for (int k = 0; k < (int)ins.size(); ++k) {
    const Val *v = t.image(k);
    if (!v)
      return;
    if ((axis < 0 ? axis + (int64_t)v->shape.size() : axis) != 1)
      return t.unsupported("a concat on an axis other than the channels");
    ids.push_back(v->id);
  }
  t.defineTensor(0, ids.size() == 1 ? ids[0] : t.add(OpKind::Concat, NoAttrs{}, ids));
}

void pad(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  std::string mode = r.s("mode", "constant");
  std::vector<int64_t> pads = r.ints("pads");
  if (const Const *p = t.opset >= 11 ? t.constInput(1) : nullptr)
    pads.assign(p->v.begin(), p->v.end());
  double value = t.opset < 11 ? r.f("value", 0) : 0;
  if (const Const *v = t.opset >= 11 ? t.constInput(2, true) : nullptr; v && v->count() == 1)
    value = v->v[0];
  if (mode != "constant" || value != 0)
    return t.unsupported("only zero padding (mode constant, value 0)");
  if (!x)
    return;
  if (x->shape.size() != 4 || pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5])
    return t.unsupported("only padding of H and W of an image");
  ZeroPadAttrs a;
  for (int k : {2, 3, 6, 7})
    if (pads[k] < 0 || pads[k] > MaxAttrInt)
      return t.unsupported("a negative or huge pad");
  a.pad = Padding{PadMode::Explicit, (int)pads[2], (int)pads[6], (int)pads[3], (int)pads[7]};
  t.defineTensor(0, t.add(OpKind::ZeroPad2D, a, {x->id}));
}

void resize(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  std::string mode = r.s("mode", "nearest"),
              coord = r.s("coordinate_transformation_mode", "half_pixel");
  std::string nearest = r.s("nearest_mode", "round_prefer_floor");
  r.f("cubic_coeff_a", -0.75), r.i("exclude_outside", 0), r.f("extrapolation_value", 0);
  if (!x || x->shape.size() != 4)
    return;
  std::vector<int64_t> out;
  const Const *scales = t.constInput(2, true), *sizes = t.constInput(3, true);
  if (sizes && sizes->count() == 4)
    out.assign(sizes->v.begin(), sizes->v.end());
  else if (scales && scales->count() == 4)
    for (int k = 0; k < 4; ++k)
      out.push_back((int64_t)std::floor(x->shape[k] * scales->v[k]));
  else
    return t.unsupported("a resize needs constant scales or sizes for all 4 axes");
  UpsampleAttrs a;
  // At a whole scale factor, half-pixel centres rounded to the nearest pixel
  // (ONNX's defaults) pick the same pixels as PyTorch's floor.
  const bool whole = out.size() == 4 && out[2] % x->shape[2] == 0 && out[3] % x->shape[3] == 0;
  const bool halfNearest =
      coord == "half_pixel" && (nearest == "round_prefer_floor" || nearest == "round_prefer_ceil");
  if (mode == "nearest" &&
      ((coord == "asymmetric" && nearest == "floor") || (whole && halfNearest)))
    a.mode = UpsampleMode::Nearest;
  else if (mode == "linear" && (coord == "half_pixel" || coord == "pytorch_half_pixel"))
    a.mode = UpsampleMode::Bilinear;
  else if (mode == "linear" && coord == "align_corners")
    a.mode = UpsampleMode::Bilinear, a.alignCorners = true;
  else
    return t.unsupported("mode '" + mode + "' with coordinate_transformation_mode '" + coord +
                         "' (and nearest_mode '" + nearest + "')");
  if (out[0] != 1 || out[1] != x->shape[1] || out[2] < 1 || out[3] < 1)
    return t.unsupported("a resize of the batch or channel axis, or to nothing");
  if (whole) {
    a.sh = bounded(t, out[2] / x->shape[2], 1, "scale");
    a.sw = bounded(t, out[3] / x->shape[3], 1, "scale");
  } else {
    a.oh = bounded(t, out[2], 1, "size"), a.ow = bounded(t, out[3], 1, "size");
  }
  t.defineTensor(0, t.add(OpKind::Upsample2D, a, {x->id}));
}

void lrn(Translator &t, AttrReader &r) {
  const Val *x = t.image(0);
  LrnAttrs a{(int)r.i("size", 0), r.f("alpha", 1e-4), r.f("beta", 0.75), r.f("bias", 1)};
  if (a.size < 1 || a.size % 2 == 0 || a.size > MaxAttrInt)
    return t.unsupported("LRN size must be odd");
  if (x && x->shape.size() == 4)
    t.defineTensor(0, t.add(OpKind::Lrn, a, {x->id}));
}

void prelu(Translator &t, AttrReader &) {
  const Val *x = t.image(0);
  const Const *s = t.constInput(1);
  if (!x || !s)
    return;
  int64_t c = x->shape[1];
  if (s->count() != c && s->count() != 1)
    return t.unsupported("a slope that is not per channel or shared");
  std::string name = t.layerName(t.node->input(1));
  t.setWeight(name + ".weight", *s, {s->count()});
  t.defineTensor(0, t.add(OpKind::Prelu, PreluAttrs{s->count() == 1}, {x->id}, name));
}

} // namespace

void registerShapeOps(std::map<std::string, Fn> &ops);
void registerBinaryOps(std::map<std::string, Fn> &ops);
void registerChannelOps(std::map<std::string, Fn> &ops);

bool translateOp(Translator &t, const onnx::NodeProto &n, AttrReader &r) {
  static const std::map<std::string, Fn> ops = [] {
    std::map<std::string, Fn> m;
    auto act = [&](const char *op, ActFn f) {
      m[op] = [f](Translator &t, AttrReader &) { activation(t, f); };
    };
    act("Relu", Act::Relu), act("Sigmoid", Act::Sigmoid), act("Tanh", Act::Tanh);
    act("HardSwish", Act::HardSwish), act("Softplus", Act::Softplus);
    m["LeakyRelu"] = [](Translator &t, AttrReader &r) {
      activation(t, ActFn(Act::LeakyRelu, r.f("alpha", 0.01f)));
    };
    m["Elu"] = [](Translator &t, AttrReader &r) {
      activation(t, ActFn(Act::Elu, r.f("alpha", 1)));
    };
    m["HardSigmoid"] = [](Translator &t, AttrReader &r) {
      if (std::fabs(r.f("alpha", 0.2f) - 1 / 6.0) > 1e-6 ||
          std::fabs(r.f("beta", 0.5f) - 0.5) > 1e-6)
        return t.unsupported("alpha and beta other than PyTorch's (1/6, 1/2)");
      activation(t, Act::HardSigmoid);
    };
    m["Clip"] = clip, m["Softmax"] = softmax, m["Conv"] = conv;
    m["ConvTranspose"] = convTranspose, m["BatchNormalization"] = batchNorm;
    m["MaxPool"] = [](Translator &t, AttrReader &r) { pool(t, r, OpKind::MaxPool2D); };
    m["AveragePool"] = [](Translator &t, AttrReader &r) { pool(t, r, OpKind::AvgPool2D); };
    m["GlobalAveragePool"] = [](Translator &t, AttrReader &r) {
      globalPool(t, r, OpKind::GlobalAvgPool2D);
    };
    m["GlobalMaxPool"] = [](Translator &t, AttrReader &r) {
      globalPool(t, r, OpKind::GlobalMaxPool2D);
    };
    m["ReduceMean"] = [](Translator &t, AttrReader &r) { reduce(t, r, OpKind::GlobalAvgPool2D); };
    m["ReduceMax"] = [](Translator &t, AttrReader &r) { reduce(t, r, OpKind::GlobalMaxPool2D); };
    m["Dropout"] = alias, m["Identity"] = alias, m["Flatten"] = flatten, m["Reshape"] = reshape;
    m["Gemm"] = [](Translator &t, AttrReader &r) { dense(t, r, true); };
    m["MatMul"] = [](Translator &t, AttrReader &r) { dense(t, r, false); };
    m["Concat"] = concat, m["Pad"] = pad, m["Resize"] = resize, m["LRN"] = lrn;
    m["PRelu"] = prelu;
    registerShapeOps(m);
    registerBinaryOps(m);
    registerChannelOps(m);
    return m;
  }();
  auto it = ops.find(n.op_type());
  if (it == ops.end())
    return false;
  it->second(t, r);
  return true;
}

} // namespace cnnc::onnximport

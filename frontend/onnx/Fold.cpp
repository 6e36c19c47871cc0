// frontend/onnx/Fold.cpp - the shape arithmetic exporters emit (Constant,
// Shape, Gather, Unsqueeze, Squeeze, Cast), folded at import time, and the
// binary ops: folded on constants, a per-channel affine (a batchnorm) for a
// tensor and a constant, an IR op for two tensors, x * sigmoid(x) -> silu.
#include "frontend/onnx/Translator.h"

#include <cmath>
#include <functional>
#include <map>

namespace cnnc::onnximport {

using Fn = std::function<void(Translator &, AttrReader &)>;

namespace {

void constant(Translator &t, AttrReader &r) {
  Const c;
  std::string why;
  if (const onnx::TensorProto *v = r.t("value")) {
    if (!decodeTensor(*v, c, why))
      return t.unsupported("value: " + why);
  } else if (r.has("value_float") || r.has("value_int")) {
    c.v = {r.has("value_int") ? (double)r.i("value_int", 0) : r.f("value_float", 0)};
  } else if (r.has("value_ints")) {
    std::vector<int64_t> v = r.ints("value_ints");
    c.v.assign(v.begin(), v.end()), c.dims = {(int64_t)v.size()};
  } else {
    return t.unsupported("a Constant without value, value_float, value_int or value_ints");
  }
  t.defineConst(0, c);
}

void shape(Translator &t, AttrReader &r) {
  const Val *x = t.input(0);
  if (!x)
    return;
  std::vector<int64_t> dims = x->isConst ? x->c.dims : x->shape;
  int64_t rank = dims.size(), start = r.i("start", 0), end = r.i("end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
  end = std::clamp(end < 0 ? end + rank : end, start, rank);
  Const c;
  c.v.assign(dims.begin() + start, dims.begin() + end);
  c.dims = {(int64_t)c.v.size()};
  t.defineConst(0, c);
}

void gather(Translator &t, AttrReader &r) {
  const Const *d = t.constInput(0), *idx = t.constInput(1);
  int64_t axis = r.i("axis", 0);
  if (!d || !idx)
    return;
  if (d->dims.size() != 1 || axis != 0 || idx->dims.size() > 1)
    return t.unsupported("a gather other than from a 1-d constant");
  Const c;
  c.dims = idx->dims;
  for (double i : idx->v) {
    int64_t k = (int64_t)i < 0 ? (int64_t)i + d->count() : (int64_t)i;
    if (k < 0 || k >= d->count())
      return t.unsupported("an index out of range");
    c.v.push_back(d->v[k]);
  }
  t.defineConst(0, c);
}

/// Unsqueeze / Squeeze of a constant (axes as an attribute, or an input from opset 13).
void squeeze(Translator &t, AttrReader &r, bool un) {
  const Const *d = t.constInput(0);
  std::vector<int64_t> axes = r.ints("axes");
  if (t.opset >= 13)
    if (const Const *a = t.constInput(1, !un))
      axes.assign(a->v.begin(), a->v.end());
  if (!d)
    return;
  Const c = *d;
  int64_t rank = (int64_t)d->dims.size() + (un ? (int64_t)axes.size() : 0);
  for (int64_t &a : axes)
    a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  if (un) {
    for (int64_t a : axes) {
      if (a < 0 || a > (int64_t)c.dims.size())
        return t.unsupported("an axis out of range");
      c.dims.insert(c.dims.begin() + a, 1);
    }
  } else {
    c.dims.clear();
    for (int64_t k = 0; k < (int64_t)d->dims.size(); ++k)
      if (!(axes.empty() ? d->dims[k] == 1 : std::count(axes.begin(), axes.end(), k)))
        c.dims.push_back(d->dims[k]);
  }
  t.defineConst(0, c);
}

void cast(Translator &t, AttrReader &r) {
  const Val *x = t.input(0);
  int64_t to = r.i("to", 0);
  if (!x)
    return;
  if (!x->isConst) {
    if (to != onnx::TensorProto::FLOAT)
      return t.unsupported("a cast of a tensor to a type other than float");
    return t.define(0, *x);
  }
  Const c = x->c;
  if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32)
    for (double &v : c.v)
      v = std::trunc(v);
  t.defineConst(0, c);
}

/// The row-major strides of `dims`.
std::vector<int64_t> strides(const std::vector<int64_t> &dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;)
    s[k - 1] = s[k] * dims[k];
  return s;
}

void constantOfShape(Translator &t, AttrReader &r) {
  const Const *s = t.constInput(0);
  Const value;
  std::string why;
  if (const onnx::TensorProto *v = r.t("value"); v && !decodeTensor(*v, value, why))
    return t.unsupported("value: " + why);
  if (!s)
    return;
  Const c;
  for (double d : s->v)
    c.dims.push_back((int64_t)d);
  if (c.dims.size() > 8 || c.count() > 4096)
    return t.unsupported("a large ConstantOfShape (only shape arithmetic is folded)");
  c.v.assign(c.count(), value.v.empty() ? 0.0 : value.v[0]);
  t.defineConst(0, c);
}

void transpose(Translator &t, AttrReader &r) {
  if (const Val *x = t.input(0); x && !x->isConst)
    return transposeTensor(t, r, *x);
  const Const *d = t.constInput(0);
  if (!d)
    return;
  const int64_t rank = d->dims.size();
  std::vector<int64_t> perm = r.ints("perm");
  if (perm.empty())
    for (int64_t k = rank; k-- > 0;)
      perm.push_back(k);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t k = 0; k < rank; ++k)
    if ((int64_t)sorted.size() != rank || sorted[k] != k)
      return t.unsupported("perm is not a permutation of the axes");
  Const c;
  for (int64_t p : perm)
    c.dims.push_back(d->dims[p]);
  std::vector<int64_t> in = strides(d->dims), out = strides(c.dims);
  c.v.resize(c.count());
  for (int64_t i = 0; i < c.count(); ++i) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k)
      src += (i / out[k] % c.dims[k]) * in[perm[k]];
    c.v[i] = d->v[src];
  }
  t.defineConst(0, c);
}

/// Slice of a constant (starts, ends, axes, steps as inputs from opset 10).
void slice(Translator &t, AttrReader &) {
  if (const Val *x = t.input(0); x && !x->isConst)
    return sliceTensor(t, *x);
  const Const *d = t.constInput(0), *st = t.constInput(1), *en = t.constInput(2);
  const Const *ax = t.constInput(3, true), *sp = t.constInput(4, true);
  if (!d || !st || !en)
    return;
  const int64_t rank = d->dims.size();
  std::vector<int64_t> lo(rank, 0), step(rank, 1), dims = d->dims;
  for (size_t k = 0; k < st->v.size(); ++k) {
    int64_t a = ax ? (int64_t)ax->v.at(std::min(k, ax->v.size() - 1)) : (int64_t)k;
    a = a < 0 ? a + rank : a;
    int64_t s = sp && k < sp->v.size() ? (int64_t)sp->v[k] : 1;
    if (a < 0 || a >= rank || s == 0 || k >= en->v.size())
      return t.unsupported("a slice with bad axes, steps or ends");
    const int64_t n = d->dims[a];
    auto clampIdx = [&](double v, bool isEnd) {
      int64_t i = v < -1e18 ? -n - 1 : v > 1e18 ? n : (int64_t)v;
      i = i < 0 ? i + n : i;
      return s > 0 ? std::clamp<int64_t>(i, 0, n) : std::clamp<int64_t>(i, -1, n - 1);
    };
    int64_t b = clampIdx(st->v[k], false), e = clampIdx(en->v[k], true);
    lo[a] = b, step[a] = s;
    dims[a] = s > 0 ? std::max<int64_t>((e - b + s - 1) / s, 0)
                    : std::max<int64_t>((b - e - s - 1) / -s, 0);
  }
  Const c;
  c.dims = dims;
  std::vector<int64_t> in = strides(d->dims), out = strides(dims);
  c.v.resize(c.count());
  for (int64_t i = 0; i < c.count(); ++i) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k)
      src += (lo[k] + (i / out[k] % dims[k]) * step[k]) * in[k];
    c.v[i] = d->v[src];
  }
  t.defineConst(0, c);
}

double apply(const std::string &op, double a, double b) {
  if (op == "Add")
    return a + b;
  if (op == "Sub")
    return a - b;
  if (op == "Mul")
    return a * b;
  return a / b;
}

/// Numpy broadcasting of two constants (shape arithmetic and folded weights).
bool foldBinary(Translator &t, const std::string &op, const Const &a, const Const &b) {
  size_t rank = std::max(a.dims.size(), b.dims.size());
  auto dim = [&](const Const &c, size_t k) {
    return k + c.dims.size() < rank ? 1 : c.dims[k + c.dims.size() - rank];
  };
  Const c;
  for (size_t k = 0; k < rank; ++k) {
    int64_t x = dim(a, k), y = dim(b, k);
    if (x != y && x != 1 && y != 1) {
      t.unsupported("constant operands of shapes that do not broadcast");
      return false;
    }
    c.dims.push_back(std::max(x, y));
  }
  c.v.resize(c.count());
  for (int64_t i = 0; i < c.count(); ++i) {
    int64_t rest = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (size_t k = rank; k-- > 0;) {
      int64_t idx = rest % c.dims[k];
      rest /= c.dims[k];
      ia += (dim(a, k) == 1 ? 0 : idx) * sa, sa *= dim(a, k);
      ib += (dim(b, k) == 1 ? 0 : idx) * sb, sb *= dim(b, k);
    }
    c.v[i] = apply(op, a.v[ia], b.v[ib]);
  }
  t.defineConst(0, c);
  return true;
}

/// A tensor and a constant that is a scalar or one value per channel: a
/// batchnorm-shaped affine. `constFirst`: the constant is the left operand.
void tensorConst(Translator &t, const std::string &op, const Val &x, const Const &c,
                 bool constFirst) {
  // Numpy broadcasting aligns the right ends: per channel means [C, 1, 1] or
  // [1, C, 1, 1] for an image, [C] or [1, C] for a vector.
  const int64_t C = x.shape[1], rank = (int64_t)x.shape.size();
  bool ok = (int64_t)c.dims.size() <= rank;
  for (int64_t k = 0; ok && k < (int64_t)c.dims.size(); ++k) {
    int64_t axis = k + rank - (int64_t)c.dims.size();
    ok = c.dims[k] == 1 || (axis == 1 && c.dims[k] == C);
  }
  if (!ok)
    return t.unsupported("a constant operand that is neither a scalar nor one value per channel");
  std::vector<double> w, b;
  for (double v : c.v) {
    if (op == "Add")
      w.push_back(1), b.push_back(v);
    else if (op == "Mul")
      w.push_back(v), b.push_back(0);
    else if (op == "Sub")
      w.push_back(constFirst ? -1 : 1), b.push_back(constFirst ? v : -v);
    else if (!constFirst)
      w.push_back(1 / v), b.push_back(0);
    else
      return t.unsupported("a constant divided by a tensor");
  }
  t.defineTensor(0, t.affine(x.id, C, w, b));
}

/// x * act(x) for x's sigmoid / hardsigmoid: silu / hardswish.
bool gatedActivation(Translator &t, const Val &x, const Val &s) {
  const Node &n = t.graph().nodes[s.id];
  if (n.op != OpKind::Activation || n.inputs[0] != x.id)
    return false;
  Act a = attrs<ActAttrs>(n).act.kind;
  if (a != Act::Sigmoid && a != Act::HardSigmoid)
    return false;
  ActFn f(a == Act::Sigmoid ? Act::Silu : Act::HardSwish);
  t.defineTensor(0, t.add(OpKind::Activation, ActAttrs{f}, {x.id}));
  return true;
}

void binary(Translator &t, AttrReader &, const std::string &op) {
  if (auto g = t.gelu.find(t.node); g != t.gelu.end()) {
    const Val *x = t.value(g->second);
    if (!x || x->isConst)
      return t.unsupported("a GELU of a constant");
    ActFn f = ActFn::withDefaults(Act::Gelu);
    return t.defineTensor(0, t.add(OpKind::Activation, ActAttrs{f}, {x->id}));
  }
  const Val *a = t.input(0), *b = t.input(1);
  if (!a || !b)
    return;
  if (a->isConst && b->isConst)
    return (void)foldBinary(t, op, a->c, b->c);
  if (b->isConst || a->isConst) {
    const Val *x = t.image(a->isConst ? 1 : 0);
    if (x)
      tensorConst(t, op, *x, a->isConst ? a->c : b->c, a->isConst);
    return;
  }
  if (!(a = t.image(0)) || !(b = t.image(1)))
    return;
  if (op == "Mul" && (gatedActivation(t, *a, *b) || gatedActivation(t, *b, *a)))
    return;
  auto channelVector = [&](const Val *v, const Val *o) {
    return v->shape.size() == 4 && o->shape.size() == 4 && v->shape[1] == o->shape[1] &&
           v->shape[2] == 1 && v->shape[3] == 1;
  };
  if (a->shape != b->shape && !channelVector(a, b) && !channelVector(b, a))
    return t.unsupported("operands of different shapes (only one shape, or [1, C, 1, 1] "
                         "broadcast over an image, are supported)");
  OpKind k = op == "Add"   ? OpKind::Add
             : op == "Sub" ? OpKind::Sub
             : op == "Mul" ? OpKind::Mul
                           : OpKind::Div;
  t.defineTensor(0, t.add(k, NoAttrs{}, {a->id, b->id}));
}

} // namespace

void registerShapeOps(std::map<std::string, Fn> &m) {
  m["ConstantOfShape"] = constantOfShape, m["Transpose"] = transpose, m["Slice"] = slice;
  m["Constant"] = constant, m["Shape"] = shape, m["Gather"] = gather, m["Cast"] = cast;
  m["Unsqueeze"] = [](Translator &t, AttrReader &r) { squeeze(t, r, true); };
  m["Squeeze"] = [](Translator &t, AttrReader &r) { squeeze(t, r, false); };
}

void registerBinaryOps(std::map<std::string, Fn> &m) {
  for (const char *op : {"Add", "Sub", "Mul", "Div"})
    m[op] = [op = std::string(op)](Translator &t, AttrReader &r) { binary(t, r, op); };
}

} // namespace cnnc::onnximport

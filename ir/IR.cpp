// ir/IR.cpp - the op table's accessors, tensor types, graph utilities and the
// per-op cost model (parameters, FLOPs, weight shapes).
#include "ir/IR.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

namespace cnnc {

namespace {
struct OpInfo {
  const char *name, *keras, *prefix;
  int arity;
  unsigned traits;
  WeightRule weights;
  CostRule cost;
  const char *colour;
};
constexpr OpInfo opTable[] = {
#define OP(Enum, dsl, keras, prefix, arity, traits, Attrs, weights, cost, colour)                  \
  {dsl, keras, prefix, arity, traits, WeightRule::weights, CostRule::cost, colour},
#include "ir/Ops.def"
};
const OpInfo &info(OpKind op) { return opTable[(int)op]; }
constexpr bool weightsDeclared() {
  for (const OpInfo &i : opTable)
    if (bool(i.traits & HasWeights) != (i.weights != WeightRule::None))
      return false;
  return true;
}
static_assert(weightsDeclared(), "Ops.def: HasWeights and a weight rule go together");

const ActInfo actTable[] = {
#define ACT(Enum, dsl, param, def, param2, def2, min, max)                                         \
  {dsl, {param, param2}, {def, def2}, min, max},
#include "ir/Ops.def"
};
} // namespace

const char *opName(OpKind op) { return info(op).name; }
const char *opKerasType(OpKind op) { return info(op).keras; }
const char *opNamePrefix(OpKind op) { return info(op).prefix; }
const char *opColour(OpKind op) { return info(op).colour; }
int opArity(OpKind op) { return info(op).arity; }
bool hasTrait(OpKind op, OpTrait trait) { return info(op).traits & trait; }
WeightRule opWeights(OpKind op) { return info(op).weights; }
CostRule opCost(OpKind op) { return info(op).cost; }

std::optional<OpKind> parseOp(const std::string &dsl) {
  for (OpKind op : AllOps)
    if (dsl == opName(op))
      return op;
  return std::nullopt;
}

Attrs defaultAttrs(OpKind op) {
  switch (op) {
#define OP(Enum, dsl, keras, prefix, arity, traits, A, weights, cost, colour)                      \
  case OpKind::Enum:                                                                               \
    return A{};
#include "ir/Ops.def"
  }
  return NoAttrs{};
}

const ActInfo &actInfo(Act act) { return actTable[(int)act]; }
const char *actName(Act act) { return actInfo(act).name; }

std::optional<Act> parseAct(const std::string &name) {
  for (Act a : AllActs)
    if (name == actName(a))
      return a;
  for (const auto &[alias, a] : actAliases())
    if (name == alias)
      return a;
  return std::nullopt;
}

const std::vector<std::pair<std::string, Act>> &actAliases() {
  static const std::vector<std::pair<std::string, Act>> aliases = {
#define ACT_ALIAS(alias, Enum) {alias, Act::Enum},
#include "ir/Ops.def"
  };
  return aliases;
}

const std::vector<std::string> &actWords(Act act) {
  static const std::map<Act, std::vector<std::string>> words = {
#define ACT_WORDS(Enum, ...) {Act::Enum, {__VA_ARGS__}},
#include "ir/Ops.def"
  };
  static const std::vector<std::string> none;
  auto it = words.find(act);
  return it == words.end() ? none : it->second;
}

ActFn ActFn::withDefaults(Act k) {
  const ActInfo &i = actInfo(k);
  return {k, i.param[0] ? (float)i.def[0] : 0.f, i.param[1] ? (float)i.def[1] : 0.f};
}

template <class T> static std::string shortest(T x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, ec == std::errc() ? end : buf);
}
std::string numberString(double x) { return shortest(x); }
std::string numberString(float x) { return shortest(x); }

std::string actString(const ActFn &a) {
  const ActInfo &i = actInfo(a.kind);
  if (!i.param[0])
    return i.name;
  const std::vector<std::string> &words = actWords(a.kind);
  if (!words.empty()) // one word-valued parameter
    return std::string(i.name) + "(" + words.at((size_t)a.lo) + ")";
  std::string s = std::string(i.name) + "(" + numberString(a.lo);
  if (i.param[1])
    s += ", " + numberString(a.hi);
  return s + ")";
}

std::string Absorbed::str() const {
  if (implicit)
    return actString(act);
  return name + " (" + (op == OpKind::Activation ? actString(act) : opName(op)) + ")";
}
std::string Absorbed::label() const { return implicit ? actString(act) : name; }
std::string Absorbed::kind() const {
  return op == OpKind::Activation ? actName(act.kind) : opName(op);
}

Epilogue epilogue(Node &n) {
  if (!hasTrait(n.op, HasEpilogue))
    return {};
  return std::visit(
      [](auto &a) {
        Epilogue e;
        if constexpr (requires { a.bn; })
          e.bn = &a.bn;
        if constexpr (requires { a.act; })
          e.act = &a.act;
        if constexpr (requires { a.residual; })
          e.residual = &a.residual;
        return e;
      },
      n.attrs);
}

/// Floats of an H x W x C image inside a border p.
static int64_t borderedFloats(const std::vector<int64_t> &d, const Padding &p) {
  return (d[0] + p.top + p.bottom) * (d[1] + p.left + p.right) * d[2];
}

std::pair<int64_t, int64_t> transposedReach(int64_t in, int64_t out, int k, int s, int d,
                                            int crop) {
  // Tap t reaches output o from input (o + crop - t * d) / s where that
  // divides: its first and last such outputs give its extremes (O(k), so a
  // huge stride or kernel costs nothing).
  int64_t lo = 0, hi = in - 1;
  auto mod = [&](int64_t x) { return ((x % s) + s) % s; };
  for (int64_t t = 0; t < k; ++t) {
    const int64_t first = mod(t * d - crop), last = out - 1 - mod(out - 1 + crop - t * d);
    if (first < out)
      lo = std::min(lo, (first + crop - t * d) / s);
    if (last >= 0)
      hi = std::max(hi, (last + crop - t * d) / s);
  }
  return {-lo, hi - (in - 1)};
}

bool isDepthwise(const Graph &g, const Node &n) {
  if (n.op != OpKind::Conv2D || n.inputs.empty() || g.nodes[n.inputs[0]].type.dims.size() != 3)
    return false;
  const ConvAttrs &a = std::get<ConvAttrs>(n.attrs);
  return a.groups > 1 && a.groups == a.filters && a.groups == g.nodes[n.inputs[0]].type.dims[2];
}

Padding inputBorder(const Graph &g, const Node &n) {
  if (n.op == OpKind::Conv2D) // the depthwise kernel reads its padding as zeros itself
    return isDepthwise(g, n) ? Padding{} : std::get<ConvAttrs>(n.attrs).pad;
  if (n.op != OpKind::ConvTranspose2D || !n.type.known())
    return {};
  const ConvTransposeAttrs &a = std::get<ConvTransposeAttrs>(n.attrs);
  const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
  auto [top, bottom] = transposedReach(in[0], n.type.dims[0], a.kh, a.sh, a.dh, a.pad.top);
  auto [left, right] = transposedReach(in[1], n.type.dims[1], a.kw, a.sw, a.dw, a.pad.left);
  return {PadMode::Explicit, (int)top, (int)bottom, (int)left, (int)right};
}

int64_t scratchFloats(const Graph &g, const Node &n) {
  const Padding p = inputBorder(g, n);
  return p.any() ? borderedFloats(g.nodes[n.inputs[0]].type.dims, p) : 0;
}

bool hasBorder(const Node &n) { return n.border.any(); }

int64_t bufferFloats(const Node &n) {
  return hasBorder(n) ? borderedFloats(n.type.dims, n.border) : n.type.elements();
}

bool isView(const Graph &g, const Node &n) {
  return n.op == OpKind::Flatten && g.nodes[n.inputs[0]].type.dims.size() == 1;
}

std::pair<int64_t, int64_t> sliceRange(const SliceAttrs &a, int64_t C) {
  if (a.parts > 0)
    return {a.part * (C / a.parts), (a.part + 1) * (C / a.parts)};
  return {a.start < 0 ? a.start + C : a.start, a.end < 0 ? a.end + C : a.end};
}

bool arityOk(const Node &n) {
  int want = opArity(n.op);
  if (n.op == OpKind::Conv2D) {
    const ConvAttrs &a = std::get<ConvAttrs>(n.attrs);
    want += a.residual + a.scaled;
  }
  return want < 0 ? n.inputs.size() >= 2 : (int)n.inputs.size() == want;
}

const char *layoutName(Layout layout) {
  switch (layout) {
  case Layout::Unknown:
    return "?";
  case Layout::HWC:
    return "HWC";
  case Layout::Vector:
    return "C";
  }
  return "?";
}

int64_t TensorType::elements() const {
  // Saturates instead of wrapping, so a huge shape reads as huge, not small.
  int64_t n = 1;
  for (int64_t d : dims)
    n = d > 0 && n > INT64_MAX / d ? INT64_MAX : n * d;
  return n;
}

std::string TensorType::str() const {
  if (!known())
    return "f32[?]";
  std::string s = "f32[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::vector<ValueId> Graph::users(ValueId id) const {
  std::vector<ValueId> out;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!nodes[i].dead)
      for (ValueId in : nodes[i].inputs)
        if (in == id) {
          out.push_back((ValueId)i);
          break;
        }
  return out;
}

void Graph::replaceUses(ValueId from, ValueId to) {
  for (Node &n : nodes)
    for (ValueId &in : n.inputs)
      if (in == from)
        in = to;
  for (ValueId &out : outputs)
    if (out == from)
      out = to;
}

bool Graph::isOutput(ValueId id) const {
  return std::find(outputs.begin(), outputs.end(), id) != outputs.end();
}

std::vector<std::pair<std::string, std::vector<int64_t>>> weightShapes(const Graph &g,
                                                                       const Node &n) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  if (n.inputs.empty() || !g.nodes[n.inputs[0]].type.known())
    return out;
  const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
  switch (opWeights(n.op)) {
  case WeightRule::None:
    break;
  case WeightRule::ConvOIHW: {
    const ConvAttrs &a = attrs<ConvAttrs>(n);
    out.push_back({n.name + ".weight", {a.filters, in.back() / a.groups, a.kh, a.kw}});
    if (a.useBias)
      out.push_back({n.name + ".bias", {a.filters}});
    break;
  }
  case WeightRule::DenseOI: {
    const DenseAttrs &a = attrs<DenseAttrs>(n);
    // [units, in features]; the input is an image when the dense absorbed its flatten.
    out.push_back({n.name + ".weight", {a.units, g.nodes[n.inputs[0]].type.elements()}});
    if (a.useBias)
      out.push_back({n.name + ".bias", {a.units}});
    break;
  }
  case WeightRule::ConvTransposeIOHW: {
    const ConvTransposeAttrs &a = attrs<ConvTransposeAttrs>(n);
    out.push_back({n.name + ".weight", {in.back(), a.filters / a.groups, a.kh, a.kw}});
    if (a.useBias)
      out.push_back({n.name + ".bias", {a.filters}});
    break;
  }
  case WeightRule::ChannelStats:
    for (const char *k : {".weight", ".bias", ".running_mean", ".running_var"})
      out.push_back({n.name + k, {in.back()}});
    break;
  case WeightRule::ChannelWeight:
    out.push_back({n.name + ".weight", {attrs<PreluAttrs>(n).shared ? 1 : in.back()}});
    break;
  }
  return out;
}

int64_t paramCount(const Graph &g, const Node &n, bool trainableOnly) {
  int64_t total = 0;
  for (auto &[key, shape] : weightShapes(g, n)) {
    if (trainableOnly && key.find(".running_") != std::string::npos)
      continue;
    int64_t p = 1;
    for (int64_t d : shape)
      p *= d;
    total += p;
  }
  return total;
}

int64_t flopCount(const Graph &g, const Node &n) {
  if (!n.type.known())
    return 0;
  int64_t out = n.type.elements();
  switch (opCost(n.op)) {
  case CostRule::Free:
    return 0;
  case CostRule::PerOutput:
    return out;
  case CostRule::TwoPerOutput:
    return 2 * out;
  case CostRule::PerInput:
    return g.nodes[n.inputs[0]].type.elements();
  case CostRule::PerWindow: {
    const PoolAttrs &a = attrs<PoolAttrs>(n);
    return out * a.kh * a.kw;
  }
  case CostRule::Conv: {
    const ConvAttrs &a = attrs<ConvAttrs>(n);
    const int64_t pixels = a.pool ? out * a.pool * a.pool : out; // the conv's own output
    return 2 * pixels * a.kh * a.kw * g.nodes[n.inputs[0]].type.dims.back() / a.groups;
  }
  case CostRule::Dense:
    return 2 * out * g.nodes[n.inputs[0]].type.elements();
  case CostRule::ConvTranspose: {
    // Every input pixel times every tap (PyTorch profilers' count; taps
    // cropped by the padding included).
    const ConvTransposeAttrs &a = attrs<ConvTransposeAttrs>(n);
    return 2 * g.nodes[n.inputs[0]].type.elements() * a.kh * a.kw * (a.filters / a.groups);
  }
  }
  return 0;
}

} // namespace cnnc

// ir/IR.cpp - the op table's accessors, tensor types, graph utilities and the
// per-op cost model (parameters, FLOPs, weight shapes).
#include "ir/IR.h"

#include <cstdint>
#include <cstdio>

namespace cnnc {

namespace {
struct OpInfo {
  const char *name, *keras, *prefix;
  int arity;
  unsigned traits;
};
const OpInfo opTable[] = {
#define OP(Enum, dsl, keras, prefix, arity, traits) {dsl, keras, prefix, arity, traits},
#include "ir/Ops.def"
};
const OpInfo &info(OpKind op) { return opTable[(int)op]; }
} // namespace

const char *opName(OpKind op) { return info(op).name; }
const char *opKerasType(OpKind op) { return info(op).keras; }
const char *opNamePrefix(OpKind op) { return info(op).prefix; }
int opArity(OpKind op) { return info(op).arity; }
bool hasTrait(OpKind op, OpTrait trait) { return info(op).traits & trait; }

const char *actName(Act act) {
  switch (act) {
  case Act::Linear:
    return "linear";
  case Act::Relu:
    return "relu";
  case Act::Tanh:
    return "tanh";
  case Act::Sigmoid:
    return "sigmoid";
  case Act::Softmax:
    return "softmax";
  case Act::Relu6:
    return "relu6";
  case Act::Clip:
    return "clip";
  case Act::LeakyRelu:
    return "leaky_relu";
  }
  return "?";
}

std::optional<Act> parseAct(const std::string &name) {
  for (Act a : AllActs)
    if (name == actName(a))
      return a;
  return std::nullopt;
}

std::string numberString(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string actString(const ActFn &a) {
  if (a.kind == Act::Clip)
    return std::string("clip(") + numberString(a.lo) + ", " + numberString(a.hi) + ")";
  if (a.kind == Act::LeakyRelu)
    return std::string("leaky_relu(") + numberString(a.lo) + ")";
  return actName(a.kind);
}

Epilogue epilogue(Node &n) {
  switch (n.op) {
  case OpKind::Conv2D: {
    ConvAttrs &a = std::get<ConvAttrs>(n.attrs);
    return {&a.bn, &a.act, &a.residual};
  }
  case OpKind::Dense: {
    DenseAttrs &a = std::get<DenseAttrs>(n.attrs);
    return {&a.bn, &a.act, nullptr};
  }
  case OpKind::Input:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D:
  case OpKind::GlobalAvgPool2D:
  case OpKind::ZeroPad2D:
  case OpKind::BatchNorm:
  case OpKind::Add:
  case OpKind::Concat:
  case OpKind::Dropout:
  case OpKind::Flatten:
  case OpKind::Activation:
    break;
  }
  return {};
}

/// Floats of an H x W x C image inside a border p.
static int64_t borderedFloats(const std::vector<int64_t> &d, const Padding &p) {
  return (d[0] + p.top + p.bottom) * (d[1] + p.left + p.right) * d[2];
}

int64_t scratchFloats(const Graph &g, const Node &n) {
  if (n.op != OpKind::Conv2D || !std::get<ConvAttrs>(n.attrs).pad.any())
    return 0;
  return borderedFloats(g.nodes[n.inputs[0]].type.dims, std::get<ConvAttrs>(n.attrs).pad);
}

std::string absorbedName(const std::string &entry) { return entry.substr(0, entry.find(" (")); }

std::string absorbedKind(const std::string &entry) {
  size_t open = entry.find(" (");
  return open == std::string::npos ? entry : entry.substr(open + 2, entry.size() - open - 3);
}

bool hasBorder(const Node &n) { return n.border.any(); }

int64_t bufferFloats(const Node &n) {
  return hasBorder(n) ? borderedFloats(n.type.dims, n.border) : n.type.elements();
}

bool isView(const Graph &g, const Node &n) {
  return n.op == OpKind::Flatten && g.nodes[n.inputs[0]].type.dims.size() == 1;
}

bool arityOk(const Node &n) {
  int want = opArity(n.op);
  if (n.op == OpKind::Conv2D && std::get<ConvAttrs>(n.attrs).residual)
    ++want;
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
  if (output == from)
    output = to;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> weightShapes(const Graph &g,
                                                                       const Node &n) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  if (n.inputs.empty() || !g.nodes[n.inputs[0]].type.known())
    return out;
  const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
  switch (n.op) {
  case OpKind::Conv2D: {
    const ConvAttrs &a = attrs<ConvAttrs>(n);
    out.push_back({n.name + ".weight", {a.filters, in.back() / a.groups, a.kh, a.kw}});
    if (a.useBias)
      out.push_back({n.name + ".bias", {a.filters}});
    break;
  }
  case OpKind::Dense: {
    const DenseAttrs &a = attrs<DenseAttrs>(n);
    // [units, in features]; the input is an image when the dense absorbed its flatten.
    out.push_back({n.name + ".weight", {a.units, g.nodes[n.inputs[0]].type.elements()}});
    if (a.useBias)
      out.push_back({n.name + ".bias", {a.units}});
    break;
  }
  case OpKind::BatchNorm:
    for (const char *k : {".weight", ".bias", ".running_mean", ".running_var"})
      out.push_back({n.name + k, {in.back()}});
    break;
  case OpKind::Input:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D:
  case OpKind::GlobalAvgPool2D:
  case OpKind::ZeroPad2D:
  case OpKind::Add:
  case OpKind::Concat:
  case OpKind::Dropout:
  case OpKind::Flatten:
  case OpKind::Activation:
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
  switch (n.op) {
  case OpKind::Conv2D: {
    const ConvAttrs &a = attrs<ConvAttrs>(n);
    const int64_t pixels = a.pool ? out * a.pool * a.pool : out; // the conv's own output
    return 2 * pixels * a.kh * a.kw * g.nodes[n.inputs[0]].type.dims.back() / a.groups;
  }
  case OpKind::Dense:
    return 2 * out * g.nodes[n.inputs[0]].type.elements();
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D: {
    const PoolAttrs &a = attrs<PoolAttrs>(n);
    return out * a.kh * a.kw;
  }
  case OpKind::GlobalAvgPool2D:
    return g.nodes[n.inputs[0]].type.elements();
  case OpKind::BatchNorm:
    return 2 * out;
  case OpKind::Activation:
  case OpKind::Add:
    return out;
  case OpKind::Input:
  case OpKind::Flatten:
  case OpKind::ZeroPad2D:
  case OpKind::Concat:
  case OpKind::Dropout:
    return 0;
  }
  return 0;
}

} // namespace cnnc

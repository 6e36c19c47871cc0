// ir/Printer.cpp - the deterministic text form of the IR (ir/IRParser.cpp
// reads it back). Attributes print as the op table declares them.
#include "ir/IR.h"

namespace cnnc {

/// "[a,b,...]" (built with +=: GCC 12's -Wrestrict misfires on "[" + to_string(...)).
static std::string list(std::initializer_list<int> xs) {
  std::string s = "[";
  for (int x : xs)
    (s += s.size() > 1 ? "," : "") += std::to_string(x);
  return s += "]";
}

static std::string pair(int a, int b) { return list({a, b}); }

static std::string padString(const Padding &p) {
  switch (p.mode) {
  case PadMode::Valid:
    return "valid";
  case PadMode::Same:
    return std::string("same") += list({p.top, p.bottom, p.left, p.right});
  case PadMode::Explicit:
    return list({p.top, p.bottom, p.left, p.right});
  }
  return "?";
}

namespace {

/// Prints the fields of an attribute struct (AttrSpec order) that are Shown
/// or not at their defaults, each as its spelling in the IR text.
struct AttrPrinter {
  std::string &s;
  void add(const char *k, const std::string &v) const {
    s += (s.empty() ? "" : ", ") + (k + ("=" + v));
  }
  template <class T> void operator()(const AttrSpec &spec, const T &v, const T &def) const {
    if ((spec.flags & Shown) || !(v == def))
      add(spec.name, text(v));
  }
  void operator()(const AttrSpec &spec, int h, int w, int dh, int dw) const {
    if ((spec.flags & Shown) || h != dh || w != dw)
      add(spec.name, pair(h, w));
  }
  static std::string text(int x) { return std::to_string(x); }
  static std::string text(double x) { return numberString(x); }
  static std::string text(bool x) { return x ? "true" : "false"; }
  static std::string text(const Padding &p) { return padString(p); }
  static std::string text(const ActFn &a) { return actString(a); }
  template <WordEnum T> static std::string text(T v) { return wordOf(v); }
  static std::string text(const FoldedBN &b) {
    return "{name=" + b.name + ", eps=" + numberString(b.eps) + "}";
  }
  static std::string text(const TilePlan &t) {
    return "{rows=" + std::to_string(t.rows) + ", cblocks=" + std::to_string(t.cblocks) + "}";
  }
};

} // namespace

std::string attrString(const Node &n) {
  std::string s;
  AttrPrinter p{s};
  std::visit([&](const auto &a) { a.visit(a, p); }, n.attrs);
  auto add = [&](const std::string &k, const std::string &v) { p.add(k.c_str(), v); };
  if (n.type.layout != Layout::Unknown)
    add("layout", layoutName(n.type.layout));
  if (n.offset >= 0)
    add("offset", std::to_string(n.offset));
  if (n.scratch >= 0)
    add("scratch", std::to_string(n.scratch));
  if (hasBorder(n))
    add("border", padString(n.border));
  return s;
}

std::string printGraph(const Graph &g) {
  std::string s = "model " + g.name + " {\n";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    s += "  %" + std::to_string(i) + " = " + opName(n.op) + "(";
    for (size_t j = 0; j < n.inputs.size(); ++j)
      s += (j ? ", %" : "%") + std::to_string(n.inputs[j]);
    s += ") {name=" + n.name;
    std::string a = attrString(n);
    if (!a.empty())
      s += ", " + a;
    s += "} : " + n.type.str();
    if (!n.absorbed.empty()) {
      s += "  # absorbed: ";
      for (size_t k = 0; k < n.absorbed.size(); ++k)
        s += (k ? ", " : "") + n.absorbed[k].str();
    }
    s += "\n";
  }
  s += "  output ";
  for (size_t k = 0; k < g.outputs.size(); ++k)
    s += (k ? ", %" : "%") + std::to_string(g.outputs[k]);
  return s + "\n}\n";
}

/// The inputs are exactly the live Input nodes, in node order (the run copies
/// them all in before the first kernel); the outputs are live nodes.
static std::string verifyInputsOutputs(const Graph &g) {
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!g.nodes[i].dead && g.nodes[i].op == OpKind::Input)
      inputs.push_back((ValueId)i);
  if (inputs.empty())
    return "the graph has no input node";
  if (g.inputs != inputs)
    return "the graph's inputs are not its input nodes in order";
  if (g.outputs.empty())
    return "the graph has no output";
  for (ValueId out : g.outputs)
    if (out < 0 || out >= (int)g.nodes.size() || g.nodes[out].dead)
      return "the graph output %" + std::to_string(out) + " is not a live node";
  return "";
}

std::string verify(const Graph &g) {
  std::string io = verifyInputsOutputs(g);
  if (!io.empty())
    return io;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    std::string where = (std::string("%") += std::to_string(i)) + " (" + n.name + ")";
    if (!arityOk(n))
      return where + " has the wrong number of inputs (" + std::to_string(n.inputs.size()) + ")";
    for (ValueId in : n.inputs) {
      if (in < 0 || in >= (int)i)
        return where + " uses %" + std::to_string(in) + " before it is defined";
      if (g.nodes[in].dead)
        return where + " uses the removed node %" + std::to_string(in);
      if (n.type.known() && !g.nodes[in].type.known())
        return where + " has a type but its input %" + std::to_string(in) + " does not";
    }
    // Memory plan: every slice inside the arena.
    if (n.offset >= 0 && (n.offset + bufferFloats(n) > g.arenaFloats || n.offset < 0))
      return where + " lies outside the arena";
    if (n.scratch >= 0 && n.scratch >= g.arenaFloats)
      return where + "'s scratch lies outside the arena";
  }
  return "";
}

} // namespace cnnc

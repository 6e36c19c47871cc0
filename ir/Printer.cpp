// ir/Printer.cpp - the deterministic text form of the IR.
#include "ir/IR.h"

namespace cnnc {

static std::string pair(int a, int b) {
  return "[" + std::to_string(a) + "," + std::to_string(b) + "]";
}

static std::string padString(const Padding &p) {
  switch (p.mode) {
  case PadMode::Valid:
    return "valid";
  case PadMode::Same:
    return "same[" + std::to_string(p.top) + "," + std::to_string(p.bottom) + "," +
           std::to_string(p.left) + "," + std::to_string(p.right) + "]";
  case PadMode::Explicit:
    return "[" + std::to_string(p.top) + "," + std::to_string(p.bottom) + "," +
           std::to_string(p.left) + "," + std::to_string(p.right) + "]";
  }
  return "?";
}

std::string attrString(const Node &n) {
  std::string s;
  auto add = [&](const std::string &k, const std::string &v) {
    s += (s.empty() ? "" : ", ") + k + "=" + v;
  };
  switch (n.op) {
  case OpKind::Input:
  case OpKind::Flatten:
  case OpKind::GlobalAvgPool2D:
  case OpKind::Add:
  case OpKind::Concat:
    break;
  case OpKind::Conv2D: {
    const ConvAttrs &a = attrs<ConvAttrs>(n);
    add("filters", std::to_string(a.filters));
    add("kernel", pair(a.kh, a.kw));
    add("stride", pair(a.sh, a.sw));
    add("padding", padString(a.pad));
    if (a.groups != 1)
      add("groups", std::to_string(a.groups));
    if (!a.useBias)
      add("use_bias", "false");
    if (!a.bn.name.empty())
      add("bn", a.bn.name);
    if (a.residual)
      add("residual", "%" + std::to_string(n.inputs[1]));
    if (a.act != Act::Linear)
      add("act", actString(a.act));
    if (a.pool)
      add("maxpool", std::to_string(a.pool));
    break;
  }
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D: {
    const PoolAttrs &a = attrs<PoolAttrs>(n);
    add("size", pair(a.kh, a.kw));
    add("stride", pair(a.sh, a.sw));
    add("padding", padString(a.pad));
    if (a.tile.rows)
      add("tile", "{rows=" + std::to_string(a.tile.rows) +
                      ", cblocks=" + std::to_string(a.tile.cblocks) + "}");
    break;
  }
  case OpKind::Dense: {
    const DenseAttrs &a = attrs<DenseAttrs>(n);
    add("units", std::to_string(a.units));
    if (!a.useBias)
      add("use_bias", "false");
    if (!a.bn.name.empty())
      add("bn", a.bn.name);
    if (a.act != Act::Linear)
      add("act", actString(a.act));
    break;
  }
  case OpKind::Activation:
    add("act", actString(attrs<ActAttrs>(n).act));
    break;
  case OpKind::BatchNorm:
    add("epsilon", numberString(attrs<BatchNormAttrs>(n).eps));
    break;
  case OpKind::ZeroPad2D:
    add("padding", padString(attrs<ZeroPadAttrs>(n).pad));
    break;
  case OpKind::Dropout:
    add("rate", numberString(attrs<DropoutAttrs>(n).rate));
    break;
  }
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
      s += "  # absorbed:";
      for (const std::string &x : n.absorbed)
        s += " " + x;
    }
    s += "\n";
  }
  s += "  output %" + std::to_string(g.output) + "\n}\n";
  return s;
}

std::string verify(const Graph &g) {
  if (g.input < 0 || g.input >= (int)g.nodes.size() || g.nodes[g.input].op != OpKind::Input)
    return "the graph has no input node";
  if (g.output < 0 || g.output >= (int)g.nodes.size() || g.nodes[g.output].dead)
    return "the graph output is not a live node";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    std::string where = "%" + std::to_string(i) + " (" + n.name + ")";
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

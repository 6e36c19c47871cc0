// ir/Dot.cpp - Graphviz DOT for one compiler stage: a box per node (op, name,
// attributes, what it absorbed), output shapes on the edges.
#include "ir/IR.h"

namespace cnnc {

static std::string escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '{' || c == '}' || c == '<' || c == '>' || c == '|')
      out += '\\';
    out += c;
  }
  return out;
}

static const char *fillColor(const Node &n) {
  switch (n.op) {
  case OpKind::Input:
    return "#e8e8e8";
  case OpKind::Conv2D:
    return n.absorbed.empty() ? "#cfe2ff" : "#9ec5fe";
  case OpKind::Dense:
    return n.absorbed.empty() ? "#d1e7dd" : "#a3cfbb";
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::MinPool2D:
  case OpKind::GlobalAvgPool2D:
    return "#fff3cd";
  case OpKind::Flatten:
  case OpKind::ZeroPad2D:
  case OpKind::Concat:
  case OpKind::Dropout:
    return "#f8f9fa";
  case OpKind::Activation:
  case OpKind::BatchNorm:
  case OpKind::Add:
    return "#f8d7da";
  }
  return "white";
}

std::string graphToDot(const Graph &g, const std::string &stage) {
  std::string s = "digraph \"" + escape(g.name) + "\" {\n";
  s +=
      "  label=\"" + escape(g.name + " - " + stage) + "\";\n  labelloc=t;\n  fontname=Helvetica;\n";
  s += "  node [shape=box, style=\"rounded,filled\", fontname=Helvetica, fontsize=11];\n";
  s += "  edge [fontname=Helvetica, fontsize=10];\n";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    std::string label = std::string(opName(n.op)) + "  " + n.name;
    std::string a = attrString(n);
    if (!a.empty())
      label += "\\n" + escape(a);
    if (!n.absorbed.empty()) {
      label += "\\nfused:";
      for (const std::string &x : n.absorbed)
        label += " " + escape(x);
    }
    if (n.op == OpKind::Input || (int)i == g.output)
      label += "\\n" + escape(n.type.str());
    s +=
        "  n" + std::to_string(i) + " [label=\"" + label + "\", fillcolor=\"" + fillColor(n) + "\"";
    if (!n.absorbed.empty())
      s += ", penwidth=2";
    s += "];\n";
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    for (ValueId in : n.inputs)
      s += "  n" + std::to_string(in) + " -> n" + std::to_string(i) + " [label=\"" +
           escape(g.nodes[in].type.str()) + "\"];\n";
  }
  s += "  out [shape=plaintext, style=\"\", label=\"output\"];\n";
  s += "  n" + std::to_string(g.output) + " -> out [label=\"" +
       escape(g.nodes[g.output].type.str()) + "\"];\n";
  return s + "}\n";
}

} // namespace cnnc

// ir/Dot.cpp - Graphviz DOT for one compiler stage. A box per node: op, name,
// attributes, and (after memory planning) one "layout · offset · bytes" line.
// Edges carry the producer's output shape. A node that absorbed ops is drawn as
// a cluster "fused: conv2d_3 + relu": the node, then one small node per absorbed
// op chained below it; edges into and out of the group attach to the node
// itself. The text depends only on the graph (node order), so it is golden-tested.
#include "ir/IR.h"

#include <algorithm>

namespace cnnc {

namespace {

/// Escapes text for an HTML-like label (<...>).
std::string html(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '&'   ? "&amp;"
           : c == '<' ? "&lt;"
           : c == '>' ? "&gt;"
           : c == '"' ? "&quot;"
                      : std::string(1, c);
  return out;
}

/// Escapes text for a quoted DOT string ("...").
std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s)
    out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

/// attrString split at its top-level commas: "kernel=[3,3]" stays one item.
std::vector<std::string> splitAttrs(const std::string &s) {
  std::vector<std::string> items(1);
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    depth +=
        (s[i] == '[' || s[i] == '{' || s[i] == '(') - (s[i] == ']' || s[i] == '}' || s[i] == ')');
    if (s[i] == ',' && depth == 0) {
      items.emplace_back();
      i += i + 1 < s.size() && s[i + 1] == ' ';
    } else {
      items.back() += s[i];
    }
  }
  return s.empty() ? std::vector<std::string>{} : items;
}

std::string small(const std::string &text, bool grey = false) {
  return "<br/><font point-size=\"9\"" + std::string(grey ? " color=\"#555555\"" : "") + ">" +
         html(text) + "</font>";
}

/// The HTML-like label of a node: op and name, the op's attributes wrapped
/// to short lines, the tile plan, then layout, arena offset (floats) and size.
std::string nodeLabel(const Node &n) {
  std::string label = "<<b>" + html(opName(n.op)) + "</b>  " + html(n.name);
  std::string line, tile, place;
  for (const std::string &item : splitAttrs(attrString(n))) {
    size_t eq = std::min(item.find('='), item.size());
    std::string key = item.substr(0, eq), value = item.substr(std::min(eq + 1, item.size()));
    if (key == "layout" || key == "offset" || key == "scratch" || key == "border") {
      place += place.empty() ? "" : " \xC2\xB7 ";
      place += key == "layout" ? value : key + " " + value;
      if (key == "offset" && n.type.known())
        place += " \xC2\xB7 " + std::to_string(bufferFloats(n) * 4) + " B";
    } else if (key == "tile") {
      bool braces = value.size() >= 2 && value.front() == '{';
      tile = "tile " + (braces ? value.substr(1, value.size() - 2) : value);
    } else {
      if (!line.empty() && line.size() + item.size() > 40) {
        label += small(line);
        line.clear();
      }
      line += (line.empty() ? "" : ", ") + item;
    }
  }
  if (!line.empty())
    label += small(line);
  if (!tile.empty())
    label += small(tile, true);
  if (n.op == OpKind::Input)
    label += small(n.type.str(), true);
  if (!place.empty())
    label += small(place, true);
  return label + ">";
}

} // namespace

std::string graphToDot(const Graph &g, const std::string &stage) {
  std::string s = "digraph " + quoted(g.name) + " {\n";
  std::string title = "<<b>" + html(g.name) + "</b>  " + html(stage);
  if (g.arenaFloats > 0)
    title += small("arena " + std::to_string(g.arenaFloats) + " floats (" +
                   std::to_string(g.arenaFloats * 4) + " B); offsets count floats");
  s += "  label=" + title + ">;\n  labelloc=t;\n  fontname=Helvetica;\n  compound=true;\n";
  s += "  node [shape=box, style=\"rounded,filled\", fontname=Helvetica, fontsize=11];\n";
  s += "  edge [fontname=Helvetica, fontsize=9, color=\"#444444\"];\n";
  auto id = [](size_t i) { return std::string("n") += std::to_string(i); }; // (GCC 12 -Wrestrict)
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    std::string node = id(i) + " [label=" + nodeLabel(n) + ", fillcolor=\"" + opColour(n.op) +
                       "\"" + (n.absorbed.empty() ? "" : ", penwidth=1.5") + "];\n";
    if (n.absorbed.empty()) {
      s += "  " + node;
      continue;
    }
    std::string fused = "fused: " + n.name;
    for (const Absorbed &a : n.absorbed)
      fused += " + " + a.label();
    s += "  subgraph cluster_" + id(i) + " {\n    label=" + quoted(fused) +
         ";\n    style=\"rounded,filled\";\n    fillcolor=\"#f2f6fc\";\n    color=\"#8fa8c8\";\n"
         "    fontsize=10;\n    " +
         node;
    for (size_t k = 0; k < n.absorbed.size(); ++k) {
      std::string from = k ? id(i) + "_" + std::to_string(k - 1) : id(i);
      std::string to = id(i) + "_" + std::to_string(k);
      s += "    " + to + " [label=" + quoted(n.absorbed[k].str()) +
           ", fontsize=9, height=0.25, fillcolor=\"#ffffff\"];\n";
      s += "    " + from + " -> " + to + " [style=dashed, arrowsize=0.5];\n";
    }
    s += "  }\n";
  }
  // Edges into a group clip at its border. An edge out of one starts at the
  // node and clips at the border too; an invisible edge from the group's last
  // node ranks the consumer below the whole group.
  auto edge = [&](ValueId from, const std::string &to, const std::string &lhead) {
    const Node &p = g.nodes[from];
    std::string e, attrs = p.type.known() ? "label=" + quoted(p.type.str()) : "";
    if (!p.absorbed.empty()) {
      e = "  " + id(from) + "_" + std::to_string(p.absorbed.size() - 1) + " -> " + to +
          " [style=invis];\n";
      attrs += (attrs.empty() ? "" : ", ") + ("ltail=cluster_" + id(from)) + ", constraint=false";
    }
    if (!lhead.empty())
      attrs += (attrs.empty() ? "" : ", ") + ("lhead=cluster_" + lhead);
    return e + "  " + id(from) + " -> " + to + (attrs.empty() ? "" : " [" + attrs + "]") + ";\n";
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead)
      continue;
    for (ValueId in : n.inputs)
      s += edge(in, id(i), n.absorbed.empty() ? "" : id(i));
  }
  // One plain "output" for one output; "output 0", "output 1", ... for several.
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    std::string out = k ? "out_" + std::to_string(k) : std::string("out");
    std::string label = g.outputs.size() > 1 ? "output " + std::to_string(k) : "output";
    s += "  " + out + " [shape=plaintext, style=\"\", label=\"" + label + "\"];\n";
    s += edge(g.outputs[k], out, "");
  }
  return s + "}\n";
}

} // namespace cnnc

// api/Info.cpp - what the tool says about itself: its version, and the DSL's
// ops with their arguments, generated from the op table (ir/Ops.def).
#include "cnnc/cnnc.h"
#include "ir/IR.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace cnnc {
namespace {

/// One op's DSL arguments as "name" (required) or "name=default".
struct SignatureWriter {
  OpKind op;
  std::vector<std::string> &args;
  void add(const AttrSpec &s, const std::string &def) const {
    if (s.flags & Dsl)
      args.push_back(s.flags & Required ? std::string(s.name) : s.name + ("=" + def));
  }
  void operator()(const AttrSpec &s, const int &, int def) const { add(s, std::to_string(def)); }
  void operator()(const AttrSpec &s, const int &, const int &, int dh, int dw) const {
    if (dh < s.min) // "not given": the pool stride is its size, upsample2d's size is by scale
      return add(s, hasTrait(op, Pool) ? "size" : "none");
    add(s,
        dh == dw ? std::to_string(dh) : "(" + std::to_string(dh) + ", " + std::to_string(dw) + ")");
  }
  void operator()(const AttrSpec &s, const double &, double def) const {
    add(s, numberString(def));
  }
  void operator()(const AttrSpec &s, const bool &, bool def) const {
    add(s, def ? "true" : "false");
  }
  void operator()(const AttrSpec &s, const Padding &, const Padding &def) const {
    if (def.mode != PadMode::Explicit)
      return add(s, def.mode == PadMode::Same ? "same" : "valid");
    add(s, def.top == def.bottom && def.top == def.left && def.top == def.right
               ? std::to_string(def.top)
               : "(" + std::to_string(def.top) + ", " + std::to_string(def.bottom) + ", " +
                     std::to_string(def.left) + ", " + std::to_string(def.right) + ")");
  }
  template <WordEnum T> void operator()(const AttrSpec &s, const T &, const T &def) const {
    add(s, wordOf(def));
  }
  template <class T> void operator()(const AttrSpec &, const T &, const T &) const {}
};

std::string call(const std::string &name, const std::vector<std::string> &args) {
  std::string s = name + "(";
  for (size_t i = 0; i < args.size(); ++i)
    s += (i ? ", " : "") + args[i];
  return s + ")";
}

std::string opSignature(OpKind op) {
  std::vector<std::string> args;
  const int arity = opArity(op);
  if (arity == 2)
    args = {"a", "b"};
  else if (arity < 0)
    args = {"a", "b", "..."};
  const Attrs attrs = defaultAttrs(op);
  std::visit([&](const auto &a) { a.visit(a, SignatureWriter{op, args}); }, attrs);
  if (hasTrait(op, HasEpilogue))
    args.push_back("activation=linear");
  return call(opName(op), args);
}

std::string actSignature(Act act) {
  const ActInfo &i = actInfo(act);
  const std::vector<std::string> &words = actWords(act);
  std::vector<std::string> args;
  for (int k = 0; k < 2 && i.param[k]; ++k)
    args.push_back(std::isnan(i.def[k])
                       ? std::string(i.param[k])
                       : i.param[k] + ("=" + (words.empty() ? numberString(i.def[k])
                                                            : words[(size_t)i.def[k]])));
  if (act == Act::Softmax)
    args.push_back("axis=-1");
  return call(i.name, args);
}

} // namespace

std::string versionText() {
  return std::string("cnnc ") + CNNC_VERSION +
         (std::string(CNNC_GIT_COMMIT).empty() ? ""
                                               : std::string(" (git ") + CNNC_GIT_COMMIT + ")") +
         "\nLLVM " + CNNC_LLVM_VERSION + "\n";
}

std::string opsText() {
  // Grouped as the README's table: ops of one signature (the pools, the
  // binary ops) together, in table order; then split and the activations.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups; // shape -> lines
  for (OpKind op : AllOps) {
    if (op == OpKind::Input || op == OpKind::Activation)
      continue;
    std::string sig = opSignature(op);
    std::string shape = sig.substr(sig.find('('));
    auto it = std::find_if(groups.begin(), groups.end(), [&](auto &g) { return g.first == shape; });
    if (it == groups.end())
      groups.push_back({shape, {}}), it = groups.end() - 1;
    it->second.push_back(sig);
  }
  groups.push_back({"split", {"a, b, ... = split(x, parts) or split(x, sizes=(n1, n2, ...))"}});
  std::vector<std::string> acts;
  for (Act a : AllActs)
    acts.push_back(actSignature(a));
  for (const auto &[alias, a] : actAliases())
    acts.push_back(alias + "(): " + actName(a) + "'s other name");
  groups.push_back({"activations", acts});
  std::string out;
  for (const auto &[shape, lines] : groups) {
    for (const std::string &l : lines)
      out += l + "\n";
    out += "\n";
  }
  out += "A statement reads the previous result, or names its inputs first: y = conv2d(x, ...).\n"
         "activation= on a layer takes any activation above without required arguments.\n";
  return out;
}

} // namespace cnnc

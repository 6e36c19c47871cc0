// frontend/Writer.cpp - graph IR to .cnn text (cnnc import): the Builder's
// inverse for a graph as a front end leaves it, before any pass. Attributes
// are written as the op table declares them (ir/Ops.def); only the rules
// between attributes that the Builder enforces are per struct (tidy below).
#include "cnnc/Tensor.h"
#include "frontend/Frontend.h"

#include <cctype>
#include <cmath>
#include <map>
#include <set>

namespace cnnc {
namespace {

using Args = std::vector<std::pair<std::string, std::string>>;

std::string where(const Node &n) { return "layer '" + n.name + "' (" + opName(n.op) + ")"; }

/// Whether `s` lexes as one DSL name: words of letters, digits and '_' joined
/// by single dots (PyTorch's module paths), not starting with a digit.
bool isDslName(const std::string &s) {
  auto word = [&](size_t i) {
    return i < s.size() && (std::isalnum((unsigned char)s[i]) || s[i] == '_');
  };
  if (s.empty() || std::isdigit((unsigned char)s[0]) || !word(0))
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!word(i) && !(s[i] == '.' && word(i + 1)))
      return false;
  return true;
}

std::string tuple(std::initializer_list<int> xs) {
  std::string s;
  for (int x : xs)
    s += (s.empty() ? "(" : ", ") + std::to_string(x);
  return s + ")";
}

/// A double that is exactly a float (an ONNX attribute) as the float's
/// shortest text: epsilon=1e-05, not 9.999999747378752e-06.
std::string number(double x) {
  const float f = (float)x;
  return (double)f == x ? numberString(f) : numberString(x);
}

std::string padText(const Padding &p) {
  switch (p.mode) {
  case PadMode::Valid:
    return "valid";
  case PadMode::Same:
    return "same";
  case PadMode::Explicit:
    if (p.top == p.bottom && p.left == p.right)
      return p.top == p.left ? std::to_string(p.top) : tuple({p.top, p.left});
    return tuple({p.top, p.bottom, p.left, p.right});
  }
  return "";
}

/// Collects the `name=value` arguments of an attribute struct (its visit()
/// calls these): DSL fields that are required, shown or not at their
/// defaults. A field only a pass sets must be at its default.
struct ArgWriter {
  const Node &n;
  Args &args;
  void add(const AttrSpec &s, bool atDefault, const std::string &text) const {
    if (!(s.flags & Dsl) && !atDefault)
      throw Error(where(n) + ": attribute '" + s.name +
                  "' is set by a compiler pass; only a graph before the passes can be written "
                  "as .cnn");
    if ((s.flags & Dsl) && ((s.flags & (Required | Shown)) || !atDefault))
      args.emplace_back(s.name, text);
  }
  template <class T> void operator()(const AttrSpec &s, const T &v, const T &def) const {
    add(s, v == def, text(v));
  }
  void operator()(const AttrSpec &s, int h, int w, int dh, int dw) const {
    add(s, h == dh && w == dw, h == w ? std::to_string(h) : tuple({h, w}));
  }
  static std::string text(int x) { return std::to_string(x); }
  static std::string text(double x) { return number(x); }
  static std::string text(bool x) { return x ? "true" : "false"; }
  static std::string text(const Padding &p) { return padText(p); }
  template <WordEnum T> static std::string text(T v) { return wordOf(v); }
  // Never DSL attributes: only compared with their defaults.
  static std::string text(const ActFn &) { return ""; }
  static std::string text(const FoldedBN &) { return ""; }
  static std::string text(const TilePlan &) { return ""; }
};

void dropArg(Args &args, const std::string &name) {
  std::erase_if(args, [&](const auto &a) { return a.first == name; });
}

// Rules between attributes, as the Builder checks them (its checkAttrs).
void tidy(const Node &n, const PoolAttrs &, Args &args) {
  if (n.op != OpKind::AvgPool2D) // max and min ignore padded cells; the DSL rejects it there
    dropArg(args, "count_include_pad");
}
void tidy(const Node &, const UpsampleAttrs &a, Args &args) {
  if (a.oh || a.ow) // size wins over the scale; the DSL takes one of them
    dropArg(args, "scale");
}
template <class A> void tidy(const Node &, const A &, Args &) {}

/// An activation layer's parameters: those without a default and those not at it.
Args actArgs(const ActFn &f) {
  const ActInfo &i = actInfo(f.kind);
  const std::vector<std::string> &words = actWords(f.kind);
  Args args;
  const float value[2] = {f.lo, f.hi};
  for (int k = 0; k < 2 && i.param[k]; ++k) {
    if (!std::isnan(i.def[k]) && value[k] == (float)i.def[k])
      continue;
    args.emplace_back(i.param[k],
                      words.empty() ? numberString(value[k]) : words.at((size_t)value[k]));
  }
  return args;
}

class Writer {
public:
  explicit Writer(const Graph &g) : g_(g), ref_(g.nodes.size()) {}

  std::string run(const std::string &comment, std::vector<std::string> *written) {
    if (!isDslName(g_.name))
      throw Error("the model name '" + g_.name + "' is not a DSL name");
    findSplits();
    findImplicit();
    markNeeded();
    std::string s;
    for (size_t at = 0, nl; at < comment.size(); at = nl + 1) {
      nl = std::min(comment.find('\n', at), comment.size());
      s += "# " + comment.substr(at, nl - at) + "\n";
    }
    s += "model " + g_.name + " {\n";
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      auto part = split_.find((ValueId)i); // a split is one statement, at its first part
      if (needed_[i] && !g_.nodes[i].implicit && (part == split_.end() || part->second == (int)i))
        s += "  " + statement((ValueId)i, written) + "\n";
    }
    return s + "  output " + outputs() + "\n}\n";
  }

private:
  /// `a, b = split(x, ...)`: runs of slices the Builder made for one split
  /// (consecutive, one input, every part) are written as that statement again.
  void findSplits() {
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node &n = g_.nodes[i];
      if (n.dead || n.op != OpKind::Slice)
        continue;
      const SliceAttrs &a = attrs<SliceAttrs>(n);
      if (a.part != 0 || (!a.parts && !a.channels))
        continue;
      size_t k = i, start = 0;
      auto more = [&] { return a.parts ? k - i < (size_t)a.parts : (int)start < a.channels; };
      for (; k < g_.nodes.size() && more() && sameSplit(g_.nodes[k], n); ++k) {
        const SliceAttrs &b = attrs<SliceAttrs>(g_.nodes[k]);
        if (a.parts ? b.part != int(k - i) : b.start != (int)start)
          break;
        start = a.parts ? 0 : b.end;
      }
      const size_t count = k - i;
      if (a.parts ? count == (size_t)a.parts : (int)start == a.channels)
        for (size_t m = i; m < k; ++m)
          split_[(ValueId)m] = (ValueId)i, splitSize_[(ValueId)i] = count;
    }
  }
  static bool sameSplit(const Node &m, const Node &n) {
    if (m.dead || m.op != OpKind::Slice || m.inputs != n.inputs)
      return false;
    const SliceAttrs &a = attrs<SliceAttrs>(m), &b = attrs<SliceAttrs>(n);
    return a.parts == b.parts && a.channels == b.channels;
  }

  /// conv2d(activation=...)'s activation node: written as that argument of
  /// its layer, and its layer's name stands for it (as in the Builder).
  void findImplicit() {
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node &n = g_.nodes[i];
      ref_[i] = n.name;
      if (n.dead || !n.implicit)
        continue;
      const ValueId p = n.inputs.at(0);
      const ActFn f = n.op == OpKind::Activation ? attrs<ActAttrs>(n).act : ActFn();
      if (n.op != OpKind::Activation || !hasTrait(g_.nodes[p].op, HasEpilogue) ||
          g_.users(p) != std::vector<ValueId>{(ValueId)i} || g_.isOutput(p) ||
          !(f == ActFn::withDefaults(f.kind)))
        throw Error(where(n) + ": an implicit activation that no activation= argument makes");
      implicit_[p] = f.kind;
      ref_[i] = ref_[p];
    }
  }

  /// Every input, and the layers some output depends on (a split's every part).
  void markNeeded() {
    needed_.assign(g_.nodes.size(), false);
    std::vector<ValueId> todo(g_.outputs.begin(), g_.outputs.end());
    todo.insert(todo.end(), g_.inputs.begin(), g_.inputs.end());
    while (!todo.empty()) {
      ValueId id = todo.back();
      todo.pop_back();
      if (needed_[id])
        continue;
      needed_[id] = true;
      if (g_.nodes[id].dead)
        throw Error(where(g_.nodes[id]) + " is used but was removed by a pass");
      todo.insert(todo.end(), g_.nodes[id].inputs.begin(), g_.nodes[id].inputs.end());
      if (auto s = split_.find(id); s != split_.end())
        for (size_t k = 0; k < splitSize_[s->second]; ++k)
          todo.push_back(s->second + (ValueId)k);
    }
  }

  std::string statement(ValueId id, std::vector<std::string> *written) {
    const Node &n = g_.nodes[id];
    if (split_.count(id))
      return split(id, written);
    checkName(n);
    if (n.op == OpKind::Input)
      return input(n);
    if (written)
      written->push_back(n.name);
    std::string op = opName(n.op);
    Args args;
    if (n.op == OpKind::Activation)
      op = actName(attrs<ActAttrs>(n).act.kind), args = actArgs(attrs<ActAttrs>(n).act);
    else
      std::visit([&](const auto &a) { writeAttrs(n, a, args); }, n.attrs);
    if (auto act = implicit_.find(id); act != implicit_.end())
      args.emplace_back("activation", actName(act->second));
    std::string s = n.name + " = " + op + "(";
    for (size_t k = 0; k < n.inputs.size(); ++k)
      s += (k ? ", " : "") + ref_[n.inputs[k]];
    for (const auto &[name, value] : args)
      s += ", " + name + "=" + value;
    return s + ")";
  }

  void checkName(const Node &n) {
    if (!isDslName(n.name))
      throw Error(where(n) + ": the name is not a DSL name (letters, digits, '_', dots "
                             "between words)");
    if (!names_.insert(n.name).second)
      throw Error(where(n) + ": the name is used twice");
  }

  std::string input(const Node &n) const {
    if (n.type.dims.size() != 3 && n.type.dims.size() != 1)
      throw Error(where(n) + ": an input needs a shape [H, W, C] or [N]");
    std::string s = "input " + n.name + ": f32[";
    for (size_t k = 0; k < n.type.dims.size(); ++k)
      s += (k ? ", " : "") + std::to_string(n.type.dims[k]);
    return s + "]";
  }

  template <class A> void writeAttrs(const Node &n, const A &a, Args &args) const {
    A::visit(a, ArgWriter{n, args});
    tidy(n, a, args);
  }
  /// A slice that is not part of a whole split: its channel range, resolved.
  void writeAttrs(const Node &n, const SliceAttrs &a, Args &args) const {
    SliceAttrs plain{a.start, a.end};
    if (a.parts || a.channels) {
      const std::vector<int64_t> &in = g_.nodes[n.inputs.at(0)].type.dims;
      if (in.empty())
        throw Error(where(n) + ": a part of a split whose input's shape is unknown");
      auto [first, last] = sliceRange(a, in.back());
      plain.start = (int)first, plain.end = (int)last;
    }
    SliceAttrs::visit(plain, ArgWriter{n, args});
  }

  std::string split(ValueId first, std::vector<std::string> *written) {
    const SliceAttrs &a = attrs<SliceAttrs>(g_.nodes[first]);
    std::string names, sizes;
    for (size_t k = 0; k < splitSize_.at(first); ++k) {
      const Node &part = g_.nodes[first + k];
      const SliceAttrs &b = attrs<SliceAttrs>(part);
      checkName(part);
      if (written)
        written->push_back(part.name);
      names += (k ? ", " : "") + part.name;
      sizes += (k ? ", " : "(") + std::to_string(b.end - b.start);
    }
    return names + " = split(" + ref_[g_.nodes[first].inputs.at(0)] + ", " +
           (a.parts ? "parts=" + std::to_string(a.parts) : "sizes=" + sizes + ")") + ")";
  }

  std::string outputs() const {
    std::string s;
    std::set<ValueId> seen;
    for (ValueId id : g_.outputs) {
      const Node &n = g_.nodes[id];
      if (n.op == OpKind::Input)
        throw Error("the output '" + n.name + "' is a model input; a .cnn output is a layer");
      if (!seen.insert(id).second)
        throw Error("'" + ref_[id] + "' is two of the outputs; a .cnn names each output once");
      s += (s.empty() ? "" : ", ") + ref_[id];
    }
    if (s.empty())
      throw Error("the model has no output");
    return s;
  }

  const Graph &g_;
  std::vector<std::string> ref_; // what a statement calls each value
  std::vector<bool> needed_;
  std::map<ValueId, ValueId> split_;    // a split's slice -> its first
  std::map<ValueId, size_t> splitSize_; // the first -> the parts
  std::map<ValueId, Act> implicit_;     // a layer -> its activation= function
  std::set<std::string> names_;
};

} // namespace

std::string writeDsl(const Graph &g, const std::string &comment,
                     std::vector<std::string> *written) {
  return Writer(g).run(comment, written);
}

} // namespace cnnc

// frontend/Builder.cpp - AST to IR: resolves names, checks every attribute
// (name, type, range), gives unnamed layers Keras-style names, and splits
// conv2d(activation=...) into a conv and an implicit activation node that the
// fusion pass joins again.
#include "frontend/Ast.h"
#include "frontend/Blocks.h"
#include "frontend/Frontend.h"
#include "frontend/Hints.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace cnnc {
namespace {

int editDistance(const std::string &a, const std::string &b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = (int)j;
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= b.size(); ++j) {
      int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + int(a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

} // namespace

std::string suggest(const std::string &word, const std::vector<std::string> &options) {
  // Cheap by construction: long words and far-off lengths are never compared.
  std::string best;
  int bestD = 3;
  if (word.size() > 64)
    return "";
  auto lower = [](std::string s) {
    for (char &c : s)
      c = (char)std::tolower((unsigned char)c);
    return s;
  };
  for (const std::string &o : options) // RELU, Gelu: the case alone differs
    if (lower(o) == lower(word))
      return "; did you mean '" + o + "'?";
  for (const std::string &o : options) {
    if (o.size() + 2 < word.size() || word.size() + 2 < o.size())
      continue;
    int d = editDistance(word, o);
    if (d < bestD)
      bestD = d, best = o;
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

std::string joined(const std::vector<std::string> &v) {
  std::string s;
  for (const std::string &x : v)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

namespace {

/// What a statement may call: every op but input and activation, and every activation.
const std::vector<std::string> &dslOps() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    for (OpKind op : AllOps)
      if (op != OpKind::Activation && op != OpKind::Input)
        v.push_back(opName(op));
    for (Act a : AllActs)
      v.push_back(actName(a));
    for (const auto &alias : actAliases())
      v.push_back(alias.first);
    v.push_back("split"); // the front end's: a slice per result
    return v;
  }();
  return ops;
}

/// Reads the named arguments of one call, checking types and ranges, and
/// reports any it was not asked for.
class AttrReader {
public:
  AttrReader(const AstStmt &s, Diag &diag, std::vector<std::string> known)
      : s_(s), diag_(diag), known_(std::move(known)) {}

  const AstValue *find(const std::string &name) {
    used_.insert(name);
    for (const AstArg &a : s_.args)
      if (a.name == name)
        return &a.value;
    return nullptr;
  }
  bool has(const std::string &name) { return find(name) != nullptr; }

  int integer(const std::string &name, int def, int min, bool required = false) {
    const AstValue *v = find(name);
    if (!v) {
      if (required)
        missing_.push_back(name);
      return def;
    }
    return checkInt(*v, name, min, def);
  }

  /// The attribute fields of an Ops.def struct (its visit() calls these): Dsl
  /// ones are read and checked as their rows declare, the others are the passes'.
  void operator()(const AttrSpec &s, int &v, int def) {
    if (s.flags & Dsl)
      v = integer(s.name, def, (int)s.min, s.flags & Required);
  }
  void operator()(const AttrSpec &s, int &h, int &w, int dh, int dw) {
    if (s.flags & Dsl)
      std::tie(h, w) = pair(s.name, {dh, dw}, (int)s.min, s.flags & Required);
  }
  void operator()(const AttrSpec &s, double &v, double def) {
    if (s.flags & Dsl)
      v = real(s.name, def, s.min, s.max);
  }
  void operator()(const AttrSpec &s, bool &v, bool def) {
    if (s.flags & Dsl)
      v = boolean(s.name, def);
  }
  void operator()(const AttrSpec &s, Padding &v, const Padding &def) {
    if (s.flags & Dsl)
      v = padding(s.name, def);
  }
  template <WordEnum T> void operator()(const AttrSpec &s, T &v, const T &def) {
    if (s.flags & Dsl)
      v = *parseWord<T>(word(s.name, wordOf(def), wordList<T>()));
  }
  template <class T> void operator()(const AttrSpec &s, T &, const T &) {
    CNNC_ASSERT(!(s.flags & Dsl), std::string("no DSL reader for attribute ") + s.name);
  }

  std::pair<int, int> pair(const std::string &name, std::pair<int, int> def, int min,
                           bool required = false) {
    const AstValue *v = find(name);
    if (!v) {
      if (required)
        missing_.push_back(name);
      return def;
    }
    if (v->kind == AstValue::Tuple) {
      if (v->elems.size() != 2) {
        diag_.error(v->loc, "'" + name + "' takes one number or a pair (h, w), got a tuple of " +
                                std::to_string(v->elems.size()));
        return def;
      }
      return {checkInt(v->elems[0], name, min, def.first),
              checkInt(v->elems[1], name, min, def.second)};
    }
    int x = checkInt(*v, name, min, def.first);
    return {x, x};
  }

  double real(const std::string &name, double def, double min, double max) {
    const AstValue *v = find(name);
    if (!v || v->kind == AstValue::Invalid)
      return def;
    if (v->kind != AstValue::Int && v->kind != AstValue::Float) {
      diag_.error(v->loc, "'" + name + "' must be a number");
      return def;
    }
    double x = v->kind == AstValue::Int ? (double)v->i : v->f;
    if (!(x >= min && x <= max)) {
      diag_.error(v->loc, "'" + name + "' must be in [" + numberString(min) + ", " +
                              numberString(max) + "], got " + numberString(x));
      return def;
    }
    return x;
  }

  std::string word(const std::string &name, const std::string &def,
                   const std::vector<std::string> &allowed) {
    const AstValue *v = find(name);
    if (!v || v->kind == AstValue::Invalid)
      return def;
    if (v->kind != AstValue::Ident) {
      diag_.error(v->loc, "'" + name + "' must be one of " + joined(allowed));
      return def;
    }
    for (const std::string &a : allowed)
      if (a == v->s)
        return v->s;
    diag_.error(v->loc, "unknown " + name + " '" + v->s + "' (expected " + joined(allowed) + ")" +
                            suggest(v->s, allowed));
    return def;
  }

  /// An integer or a tuple of them, each at least `min` (split's sizes=).
  std::vector<int> integers(const std::string &name, int min) {
    const AstValue *v = find(name);
    std::vector<int> out;
    if (!v)
      return out;
    for (const AstValue &x : v->kind == AstValue::Tuple ? v->elems : std::vector<AstValue>{*v})
      out.push_back(checkInt(x, name, min, min));
    return out;
  }

  bool boolean(const std::string &name, bool def) {
    return word(name, def ? "true" : "false", {"true", "false"}) == "true";
  }

  /// padding=valid|same|N|(h, w)|(top, bottom, left, right)
  Padding padding(const std::string &name, const Padding &def) {
    Padding p;
    const AstValue *v = find(name);
    if (!v || v->kind == AstValue::Invalid)
      return def;
    if (v->kind == AstValue::Ident) {
      if (v->s == "valid")
        return p;
      if (v->s == "same")
        return p.mode = PadMode::Same, p;
      diag_.error(v->loc, "unknown padding '" + v->s + "' (expected valid or same, or numbers)" +
                              suggest(v->s, {"valid", "same"}));
      return p;
    } else if (v->kind == AstValue::Int || v->kind == AstValue::Tuple) {
      std::vector<int> n;
      if (v->kind == AstValue::Int)
        n.push_back(checkInt(*v, "padding", 0, 0));
      for (const AstValue &e : v->elems)
        n.push_back(checkInt(e, "padding", 0, 0));
      p.mode = PadMode::Explicit;
      if (n.size() == 1)
        p.top = p.bottom = p.left = p.right = n[0];
      else if (n.size() == 2)
        p.top = p.bottom = n[0], p.left = p.right = n[1];
      else if (n.size() == 4)
        p.top = n[0], p.bottom = n[1], p.left = n[2], p.right = n[3];
      else
        diag_.error(v->loc, "padding takes 1, 2 or 4 numbers, got " + std::to_string(n.size()));
      return p;
    }
    diag_.error(v->loc, "padding must be valid or same, a number, (h, w) or (top, bottom, left, "
                        "right)");
    return p;
  }

  /// activation=NAME on an op with an epilogue; parameters take their defaults
  /// (leaky_relu: Keras's alpha 0.3). Functions with required parameters are layers.
  ActFn activation() {
    std::vector<std::string> names;
    for (Act a : AllActs)
      if (!needsParams(a))
        names.push_back(actName(a));
    for (const auto &[alias, a] : actAliases())
      if (!needsParams(a))
        names.push_back(alias);
    const AstValue *v = find("activation");
    std::optional<Act> given = v && v->kind == AstValue::Ident ? parseAct(v->s) : std::nullopt;
    // A layer's name is valid elsewhere: say so rather than suggest a near activation.
    if (std::optional<OpKind> op = v && v->kind == AstValue::Ident ? parseOp(v->s) : std::nullopt;
        op && *op != OpKind::Activation && *op != OpKind::Input) {
      diag_.error(v->loc, "'" + v->s + "' is a layer, not an activation: write " + v->s +
                              "(...) as its own layer after this one");
      return {};
    }
    if (given && needsParams(*given)) {
      diag_.error(v->loc, v->s + " needs parameters: write " + v->s + "(" + paramList(*given) +
                              ") as its own layer");
      return {};
    }
    return ActFn::withDefaults(*parseAct(word("activation", "linear", names)));
  }

  /// The parameters of activation layer `act` (ACT row): checked, defaults
  /// filled in, required ones reported when missing.
  ActFn activationParams(Act act) {
    const ActInfo &i = actInfo(act);
    ActFn f = ActFn::withDefaults(act);
    const std::vector<std::string> &words = actWords(act);
    if (!words.empty()) { // one word-valued parameter: lo is its index
      std::string w = word(i.param[0], words[(size_t)i.def[0]], words);
      f.lo = (float)(std::find(words.begin(), words.end(), w) - words.begin());
      return f;
    }
    float *slot[2] = {&f.lo, &f.hi};
    bool missing = false;
    for (int k = 0; k < 2 && i.param[k]; ++k) {
      *slot[k] = (float)real(i.param[k], std::isnan(i.def[k]) ? 0 : i.def[k], i.min, i.max);
      missing |= std::isnan(i.def[k]) && !has(i.param[k]);
    }
    if (missing)
      diag_.error(s_.opLoc, s_.op + " needs " + (i.param[1] ? "both " : "") + i.param[0] + "=" +
                                (i.param[1] ? std::string(" and ") + i.param[1] + "=" : ""));
    else if (i.param[1] && f.lo > f.hi)
      diag_.error(s_.opLoc, s_.op + "'s " + i.param[0] + " (" + numberString(f.lo) +
                                ") is above its " + i.param[1] + " (" + numberString(f.hi) + ")");
    return f;
  }

  static bool needsParams(Act a) {
    const ActInfo &i = actInfo(a);
    return (i.param[0] && std::isnan(i.def[0])) || (i.param[1] && std::isnan(i.def[1]));
  }
  static std::string paramList(Act a) {
    const ActInfo &i = actInfo(a);
    std::string s = std::string(i.param[0]) + "=A";
    return i.param[1] ? s + ", " + i.param[1] + "=B" : s;
  }

  void finish() {
    std::set<std::string> suggested;
    for (const AstArg &a : s_.args) {
      if (a.name.empty() || used_.count(a.name))
        continue;
      std::string hint = foreignAttrHint(a.name, known_);
      if (hint.empty())
        hint = suggest(a.name, known_);
      std::string msg = "unknown attribute '" + a.name + "' for " + s_.op;
      msg += known_.empty() ? " (it takes none)" : " (expected " + joined(known_) + ")" + hint;
      diag_.error(a.loc, msg);
      for (const std::string &k : known_)
        if (hint.find("'" + k + "'") != std::string::npos)
          suggested.insert(k);
    }
    // A missing attribute that a misspelling above already points at is not reported twice.
    for (const std::string &name : missing_)
      if (!suggested.count(name))
        diag_.error(s_.opLoc, s_.op + " needs '" + name + "='");
    std::set<std::string> seen;
    for (const AstArg &a : s_.args)
      if (!a.name.empty() && !seen.insert(a.name).second)
        diag_.error(a.loc, "attribute '" + a.name + "' given twice");
  }

private:
  int checkInt(const AstValue &v, const std::string &name, int min, int def) {
    if (v.kind == AstValue::Invalid)
      return def; // a malformed number, already reported by the lexer
    if (v.kind != AstValue::Int) {
      diag_.error(v.loc, "'" + name + "' must be an integer");
      return def;
    }
    if (v.i < min) {
      diag_.error(v.loc, "'" + name + "' must be at least " + std::to_string(min) + ", got " +
                             std::to_string(v.i));
      return def;
    }
    if (v.i > (1 << 20)) {
      diag_.error(v.loc, "'" + name + "' is too large (" + std::to_string(v.i) + " > " +
                             std::to_string(1 << 20) + ")");
      return def;
    }
    return (int)v.i;
  }

  const AstStmt &s_;
  Diag &diag_;
  std::vector<std::string> known_;
  std::set<std::string> used_;
  std::vector<std::string> missing_; // required attributes not given
};

class Builder : public LayerSink {
public:
  Builder(Diag &diag, Graph &g) : diag_(diag), g_(g) {}

  void build(const AstModule &m) {
    g_.name = m.name;
    for (const AstBlock &b : m.blocks)
      blockNames_.push_back(b.name);
    expand(m, *this, diag_);
    if (g_.inputs.empty() && !diag_.hasErrors())
      diag_.error(m.loc, "model '" + m.name +
                             "' has no input; declare one with 'input image: f32[H, W, C]'");
    if (g_.nodes.size() == g_.inputs.size() && !g_.inputs.empty() && !diag_.hasErrors())
      diag_.error(m.loc, "model '" + m.name + "' has no layers");
    else if (!output_ && last_ >= 0 && g_.nodes[last_].op != OpKind::Input)
      g_.outputs.push_back(last_); // without `output`, the last statement is the output
    else if (!output_ && last_ >= 0 && !diag_.hasErrors())
      diag_.error(lastInputLoc_, "the last statement declares the input '" + g_.nodes[last_].name +
                                     "', which cannot be the output; name the outputs with "
                                     "'output NAME, ...'");
  }

  // LayerSink: what block expansion (frontend/Blocks.cpp) asks.
  ValueId call(const AstStmt &s) override {
    statement(s);
    return last_;
  }
  std::optional<ValueId> lookup(const std::string &name) const override {
    auto it = names_.find(name);
    return it == names_.end() ? std::nullopt : std::optional<ValueId>(it->second);
  }
  void alias(const std::string &name, SourceLoc loc, ValueId id) override {
    if (id == Poisoned)
      names_.emplace(name, Poisoned);
    else
      define(name, loc, id);
  }
  std::string freeName(const std::string &prefix, const std::string &kind) override {
    for (int &k = counters_[prefix + kind];; ++k) {
      std::string name = prefix + (k == 0 ? kind : kind + "_" + std::to_string(k));
      if (!names_.count(name)) {
        ++k;
        return name;
      }
    }
  }
  ValueId last() const override { return last_; }
  void setLast(ValueId id) override { last_ = id; }
  bool full() const override { return layers_ > MaxLayers; }
  std::vector<std::string> names() const override { return definedNames(); }

  void declareInput(const AstStmt &s) override { input(s); }
  void declareOutputs(const AstStmt &s) override { output(s); }

private:
  void input(const AstStmt &s) {
    if (s.dtype != "f32")
      diag_.error(s.opLoc, "unsupported element type '" + s.dtype + "' (only f32 is supported)");
    Node n;
    n.op = OpKind::Input;
    n.name = s.result;
    n.loc = s.resultLoc;
    for (const AstValue &d : s.dims) {
      if (d.kind == AstValue::Invalid)
        continue;
      if (d.kind != AstValue::Int || d.i < 1)
        diag_.error(d.loc, "an input dimension must be a positive integer");
      else if (d.i > (1 << 24))
        diag_.error(d.loc, "input dimension " + std::to_string(d.i) + " is too large");
      else
        n.type.dims.push_back(d.i);
    }
    if (s.dims.size() != 3 && s.dims.size() != 1)
      diag_.error(
          s.opLoc,
          "an input is f32[H, W, C] (an image, channels last) or f32[N] (a vector), got rank " +
              std::to_string(s.dims.size()));
    if (diag_.hasErrors())
      n.type.dims.clear();
    ValueId id = g_.add(n);
    g_.inputs.push_back(id);
    define(s.result, s.resultLoc, id);
    last_ = id;
    lastInputLoc_ = s.loc;
  }

  void output(const AstStmt &s) {
    if (output_)
      return diag_.error(s.loc, "a model has one 'output' statement; list every output in it: "
                                "output a, b");
    output_ = true;
    for (const AstArg &a : s.args) {
      const std::string &name = a.value.s;
      auto it = names_.find(name);
      if (it == names_.end())
        diag_.error(a.loc, "unknown name '" + name + "'" + nameHint(name));
      else if (it->second < 0) // a name whose statement failed, already reported
        continue;
      else if (g_.nodes[it->second].op == OpKind::Input)
        diag_.error(a.loc, "the output '" + name + "' is a model input; name a layer");
      else if (g_.isOutput(it->second))
        diag_.error(a.loc, "'" + name + "' is already an output (name each output once)");
      else
        g_.outputs.push_back(it->second);
    }
  }

  void statement(const AstStmt &s) {
    if (++layers_ > MaxLayers) {
      if (layers_ == MaxLayers + 1)
        diag_.error(s.opLoc, "too many layers (the limit is " + std::to_string(MaxLayers) + ")");
      return;
    }
    if (s.op == "split")
      return split(s);
    if (s.results.size() > 1) { // the other names stand for the one result: no cascade
      diag_.error(s.results[1].second, "only split(...) has several results; " + s.op + " has one");
      for (size_t k = 1; k < s.results.size(); ++k)
        names_.emplace(s.results[k].first, placeholder());
    }
    Node n;
    n.loc = s.opLoc;
    std::optional<OpKind> op = parseOp(s.op);
    std::optional<Act> actOp = parseAct(s.op);
    if (actOp)
      op = OpKind::Activation;
    if (!op || op == OpKind::Input || (op == OpKind::Activation && !actOp)) {
      if (blockNames_.empty())
        diag_.error(s.opLoc, "unknown op '" + s.op + "'" + unknownOpHint(s.op));
      else
        diag_.error(s.opLoc, "unknown op or block '" + s.op + "'" + unknownOpHint(s.op));
      return poison(s.result);
    }
    n.op = *op;
    n.attrs = defaultAttrs(n.op);
    AttrReader r(s, diag_, dslAttrNames(n, actOp));
    ActFn act;                 // conv2d(activation=...): an implicit activation node after it
    if (actOp == Act::Softmax) // the DSL's only: the IR's softmax is over channels
      if (const AstValue *axis = r.find("axis"); axis && axis->kind != AstValue::Invalid &&
                                                 !(axis->kind == AstValue::Int && axis->i == -1))
        diag_.error(axis->loc, "softmax runs over the channel axis only: axis=-1");
    if (actOp)
      n.attrs = ActAttrs{r.activationParams(*actOp)};
    else
      std::visit([&](auto &a) { a.visit(a, r), checkAttrs(a, r, s); }, n.attrs);
    if (hasTrait(n.op, HasEpilogue))
      act = r.activation();
    r.finish();
    if (!resolveInputs(s, n))
      return poison(s.result);
    n.name = s.result.empty() ? freeName(s.prefix, opNamePrefix(n.op)) : s.result;
    ValueId id = g_.add(n);
    if (act != Act::Linear) {
      Node a;
      a.op = OpKind::Activation;
      a.name = n.name + "/" + actName(act.kind);
      a.inputs = {id};
      a.attrs = ActAttrs{act};
      a.loc = s.opLoc;
      a.implicit = true;
      id = g_.add(a);
    }
    define(n.name, s.result.empty() ? s.opLoc : s.resultLoc, id);
    last_ = id;
  }

  /// `a, b = split(x, parts=2)` or `split(x, sizes=(16, 48))`: a slice node
  /// per name, named by it (the IR has one result per node). InferShapes
  /// checks the parts against the channels.
  void split(const AstStmt &s) {
    const int errors = diag_.errorCount();
    AttrReader r(s, diag_, {"parts", "sizes"});
    const int parts = r.integer("parts", 0, 1);
    const std::vector<int> sizes = r.integers("sizes", 1);
    r.finish();
    if (r.has("parts") && r.has("sizes"))
      diag_.error(r.find("sizes")->loc, "split takes parts= or sizes=, not both");
    else if (!r.has("parts") && !r.has("sizes"))
      diag_.error(s.opLoc, "split needs parts=N or sizes=(a, b, ...)");
    const size_t want = r.has("sizes") ? sizes.size() : (size_t)parts;
    if (want && s.results.size() != want)
      diag_.error(s.results.empty() ? s.opLoc : s.resultLoc,
                  "split into " + std::to_string(want) + " parts needs " + std::to_string(want) +
                      " names on the left (a, b = split(...)), got " +
                      std::to_string(s.results.size()));
    Node n;
    n.op = OpKind::Slice;
    n.loc = s.opLoc;
    if (diag_.errorCount() > errors || !resolveInputs(s, n)) {
      for (const auto &[name, loc] : s.results) // later uses are not errors too
        poison(name);
      return;
    }
    int64_t total = 0; // saturated: InferShapes reports a sum that is not the channels
    for (int v : sizes)
      total = std::min<int64_t>(total + v, INT32_MAX);
    for (size_t k = 0, start = 0; k < want; ++k) {
      SliceAttrs a;
      if (r.has("sizes"))
        a.start = (int)start, a.end = (int)(start += sizes[k]), a.channels = (int)total;
      else
        a.part = (int)k, a.parts = parts;
      n.attrs = a;
      n.name = s.results[k].first;
      define(n.name, s.results[k].second, last_ = g_.add(n));
    }
  }

  /// The attribute names a call of `n`'s op takes, in table order.
  static std::vector<std::string> dslAttrNames(Node &n, std::optional<Act> act) {
    std::vector<std::string> names;
    if (act) {
      for (const char *p : actInfo(*act).param)
        if (p)
          names.push_back(p);
      if (*act == Act::Softmax)
        names.push_back("axis");
      return names;
    }
    std::visit(
        [&](auto &a) {
          a.visit(a, [&](const AttrSpec &s, auto &&...) {
            if (s.flags & Dsl)
              names.push_back(s.name);
          });
        },
        n.attrs);
    if (hasTrait(n.op, HasEpilogue))
      names.push_back("activation");
    return names;
  }

  // Rules between attributes, after the table's per-attribute checks.
  void checkGroups(int filters, int groups, AttrReader &r) {
    if (filters % groups)
      diag_.error(r.find("groups")->loc, "filters (" + std::to_string(filters) +
                                             ") must be a multiple of groups (" +
                                             std::to_string(groups) + ")");
  }
  void checkAttrs(ConvAttrs &a, AttrReader &r, const AstStmt &) {
    checkGroups(a.filters, a.groups, r);
  }
  void checkAttrs(ConvTransposeAttrs &a, AttrReader &r, const AstStmt &) {
    checkGroups(a.filters, a.groups, r);
    const AstValue *op = r.find("output_padding");
    if (!op)
      return;
    if (a.pad.mode == PadMode::Same && (a.oph || a.opw))
      diag_.error(op->loc, "output_padding needs valid or numeric padding: padding=same makes "
                           "the output input * stride (Keras)");
    else if (a.oph >= std::max(a.sh, a.dh) || a.opw >= std::max(a.sw, a.dw))
      diag_.error(op->loc, "output_padding (" + std::to_string(a.oph) + ", " +
                               std::to_string(a.opw) +
                               ") must be smaller than the stride or the dilation on each axis "
                               "(PyTorch's rule), here (" +
                               std::to_string(std::max(a.sh, a.dh)) + ", " +
                               std::to_string(std::max(a.sw, a.dw)) + ")");
  }
  void checkAttrs(PoolAttrs &a, AttrReader &r, const AstStmt &s) {
    if (a.sh == 0) // Keras: strides default to the pool size
      a.sh = a.kh, a.sw = a.kw;
    const bool same = a.pad.mode == PadMode::Same;
    if (a.ceilMode && same) // Keras has no ceil_mode; `same` already rounds up
      diag_.error(r.find("ceil_mode")->loc,
                  "ceil_mode=true needs valid or numeric padding: padding=same rounds up already");
    const AstValue *cip = r.find("count_include_pad");
    if (cip && s.op != "avgpool2d")
      diag_.error(cip->loc, "count_include_pad is avgpool2d's: " + s.op + " ignores padded cells");
    else if (cip && same && a.countIncludePad)
      diag_.error(cip->loc, "padding=same averages the real pixels (Keras): "
                            "count_include_pad=true needs numeric padding");
  }
  void checkAttrs(ZeroPadAttrs &a, AttrReader &, const AstStmt &s) {
    if (a.pad.mode != PadMode::Explicit)
      diag_.error(s.opLoc, "zeropad2d takes numbers: padding=N, (h, w) or (top, bottom, left, "
                           "right)");
  }
  void checkAttrs(UpsampleAttrs &a, AttrReader &r, const AstStmt &) {
    if (r.has("scale") && r.has("size"))
      diag_.error(r.find("size")->loc, "upsample2d takes scale= or size=, not both");
    if (r.has("align_corners") && a.mode != UpsampleMode::Bilinear)
      diag_.error(r.find("align_corners")->loc,
                  "align_corners applies to mode=bilinear only (PyTorch's rule), not " +
                      wordOf(a.mode));
  }
  template <class A> void checkAttrs(A &, AttrReader &, const AstStmt &) {}

  bool resolveInputs(const AstStmt &s, Node &n) {
    for (const AstArg &a : s.args) {
      if (!a.name.empty())
        continue;
      if (a.value.kind == AstValue::Ref) { // resolved by block expansion
        if (a.value.i == Poisoned)
          return false;
        n.inputs.push_back((ValueId)a.value.i);
        continue;
      }
      if (a.value.kind != AstValue::Ident) {
        diag_.error(a.loc, "positional arguments name inputs; write attributes as name=value");
        return false;
      }
      auto it = names_.find(a.value.s);
      if (it == names_.end()) {
        diag_.error(a.loc, "unknown name '" + a.value.s + "'" + nameHint(a.value.s));
        return false;
      }
      if (it->second == Poisoned) // its statement failed, already reported
        return false;
      n.inputs.push_back(it->second);
    }
    if (n.inputs.empty()) {
      if (last_ < 0) {
        if (!diag_.hasErrors()) // after a broken input statement this would repeat for every layer
          diag_.error(s.opLoc, s.op + " has no input: declare 'input NAME: f32[H, W, C]' first");
        return false;
      }
      n.inputs.push_back(last_);
    }
    if (!arityOk(n)) {
      int want = opArity(n.op);
      diag_.error(s.opLoc,
                  s.op + " takes " +
                      (want < 0 ? "two or more inputs"
                                : std::to_string(want) + (want == 1 ? " input" : " inputs")) +
                      ", got " + std::to_string(n.inputs.size()));
      return false;
    }
    return true;
  }

  /// What a name whose statement failed stands for: a poisoned name, defined
  /// so that its later uses are not errors too (one error, not a cascade).
  ValueId placeholder() const { return Poisoned; }
  /// A failed statement: its name is poisoned, and so is the implicit input
  /// of the next statement (which would otherwise read the one before).
  void poison(const std::string &name) {
    if (!name.empty())
      names_.emplace(name, Poisoned);
    last_ = Poisoned;
  }

  std::string unknownOpHint(const std::string &op) const {
    if (op == "input")
      return "; an input is a declaration: input NAME: f32[H, W, C]";
    if (op == "activation")
      return "; call the function itself: relu(x), gelu(x), ...";
    std::string foreign = foreignOpHint(op);
    std::vector<std::string> callable = dslOps();
    callable.insert(callable.end(), blockNames_.begin(), blockNames_.end());
    return foreign.empty() ? suggest(op, callable) : foreign;
  }

  void define(const std::string &name, SourceLoc loc, ValueId id) {
    if (!names_.emplace(name, id).second)
      diag_.error(loc, "'" + name + "' is already defined");
  }

  // Past the error cap nothing more is shown, so skip the search.
  std::string nameHint(const std::string &name) const {
    return diag_.saturated() ? "" : suggest(name, definedNames());
  }

  std::vector<std::string> definedNames() const {
    std::vector<std::string> v;
    for (auto &[k, id] : names_)
      v.push_back(k);
    return v;
  }

  Diag &diag_;
  Graph &g_;
  std::map<std::string, ValueId> names_;
  std::map<std::string, int> counters_;
  ValueId last_ = -1;
  bool output_ = false;
  SourceLoc lastInputLoc_; // the latest input statement
  size_t layers_ = 0;
  std::vector<std::string> blockNames_;
};

} // namespace

bool buildGraph(Diag &diag, Graph &out) {
  if (diag.source().size() > MaxSourceBytes) {
    diag.error({}, "source is too large (" + std::to_string(diag.source().size()) +
                       " bytes; the limit is " + std::to_string(MaxSourceBytes) + ")");
    return false;
  }
  // Semantic checks run even after syntax errors (on the statements that
  // parsed), so one run reports as much as it can.
  AstModule m = parse(diag.source(), diag);
  if (m.name.empty() || diag.errorCount() > Diag::MaxErrors)
    return false;
  Builder(diag, out).build(m);
  return !diag.hasErrors();
}

} // namespace cnnc

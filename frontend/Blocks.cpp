// frontend/Blocks.cpp - runs the statements of a model: a call of a block makes
// an instance, its layers named "<instance>.<name>" (PyTorch's module paths),
// its parameters bound to the call's arguments; 'if' and 'for' choose and repeat
// statements; expressions are evaluated. Each op call goes to the builder.
//
// Names in a block's body are its parameters, its loop variables and the layers
// it defined before (hygiene: not the caller's). Locations inside an instance
// carry its Diag::instance id, so an error there also names the instance.
#include "frontend/Blocks.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace cnnc {
namespace {

constexpr ValueId Poisoned = LayerSink::Poisoned;
constexpr ValueId NoTensor = -2;        // a parameter bound to a value, not a layer
constexpr size_t MaxInstanceDepth = 32; // instances inside instances
constexpr int64_t MaxSteps = 200000;    // statements and loop turns, over the whole model

struct Binding {
  AstValue value;            // a Ref when it is a layer
  ValueId tensor = NoTensor; // the layer, or NoTensor
};

/// The names a statement sees: the model's top level (block null) or an instance's.
struct Scope {
  const AstBlock *block = nullptr;
  std::string prefix; // "layer1.0." inside instance layer1.0
  int inst = 0;
  std::map<std::string, Binding> params;
  std::map<std::string, int64_t> vars; // loop variables
  std::set<std::string> locals;        // layers defined so far, without the prefix
  bool returned = false;
  ValueId result = Poisoned;
};

AstValue word(const std::string &s, SourceLoc loc) {
  AstValue v;
  v.kind = AstValue::Ident;
  v.s = s;
  v.loc = loc;
  return v;
}
AstValue ref(ValueId id, SourceLoc loc) {
  AstValue v;
  v.kind = AstValue::Ref;
  v.i = id;
  v.loc = loc;
  return v;
}
AstValue invalid(SourceLoc loc) {
  AstValue v;
  v.kind = AstValue::Invalid;
  v.loc = loc;
  return v;
}
std::optional<bool> truth(const AstValue &v) {
  if (v.kind == AstValue::Ident && (v.s == "true" || v.s == "false"))
    return v.s == "true";
  return std::nullopt;
}
/// How a value reads in a message: 64, 'same', a tuple, a layer.
std::string shown(const AstValue &v) {
  switch (v.kind) {
  case AstValue::Int:
    return std::to_string(v.i);
  case AstValue::Float: { // 12.0, not 12: the kind is the point
    std::string n = numberString(v.f);
    return n.find_first_of(".eEni") == std::string::npos ? n + ".0" : n;
  }
  case AstValue::Ident:
    return "'" + v.s + "'";
  case AstValue::Tuple:
    return "a tuple";
  case AstValue::Ref:
    return "a layer";
  case AstValue::Invalid:
  case AstValue::Unary:
  case AstValue::Binary:
  case AstValue::Call:
    break;
  }
  return "a value";
}

class Expander {
public:
  Expander(const AstModule &m, LayerSink &sink, Diag &diag) : sink_(sink), diag_(diag) {
    for (const AstBlock &b : m.blocks)
      declare(b);
  }

  void run(const std::vector<AstStmt> &stmts) {
    Scope top;
    exec(stmts, top);
  }

private:
  void declare(const AstBlock &b) {
    if (parseOp(b.name) || parseAct(b.name) || b.name == "split")
      diag_.error(b.loc, "'" + b.name + "' is an op: give the block another name");
    else if (!blocks_.emplace(b.name, &b).second)
      diag_.error(b.loc, "block '" + b.name + "' is already defined");
    std::set<std::string> seen;
    for (const AstParam &p : b.params)
      if (!seen.insert(p.name).second)
        diag_.error(p.loc, "parameter '" + p.name + "' is listed twice");
  }

  static SourceLoc at(SourceLoc l, const Scope &sc) {
    l.inst = sc.inst;
    return l;
  }

  void exec(const std::vector<AstStmt> &list, Scope &sc) {
    for (const AstStmt &s : list) {
      if (sc.returned || stopped_)
        return;
      stmt(s, sc);
    }
  }

  /// Counts a statement or a loop turn; false once the model is too large.
  bool step(SourceLoc loc, const Scope &sc) {
    // Past the error cap nothing more is shown: a loop or an instance stops there.
    if (!stopped_ && (sink_.full() || (diag_.saturated() && (sc.block || loops_))))
      stopped_ = true;
    if (!stopped_ && ++steps_ > MaxSteps) {
      diag_.error(at(loc, sc), "the model expands to more than " + std::to_string(MaxSteps) +
                                   " statements and loop turns");
      stopped_ = true;
    }
    return !stopped_;
  }

  void stmt(const AstStmt &s, Scope &sc) {
    if (!step(s.loc, sc))
      return;
    switch (s.kind) {
    case AstStmt::Input: {
      AstStmt c = s;
      for (AstValue &d : c.dims)
        d = eval(d, sc);
      return sink_.declareInput(c);
    }
    case AstStmt::Output: {
      AstStmt c = s;
      for (AstArg &a : c.args)
        if (std::optional<std::string> n = name(a.value.s, a.value.loc, sc))
          a.value.s = *n;
      return sink_.declareOutputs(c);
    }
    case AstStmt::Call:
      callStmt(s, sc);
      return;
    case AstStmt::If:
      if (std::optional<bool> c = condition(s.args[0].value, sc))
        exec(*c ? s.body : s.orElse, sc);
      return;
    case AstStmt::For:
      return loop(s, sc);
    case AstStmt::Return: {
      AstValue v = input(s.args[0].value, sc);
      if (v.kind != AstValue::Ref && v.kind != AstValue::Invalid)
        diag_.error(v.loc, "return gives a layer (a name or a call), not " + shown(v));
      sc.result = v.kind == AstValue::Ref ? (ValueId)v.i : Poisoned;
      sc.returned = true;
      return;
    }
    }
  }

  std::optional<bool> condition(const AstValue &e, Scope &sc) {
    AstValue v = eval(e, sc);
    std::optional<bool> b = truth(v);
    if (!b && v.kind != AstValue::Invalid)
      diag_.error(v.loc, "a condition must be true or false, got " + shown(v));
    return b;
  }

  void loop(const AstStmt &s, Scope &sc) {
    int64_t bound[2] = {0, 0};
    for (size_t k = 0; k < s.args.size(); ++k) {
      AstValue v = eval(s.args[k].value, sc);
      if (v.kind != AstValue::Int) {
        if (v.kind != AstValue::Invalid)
          diag_.error(v.loc, "range's bounds must be integers, got " + shown(v));
        return;
      }
      bound[k + 2 - s.args.size()] = v.i; // range(n) is range(0, n)
    }
    if (sc.params.count(s.result) || sc.vars.count(s.result))
      return diag_.error(at(s.resultLoc, sc),
                         "loop variable '" + s.result + "' hides a parameter or loop variable");
    ++loops_;
    for (int64_t i = bound[0]; i < bound[1] && !sc.returned && step(s.loc, sc); ++i) {
      sc.vars[s.result] = i;
      exec(s.body, sc);
    }
    --loops_;
    sc.vars.erase(s.result);
  }

  /// An op call or a block call, also one that is an argument; its value.
  ValueId callStmt(const AstStmt &s, Scope &sc) {
    if (auto b = blocks_.find(s.op); b != blocks_.end())
      return instantiate(s, *b->second, sc);
    AstStmt c;
    c.loc = at(s.loc, sc);
    c.op = s.op;
    c.opLoc = at(s.opLoc, sc);
    c.prefix = sc.prefix;
    std::vector<std::string> locals;
    for (const auto &[text, loc] : s.results) {
      std::optional<std::string> n = name(text, loc, sc);
      if (!n) { // reported: this statement and its names fail
        for (const std::string &l : locals)
          sink_.alias(sc.prefix + l, at(loc, sc), Poisoned);
        sink_.setLast(Poisoned);
        return Poisoned;
      }
      locals.push_back(*n);
      c.results.emplace_back(sc.prefix + *n, at(loc, sc));
    }
    if (!c.results.empty())
      c.result = c.results[0].first, c.resultLoc = c.results[0].second;
    for (const AstArg &a : s.args) {
      AstValue v = a.name.empty() ? input(a.value, sc) : eval(a.value, sc);
      if (a.name.empty() && v.kind == AstValue::Invalid) // reported: the call fails quietly
        v = ref(Poisoned, v.loc);
      else if (a.name.empty() && v.kind == AstValue::Ident && a.value.kind != AstValue::Ident)
        v = a.value, v.loc = at(v.loc, sc); // true from a == b is a value, not a layer's name
      c.args.push_back({a.name, at(a.loc, sc), v});
    }
    sc.locals.insert(locals.begin(), locals.end());
    return sink_.call(c);
  }

  /// A positional argument: a layer (a Ref, or at the top level a name the builder
  /// resolves), or a value the builder refuses as an input.
  AstValue input(const AstValue &v, Scope &sc) {
    SourceLoc loc = at(v.loc, sc);
    if (v.kind == AstValue::Call)
      return ref(callStmt(*v.call, sc), loc);
    if (v.kind != AstValue::Ident)
      return eval(v, sc);
    std::optional<std::string> n = name(v.s, v.loc, sc);
    if (!n)
      return ref(Poisoned, loc);
    if (sc.vars.count(*n)) {
      diag_.error(loc, "'" + *n + "' is a loop variable, not a layer");
      return ref(Poisoned, loc);
    }
    if (!sc.block)
      return word(*n, loc);
    if (auto p = sc.params.find(*n); p != sc.params.end()) {
      if (p->second.tensor != NoTensor)
        return ref(p->second.tensor, loc);
      diag_.error(loc, "'" + *n + "' is a parameter of block '" + sc.block->name + "' given " +
                           shown(p->second.value) + ", not a layer");
      return ref(Poisoned, loc);
    }
    if (sc.locals.count(*n))
      return ref(sink_.lookup(sc.prefix + *n).value_or(Poisoned), loc);
    std::vector<std::string> known(sc.locals.begin(), sc.locals.end());
    for (const auto &[p, b] : sc.params)
      known.push_back(p);
    diag_.error(loc, "unknown name '" + *n + "' in block '" + sc.block->name +
                         "' (its names are its parameters and the layers it defines)" +
                         suggest(*n, known));
    return ref(Poisoned, loc);
  }

  /// The layer an argument passes, if it names one in the caller's scope.
  ValueId tensorOf(const AstValue &v, const Scope &sc) const {
    if (v.kind == AstValue::Ref)
      return (ValueId)v.i;
    if (v.kind != AstValue::Ident)
      return NoTensor;
    if (!sc.block)
      return sink_.lookup(v.s).value_or(NoTensor);
    return sc.locals.count(v.s) ? sink_.lookup(sc.prefix + v.s).value_or(NoTensor) : NoTensor;
  }

  ValueId instantiate(const AstStmt &s, const AstBlock &b, Scope &sc) {
    const SourceLoc callLoc = at(s.opLoc, sc);
    std::string local;
    if (s.results.size() > 1)
      diag_.error(at(s.results[1].second, sc), "a block has one result; only split(...) has "
                                               "several");
    else if (!s.results.empty()) {
      std::optional<std::string> n = name(s.result, s.resultLoc, sc);
      if (!n)
        return fail(s, sc);
      local = *n;
    }
    if (s.results.size() > 1)
      return fail(s, sc);
    const std::string full = local.empty() ? sink_.freeName(sc.prefix, b.name) : sc.prefix + local;
    if (sink_.lookup(full)) {
      diag_.error(at(s.resultLoc, sc), "'" + full + "' is already defined");
      sink_.setLast(Poisoned);
      return Poisoned;
    }
    if (std::find(active_.begin(), active_.end(), &b) != active_.end()) {
      diag_.error(callLoc,
                  "block '" + b.name + "' calls itself" +
                      (active_.back() == &b ? "" : " through '" + active_.back()->name + "'"));
      return fail(s, sc, full);
    }
    if (active_.size() >= MaxInstanceDepth) {
      diag_.error(callLoc, "block instances nested too deeply (the limit is " +
                               std::to_string(MaxInstanceDepth) + ")");
      return fail(s, sc, full);
    }
    Scope inner;
    inner.block = &b;
    inner.prefix = full + ".";
    inner.inst = diag_.instance(full, callLoc);
    if (!bind(s, b, sc, inner, callLoc))
      return fail(s, sc, full);
    active_.push_back(&b);
    if (!b.params.empty() && inner.params[b.params[0].name].tensor != NoTensor)
      sink_.setLast(inner.params[b.params[0].name].tensor); // the body reads its first input
    exec(b.body, inner);
    active_.pop_back();
    ValueId result = inner.returned ? inner.result : sink_.last();
    sc.locals.insert(full.substr(sc.prefix.size()));
    sink_.alias(full, local.empty() ? callLoc : at(s.resultLoc, sc), result);
    sink_.setLast(result);
    return result;
  }

  /// A call that made no instance: its name stands for a failed layer.
  ValueId fail(const AstStmt &s, Scope &sc, const std::string &full = "") {
    if (!full.empty()) {
      sc.locals.insert(full.substr(sc.prefix.size()));
      sink_.alias(full, at(s.opLoc, sc), Poisoned);
    }
    sink_.setLast(Poisoned);
    return Poisoned;
  }

  /// Binds the call's arguments to `b`'s parameters in `inner`, defaults last
  /// (they may use the parameters before them). False after an error.
  bool bind(const AstStmt &s, const AstBlock &b, Scope &sc, Scope &inner, SourceLoc callLoc) {
    bool ok = true;
    size_t positional = 0;
    std::set<std::string> suggested;
    std::vector<std::string> names;
    for (const AstParam &p : b.params)
      names.push_back(p.name);
    for (const AstArg &a : s.args) {
      std::string param = a.name;
      AstValue v;
      if (a.name.empty()) {
        if (positional >= b.params.size()) {
          diag_.error(at(a.loc, sc), "too many arguments for block '" + b.name +
                                         "' (its parameters: " + joined(names) + ")");
          ok = false;
          continue;
        }
        param = b.params[positional++].name;
        const bool flag = a.value.kind == AstValue::Ident && truth(word(a.value.s, {}));
        v = flag ? eval(a.value, sc) : input(a.value, sc); // true and false are values
        if (!flag && v.kind == AstValue::Ident && !sink_.lookup(v.s)) {
          diag_.error(v.loc, "unknown name '" + v.s + "'" + suggest(v.s, sink_.names()));
          v = ref(Poisoned, v.loc);
        }
      } else if (std::find(names.begin(), names.end(), a.name) == names.end()) {
        std::string hint = suggest(a.name, names);
        diag_.error(at(a.loc, sc), "unknown argument '" + a.name + "' for block '" + b.name +
                                       "' (expected " + joined(names) + ")" + hint);
        for (const std::string &n : names) // its "needs" would say it again
          if (hint.find("'" + n + "'") != std::string::npos)
            suggested.insert(n);
        ok = false;
        continue;
      } else {
        v = eval(a.value, sc);
      }
      if (inner.params.count(param)) {
        diag_.error(at(a.loc, sc), "argument '" + param + "' given twice");
        ok = false;
        continue;
      }
      ValueId t = tensorOf(v, sc);
      inner.params[param] = {t == NoTensor ? v : ref(t, v.loc), t};
    }
    // A call without inputs passes the previous result, as an op call does.
    if (positional == 0 && !b.params.empty() && !b.params[0].hasDefault &&
        !inner.params.count(b.params[0].name))
      inner.params[b.params[0].name] = {ref(sink_.last(), callLoc), sink_.last()};
    for (const AstParam &p : b.params) {
      if (inner.params.count(p.name))
        continue;
      if (!p.hasDefault) {
        if (!suggested.count(p.name))
          diag_.error(callLoc, "block '" + b.name + "' needs '" + p.name + "='");
        ok = false;
        continue;
      }
      AstValue v = eval(p.def, inner);
      inner.params[p.name] = {v, NoTensor};
    }
    return ok;
  }

  /// `text` with its {holes} filled in: each an integer of at least 0.
  std::optional<std::string> name(const std::string &text, SourceLoc loc, Scope &sc) {
    std::string out;
    size_t from = 0;
    for (size_t open; (open = text.find('{', from)) != std::string::npos;) {
      size_t close = text.find('}', open);
      if (close == std::string::npos) // the lexer pairs them; a name built otherwise has none
        break;
      Diag scratch("", ""); // its syntax errors were reported by the parser
      std::optional<AstValue> e = parseHole(text.substr(open + 1, close - open - 1),
                                            {loc.line, loc.col + (int)(open + 1)}, scratch);
      if (!e)
        return std::nullopt;
      AstValue v = eval(*e, sc);
      if (v.kind != AstValue::Int || v.i < 0) {
        if (v.kind != AstValue::Invalid)
          diag_.error(v.loc, "a name's {...} must be an integer of at least 0, got " + shown(v));
        return std::nullopt;
      }
      out += text.substr(from, open - from) + std::to_string(v.i);
      from = close + 1;
    }
    return out + text.substr(from);
  }

  /// A value: numbers, words (true and false too), tuples, layers (Ref).
  AstValue eval(const AstValue &v, Scope &sc) {
    AstValue r = v;
    r.loc = at(v.loc, sc);
    switch (v.kind) {
    case AstValue::Int:
    case AstValue::Float:
    case AstValue::Invalid:
    case AstValue::Ref:
      return r;
    case AstValue::Call: // a parser's positional argument only, which input() takes
      CNNC_ASSERT(false, "a call as a value");
      return r;
    case AstValue::Ident: {
      std::optional<std::string> n = name(v.s, v.loc, sc);
      if (!n)
        return invalid(r.loc);
      if (auto p = sc.params.find(*n); p != sc.params.end()) {
        if (p->second.tensor == Poisoned) // a failed layer, already reported
          return invalid(r.loc);
        AstValue b = p->second.value;
        b.loc = r.loc; // errors about it point here, in the body
        return b;
      }
      if (auto i = sc.vars.find(*n); i != sc.vars.end()) {
        r.kind = AstValue::Int;
        r.i = i->second;
        return r;
      }
      r.s = *n;
      return r;
    }
    case AstValue::Tuple:
      for (AstValue &e : r.elems)
        e = eval(e, sc);
      return r;
    case AstValue::Unary:
      return unary(r, eval(v.elems[0], sc));
    case AstValue::Binary:
      return binary(r, eval(v.elems[0], sc), eval(v.elems[1], sc));
    }
    return r;
  }

  static AstValue number(AstValue v) { // (x) in arithmetic is x
    while (v.kind == AstValue::Tuple && v.elems.size() == 1)
      v = AstValue(v.elems[0]);
    return v;
  }
  static bool isNumber(const AstValue &v) {
    return v.kind == AstValue::Int || v.kind == AstValue::Float;
  }
  static double real(const AstValue &v) { return v.kind == AstValue::Int ? (double)v.i : v.f; }

  AstValue unary(const AstValue &op, AstValue x) {
    x = number(x);
    if (x.kind == AstValue::Invalid)
      return invalid(op.loc);
    if (op.s == "not") {
      if (std::optional<bool> b = truth(x))
        return word(*b ? "false" : "true", op.loc);
      return mistake(op, x, "true or false");
    }
    if (x.kind == AstValue::Int) {
      if (x.i == INT64_MIN)
        return overflow(op);
      x.i = -x.i;
      return x;
    }
    if (x.kind == AstValue::Float) {
      x.f = -x.f;
      return x;
    }
    return mistake(op, x, "a number");
  }

  /// An operator's operand of the wrong kind.
  AstValue mistake(const AstValue &op, const AstValue &x, const std::string &wanted) {
    diag_.error(op.loc, "'" + op.s + "' needs " + wanted + ", got " + shown(x));
    return invalid(op.loc);
  }
  AstValue overflow(const AstValue &op) {
    diag_.error(op.loc, "integer overflow in '" + op.s + "'");
    return invalid(op.loc);
  }

  AstValue binary(const AstValue &op, AstValue a, AstValue b) {
    a = number(a), b = number(b);
    if (a.kind == AstValue::Invalid || b.kind == AstValue::Invalid)
      return invalid(op.loc);
    const std::string &o = op.s;
    if (o == "and" || o == "or") {
      std::optional<bool> x = truth(a), y = truth(b);
      if (!x || !y)
        return mistake(op, x ? b : a, "true or false");
      return word((o == "and" ? *x && *y : *x || *y) ? "true" : "false", op.loc);
    }
    if (o == "==" || o == "!=") {
      bool same;
      if (isNumber(a) && isNumber(b))
        same = real(a) == real(b);
      else if (a.kind == AstValue::Ident && b.kind == AstValue::Ident)
        same = a.s == b.s;
      else if (a.kind != AstValue::Tuple && b.kind != AstValue::Tuple)
        same = false; // a number is not a word (Python's 1 == "a")
      else
        return mistake(op, a.kind == AstValue::Tuple ? a : b, "numbers or words");
      return word(same == (o == "==") ? "true" : "false", op.loc);
    }
    if (!isNumber(a) || !isNumber(b))
      return mistake(op, isNumber(a) ? b : a, "numbers");
    if (o == "<" || o == "<=" || o == ">" || o == ">=") {
      double x = real(a), y = real(b);
      bool r = o == "<" ? x < y : o == "<=" ? x <= y : o == ">" ? x > y : x >= y;
      return word(r ? "true" : "false", op.loc);
    }
    return arithmetic(op, a, b);
  }

  AstValue arithmetic(const AstValue &op, const AstValue &a, const AstValue &b) {
    const char o = op.s[0];
    AstValue r;
    r.loc = op.loc;
    if (o == '/' && (b.kind == AstValue::Int ? b.i == 0 : b.f == 0.0)) {
      diag_.error(op.loc, "division by zero");
      return invalid(op.loc);
    }
    if (a.kind == AstValue::Float || b.kind == AstValue::Float) {
      double x = real(a), y = real(b);
      r.kind = AstValue::Float;
      r.f = o == '+' ? x + y : o == '-' ? x - y : o == '*' ? x * y : x / y;
      return r;
    }
    r.kind = AstValue::Int;
    int64_t x = a.i, y = b.i;
    bool overflows = o == '+'   ? __builtin_add_overflow(x, y, &r.i)
                     : o == '-' ? __builtin_sub_overflow(x, y, &r.i)
                     : o == '*' ? __builtin_mul_overflow(x, y, &r.i)
                                : (x == INT64_MIN && y == -1);
    if (o == '/' && !overflows) // rounding down, as Python's //
      r.i = x / y - ((x % y != 0) && ((x < 0) != (y < 0)));
    return overflows ? overflow(op) : r;
  }

  LayerSink &sink_;
  Diag &diag_;
  std::map<std::string, const AstBlock *> blocks_;
  std::vector<const AstBlock *> active_; // the instances being expanded, outermost first
  int64_t steps_ = 0;
  int loops_ = 0; // for loops running
  bool stopped_ = false;
};

} // namespace

void expand(const AstModule &m, LayerSink &sink, Diag &diag) {
  Expander(m, sink, diag).run(m.stmts);
}

} // namespace cnnc

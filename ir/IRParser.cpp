// ir/IRParser.cpp - reads the text printGraph writes, so that one pass can be
// run on a given graph and its output compared (LLVM's `opt -passes=X` habit):
//
//   model NAME {
//     %1 = conv2d(%0) {name=c, filters=8, kernel=[3,3], ...} : f32[6, 6, 8]  # absorbed: r (relu)
//     output %1
//   }
//
// Attributes are read as Ops.def declares them, the node fields (layout,
// offset, scratch, border) as the printer writes them. Ids keep their
// numbers: the gaps the dead nodes left become dead nodes again. Blank lines
// and lines that start with '#' or '//' are comments. A node named "x/relu"
// is an implicit activation (only the front end makes names with '/').
// Errors go to the Diag with their line and column.
#include "ir/IR.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

namespace cnnc {

namespace {

/// "a, [b, c], {d=e}" split at its top-level commas, with each item's column.
std::vector<std::pair<std::string, int>> splitTop(const std::string &s, int col0) {
  std::vector<std::pair<std::string, int>> items;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    char c = i < s.size() ? s[i] : ',';
    depth += (c == '[' || c == '{' || c == '(') - (c == ']' || c == '}' || c == ')');
    if ((c == ',' && depth == 0) || i == s.size()) { // unbalanced brackets end at the end
      size_t b = s.find_first_not_of(' ', start);
      if (b < i)
        items.push_back({s.substr(b, s.find_last_not_of(' ', i - 1) + 1 - b), col0 + (int)b});
      start = i + 1;
    }
  }
  return items;
}

bool integer(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 18)
    return false;
  char *end;
  out = std::strtoll(s.c_str(), &end, 10);
  return *end == 0;
}

bool number(const std::string &s, double &out) {
  if (s.empty())
    return false;
  char *end;
  out = std::strtod(s.c_str(), &end);
  return *end == 0;
}

/// "[a,b,...]" (or "name[a,b,...]" when `prefix` is given) into n numbers.
bool ints(std::string s, const std::string &prefix, std::vector<int64_t> &out, size_t n) {
  if (s.compare(0, prefix.size(), prefix) != 0)
    return false;
  s = s.substr(prefix.size());
  if (s.size() < 2 || s.front() != '[' || s.back() != ']')
    return false;
  out.clear();
  for (auto &[item, col] : splitTop(s.substr(1, s.size() - 2), 0)) {
    int64_t v;
    if (!integer(item, v))
      return false;
    out.push_back(v);
  }
  return out.size() == n;
}

bool padding(const std::string &s, Padding &p) {
  std::vector<int64_t> v;
  if (s == "valid")
    return p = {}, true;
  bool same = s.compare(0, 4, "same") == 0;
  if (!ints(s, same ? "same" : "", v, 4))
    return false;
  p = {same ? PadMode::Same : PadMode::Explicit, (int)v[0], (int)v[1], (int)v[2], (int)v[3]};
  return true;
}

/// "relu", "clip(0, 6)", "leaky_relu(0.3)", "gelu(tanh)".
bool activation(const std::string &s, ActFn &f) {
  size_t open = s.find('(');
  std::optional<Act> a = parseAct(s.substr(0, open));
  if (!a)
    return false;
  f = ActFn(*a);
  const ActInfo &i = actInfo(*a);
  if (open == std::string::npos)
    return !i.param[0];
  if (s.back() != ')' || !i.param[0])
    return false;
  std::string inside = s.substr(open + 1, s.size() - open - 2);
  const std::vector<std::string> &words = actWords(*a);
  if (!words.empty()) { // gelu(tanh): the word's index
    auto w = std::find(words.begin(), words.end(), inside);
    f.lo = (float)(w - words.begin());
    return w != words.end();
  }
  auto params = splitTop(inside, 0);
  double v[2] = {0, 0};
  if (params.size() != (i.param[1] ? 2u : 1u))
    return false;
  for (size_t k = 0; k < params.size(); ++k)
    if (!number(params[k].first, v[k]))
      return false;
  f.lo = (float)v[0], f.hi = (float)v[1];
  return true;
}

/// A layer name as the front end makes them: words joined by dots, and '/'
/// in an implicit activation's ("conv2d/relu").
bool isName(const std::string &s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum((unsigned char)c) || c == '_' || c == '.' || c == '/';
  });
}

/// "{k=v, k=v}" into a map.
bool record(const std::string &s, std::map<std::string, std::string> &out) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}')
    return false;
  for (auto &[item, col] : splitTop(s.substr(1, s.size() - 2), 0)) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      return false;
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return true;
}

/// Reads an attribute struct's fields from "key=value" texts (AttrSpec
/// names); a field that is not there keeps its default.
struct FieldReader {
  std::map<std::string, std::pair<std::string, int>> &values; // key -> (text, column)
  Diag &diag;
  int line;

  const std::string *take(const AttrSpec &s, int &col) {
    auto it = values.find(s.name);
    if (it == values.end())
      return nullptr;
    col = it->second.second;
    const std::string *v = &it->second.first;
    taken.push_back(it->first);
    return v;
  }
  template <class T> void operator()(const AttrSpec &s, T &field, const T &) {
    int col;
    if (const std::string *v = take(s, col); v && !read(*v, field))
      diag.error({line, col}, std::string("bad value '") + *v + "' for '" + s.name + "'");
  }
  void operator()(const AttrSpec &s, int &h, int &w, int, int) {
    int col;
    std::vector<int64_t> v;
    const std::string *text = take(s, col);
    if (text && !ints(*text, "", v, 2))
      diag.error({line, col}, std::string("bad value '") + *text + "' for '" + s.name + "'");
    else if (text)
      h = (int)v[0], w = (int)v[1];
  }
  static bool read(const std::string &s, int &v) {
    int64_t x;
    return integer(s, x) && x >= INT32_MIN && x <= INT32_MAX && (v = (int)x, true);
  }
  static bool read(const std::string &s, double &v) { return number(s, v); }
  static bool read(const std::string &s, bool &v) {
    return (s == "true" || s == "false") && (v = s == "true", true);
  }
  static bool read(const std::string &s, Padding &p) { return padding(s, p); }
  static bool read(const std::string &s, ActFn &f) { return activation(s, f); }
  template <WordEnum T> static bool read(const std::string &s, T &v) {
    std::optional<T> w = parseWord<T>(s);
    return w && (v = *w, true);
  }
  static bool read(const std::string &s, FoldedBN &b) {
    std::map<std::string, std::string> r;
    return record(s, r) && r.size() == 2 && r.count("name") && number(r["eps"], b.eps) &&
           (b.name = r["name"], true);
  }
  static bool read(const std::string &s, TilePlan &t) {
    std::map<std::string, std::string> r;
    return record(s, r) && r.size() == 2 && read(r["rows"], t.rows) &&
           read(r["cblocks"], t.cblocks);
  }
  std::vector<std::string> taken;
};

class Parser {
public:
  Parser(Diag &diag, Graph &g) : diag_(diag), g_(g) {}

  bool run() {
    const std::string &src = diag_.source();
    size_t pos = 0;
    for (int line = 1; pos < src.size(); ++line) {
      size_t end = std::min(src.find('\n', pos), src.size());
      statement(src.substr(pos, end - pos), line);
      pos = end + 1;
    }
    if (state_ != Done)
      diag_.error({}, "the IR ends before its closing '}'");
    if (diag_.hasErrors())
      return false;
    // The arena's size is not printed: its top is the highest buffer's or scratch's end.
    for (const Node &n : g_.nodes) {
      if (!n.dead && n.offset >= 0)
        g_.arenaFloats = std::max(g_.arenaFloats, n.offset + bufferFloats(n));
      if (!n.dead && n.scratch >= 0 && !n.inputs.empty() && n.inputs[0] >= 0 &&
          n.inputs[0] < (ValueId)g_.nodes.size() && g_.nodes[n.inputs[0]].type.dims.size() == 3)
        g_.arenaFloats = std::max(g_.arenaFloats, n.scratch + scratchFloats(g_, n));
    }
    if (std::string broken = verify(g_); !broken.empty())
      diag_.error({}, "the IR is not a valid graph: " + broken);
    return !diag_.hasErrors();
  }

private:
  enum State { Header, Body, Done };

  void statement(std::string text, int line) {
    size_t b = text.find_first_not_of(" \t\r");
    if (b == std::string::npos || text[b] == '#' || text.compare(b, 2, "//") == 0)
      return;
    text = text.substr(0, text.find_last_not_of(" \t\r") + 1);
    SourceLoc loc{line, (int)b + 1};
    if (state_ == Header) {
      if (text.compare(b, 6, "model ") != 0 || text.back() != '{')
        return diag_.error(loc, "expected 'model NAME {'");
      g_.name = text.substr(b + 6, text.size() - b - 7);
      g_.name = g_.name.substr(0, g_.name.find_last_not_of(' ') + 1);
      state_ = Body;
    } else if (state_ == Done) {
      diag_.error(loc, "text after the model's closing '}'");
    } else if (text.compare(b, 1, "}") == 0 && b + 1 == text.size()) {
      state_ = Done;
      if (!sawOutput_)
        diag_.error(loc, "the model has no 'output %N' line");
    } else if (text.compare(b, 7, "output ") == 0) {
      if (sawOutput_)
        return diag_.error(loc, "a second 'output' line (list every output in one: output %1, %2)");
      sawOutput_ = true;
      for (auto &[out, col] : splitTop(text.substr(b + 7), (int)b + 8))
        g_.outputs.push_back(value(out, {line, col}));
    } else {
      node(text, line, b);
    }
  }

  /// "%N" of a defined node; -1 after an error.
  ValueId value(const std::string &s, SourceLoc loc) {
    int64_t id;
    if (s.size() < 2 || s[0] != '%' || !integer(s.substr(1), id) || id < 0 ||
        id >= (int64_t)g_.nodes.size() || g_.nodes[id].dead) {
      diag_.error(loc, "'" + s + "' is not a defined value");
      return -1;
    }
    return (ValueId)id;
  }

  void node(const std::string &text, int line, size_t b) {
    // %ID = OP(INPUTS) {ATTRS} : TYPE  [# absorbed: ...]
    size_t eq = text.find(" = "), open = text.find('(', eq), close = text.find(") {", open),
           brace = text.find("} : ", close);
    int64_t id;
    if (eq == std::string::npos || open == std::string::npos || close == std::string::npos ||
        brace == std::string::npos || text[b] != '%' ||
        !integer(text.substr(b + 1, eq - b - 1), id))
      return diag_.error({line, (int)b + 1}, "expected '%ID = op(inputs) {attributes} : type'");
    if (id < (int64_t)g_.nodes.size() || id > 1000000)
      return diag_.error({line, (int)b + 1}, "ids must increase from line to line");
    size_t gap = g_.nodes.size();
    g_.nodes.resize(id + 1);
    for (size_t k = gap; k < (size_t)id; ++k)
      g_.nodes[k].dead = true;
    Node &n = g_.nodes[id];
    n.loc = {line, (int)b + 1};
    std::optional<OpKind> op = parseOp(text.substr(eq + 3, open - eq - 3));
    if (!op)
      return diag_.error({line, (int)eq + 4},
                         "unknown op '" + text.substr(eq + 3, open - eq - 3) + "'");
    n.op = *op;
    n.attrs = defaultAttrs(n.op);
    for (auto &[in, col] : splitTop(text.substr(open + 1, close - open - 1), (int)open + 2))
      n.inputs.push_back(value(in, {line, col}));
    attributes(n, text.substr(close + 3, brace - close - 3), line, (int)close + 4);
    std::string rest = text.substr(brace + 4);
    size_t hash = rest.find("  # absorbed: ");
    type(n, rest.substr(0, hash), {line, (int)brace + 5});
    if (hash != std::string::npos)
      absorbed(n, rest.substr(hash + 14), line, (int)(brace + 4 + hash + 15));
    if (n.op == OpKind::Input)
      g_.inputs.push_back((ValueId)id);
    n.implicit = n.name.find('/') != std::string::npos;
  }

  void attributes(Node &n, const std::string &text, int line, int col0) {
    std::map<std::string, std::pair<std::string, int>> values;
    for (auto &[item, col] : splitTop(text, col0)) {
      size_t eq = item.find('=');
      std::string key = item.substr(0, eq), v = eq == std::string::npos ? "" : item.substr(eq + 1);
      if (!values.emplace(key, std::pair{v, col}).second)
        diag_.error({line, col}, "attribute '" + key + "' given twice");
    }
    FieldReader r{values, diag_, line};
    std::visit([&](auto &a) { a.visit(a, r); }, n.attrs);
    for (auto &[key, v] : values) {
      if (std::find(r.taken.begin(), r.taken.end(), key) != r.taken.end())
        continue;
      static const std::string fields[] = {"name", "layout", "offset", "scratch", "border"};
      if (nodeField(n, key, v.first))
        continue;
      if (std::find(std::begin(fields), std::end(fields), key) != std::end(fields))
        diag_.error({line, v.second}, "bad value '" + v.first + "' for '" + key + "'");
      else
        diag_.error({line, v.second}, "unknown attribute '" + key + "' for " + opName(n.op));
    }
    if (!values.count("name"))
      diag_.error({line, col0}, "a node needs name=");
  }

  /// The fields every node has (printGraph writes them after the attributes).
  bool nodeField(Node &n, const std::string &key, const std::string &v) {
    int64_t x = 0;
    if (key == "name")
      return n.name = v, isName(v);
    if (key == "layout")
      return (n.type.layout = v == "HWC" ? Layout::HWC
                              : v == "C" ? Layout::Vector
                                         : Layout::Unknown) != Layout::Unknown;
    if (key == "offset" || key == "scratch")
      return integer(v, x) && x >= 0 && ((key == "offset" ? n.offset : n.scratch) = x, true);
    if (key == "border")
      return padding(v, n.border);
    return false;
  }

  void type(Node &n, const std::string &t, SourceLoc loc) {
    Layout layout = n.type.layout;
    if (t == "f32[?]")
      return;
    std::vector<int64_t> dims;
    for (size_t rank = 1; rank <= 4 && dims.empty(); ++rank)
      ints(t, "f32", dims, rank);
    for (int64_t d : dims)
      if (d < 1)
        dims.clear();
    if (dims.empty())
      return diag_.error(loc, "expected a type f32[d, ...] or f32[?], got '" + t + "'");
    n.type.dims = dims;
    n.type.layout = layout;
  }

  void absorbed(Node &n, const std::string &text, int line, int col0) {
    for (auto &[item, col] : splitTop(text, col0)) {
      Absorbed a;
      size_t open = item.find(" (");
      std::string kind = open == std::string::npos ? item : item.substr(open + 2);
      if (open != std::string::npos && !kind.empty() && kind.back() == ')' &&
          isName(item.substr(0, open)))
        kind.pop_back(), a.name = item.substr(0, open);
      else
        a.implicit = true, a.name = n.name + "/" + kind.substr(0, kind.find('('));
      std::optional<OpKind> op = parseOp(kind);
      if (op && *op != OpKind::Activation)
        a.op = *op;
      else if (!activation(kind, a.act))
        diag_.error({line, col}, "an absorbed entry is 'name (op)', 'name (activation)' or an "
                                 "activation, got '" +
                                     item + "'");
      n.absorbed.push_back(a);
    }
  }

  Diag &diag_;
  Graph &g_;
  State state_ = Header;
  bool sawOutput_ = false;
};

} // namespace

bool parseGraph(Diag &diag, Graph &out) { return Parser(diag, out).run(); }

} // namespace cnnc

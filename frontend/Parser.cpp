// frontend/Parser.cpp - recursive descent over the token list.
//
//   file  := 'model' IDENT '{' (block | stmt)* '}'
//   block := 'block' IDENT '(' [param (',' param)*] ')' body      param := IDENT ['=' expr]
//   body  := '{' stmt* '}'
//   stmt  := 'input' IDENT ':' IDENT '[' expr (',' expr)* ']'
//          | 'output' IDENT (',' IDENT)*
//          | 'if' expr body ['else' (body | if)]
//          | 'for' IDENT 'in' 'range' '(' expr [',' expr] ')' body
//          | 'return' arg                                          (in a block)
//          | [names '='] call                                      (';' optional)
//   call  := IDENT '(' [arg (',' arg)*] ')'
//   names := name (',' name)*      name := IDENT | INT     (several: split's results)
//   arg   := IDENT '=' expr | call | expr                  (positional: an input)
//   expr  := or;  or := and ('or' and)*;  and := not ('and' not)*;  not := 'not' not | cmp
//   cmp   := sum [('==' | '!=' | '<' | '<=' | '>' | '>=') sum]
//   sum   := prod (('+' | '-') prod)*;  prod := unary (('*' | '/') unary)*
//   unary := '-' unary | INT | FLOAT | IDENT | '(' expr (',' expr)* ')'
// An IDENT may hold {expr} holes (layer1.{i}), parsed by parseHole.
#include "frontend/Ast.h"
#include "frontend/Lexer.h"

namespace cnnc {
namespace {

constexpr int MaxTupleDepth = 8;
constexpr int MaxBodyDepth = 16;      // if/for/block bodies inside each other
constexpr int MaxExprOperators = 256; // per expression: evaluation recurses on them

struct SyntaxError {};
struct Deeper { // one body deeper while it lives, also when a syntax error unwinds
  int &depth;
  explicit Deeper(int &d) : depth(++d) {}
  ~Deeper() { --depth; }
};

class Parser {
public:
  Parser(std::vector<Token> toks, Diag &diag) : toks_(std::move(toks)), diag_(diag) {}

  AstModule parseFile() {
    AstModule m;
    try {
      m.loc = peek().loc;
      expectIdent("model", "a .cnn file starts with 'model NAME {'");
      m.name = expectName("a model name");
      expect('{');
    } catch (SyntaxError &) {
      return m;
    }
    while (!peek().is('}') && peek().kind != Tok::End) {
      size_t before = pos_;
      try {
        if (peek().isIdent("block") && peek(1).kind == Tok::Ident && !peek(1).is('('))
          m.blocks.push_back(parseBlock());
        else
          parseInto(m.stmts);
      } catch (SyntaxError &) {
        recover(before);
      }
    }
    if (peek().kind == Tok::End) {
      if (!unclosed_) // the innermost unclosed body is the one to report
        diag_.error(missing().loc,
                    "expected '}' to close model '" + m.name + "' before end of file");
      return m;
    }
    next();
    if (peek().kind != Tok::End)
      diag_.error(peek().loc, "unexpected " + describe(peek()) + " after the model's closing '}'");
    return m;
  }

private:
  const Token &peek(int k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token &next() {
    const Token &t = peek();
    if (pos_ < toks_.size() - 1)
      ++pos_;
    return t;
  }
  [[noreturn]] void fail(const Token &t, const std::string &msg) {
    diag_.error(t.loc, msg);
    throw SyntaxError{};
  }
  // Where a missing token belongs: right after the previous token when the
  // next one is on a later line (clang's rule), else at the next token.
  Token missing() const {
    Token at = peek();
    if (pos_ > 0 && toks_[pos_ - 1].loc.line < at.loc.line) {
      at.loc = toks_[pos_ - 1].loc;
      at.loc.col += (int)toks_[pos_ - 1].text.size();
    }
    return at;
  }
  void expect(char c) {
    if (!peek().is(c))
      fail(missing(), std::string("expected '") + c + "', found " + describe(peek()));
    next();
  }
  void expectIdent(const char *word, const std::string &why) {
    if (!peek().isIdent(word))
      fail(peek(),
           "expected '" + std::string(word) + "', found " + describe(peek()) + " (" + why + ")");
    next();
  }
  std::string expectName(const std::string &what) {
    if (peek().kind != Tok::Ident)
      fail(peek(), "expected " + what + ", found " + describe(peek()));
    return next().text;
  }
  // Skip to the first token on a later line than the failed statement's
  // error, or to the closing '}', always making progress.
  // A body opened on that line ('if c {', 'block f(x) {') is skipped whole, with its
  // 'else', so its statements do not run into the enclosing list.
  void recover(size_t before) {
    if (pos_ == before)
      next();
    int line = toks_[pos_ > 0 ? pos_ - 1 : 0].loc.line;
    int depth = 0; // bodies open
    for (size_t k = before; k < pos_; ++k)
      depth = std::max(0, depth + toks_[k].is('{') - toks_[k].is('}'));
    while (peek().kind != Tok::End) {
      if (peek().is('}') && depth == 0)
        break;
      if (depth == 0 && peek().loc.line > line)
        break;
      depth += peek().is('{') - peek().is('}');
      bool closed = peek().is('}') && depth == 0;
      next();
      if (closed && peek().isIdent("else"))
        line = peek().loc.line;
    }
  }

  /// Parses a statement onto `list`; nothing may follow a return in its list.
  void parseInto(std::vector<AstStmt> &list) {
    if (!list.empty() && list.back().kind == AstStmt::Return) {
      const Token at = peek();
      list.push_back(parseStmt());
      fail(at, "nothing may follow 'return' in its block");
    }
    list.push_back(parseStmt());
  }

  AstBlock parseBlock() {
    AstBlock b;
    b.loc = next().loc;   // 'block'
    b.name = next().text; // an identifier: parseFile looked
    expect('(');
    while (!peek().is(')')) {
      AstParam p;
      p.loc = peek().loc;
      p.name = expectName("a parameter name");
      if (peek().is('=')) {
        next();
        p.hasDefault = true;
        p.def = parseExpr();
      }
      b.params.push_back(p);
      if (!peek().is(','))
        break;
      next();
    }
    expect(')');
    inBlock_ = true;
    struct Leave {
      bool &flag;
      ~Leave() { flag = false; }
    } leave{inBlock_};
    b.body = parseBody("block '" + b.name + "'");
    return b;
  }

  /// '{' statements '}', each statement's errors recovered from as at the top level.
  std::vector<AstStmt> parseBody(const std::string &what) {
    if (depth_ >= MaxBodyDepth)
      fail(peek(), "blocks, 'if' and 'for' nested too deeply (the limit is " +
                       std::to_string(MaxBodyDepth) + ")");
    expect('{');
    std::vector<AstStmt> body;
    {
      Deeper d{depth_};
      while (!peek().is('}') && peek().kind != Tok::End) {
        size_t before = pos_;
        try {
          parseInto(body);
        } catch (SyntaxError &) {
          recover(before);
        }
      }
    }
    if (peek().kind == Tok::End && !unclosed_) {
      unclosed_ = true;
      fail(missing(), "expected '}' to close " + what + " before end of file");
    }
    if (peek().kind == Tok::End)
      throw SyntaxError{};
    next();
    return body;
  }

  AstStmt parseStmt() {
    AstStmt s;
    s.loc = peek().loc;
    const bool keyword = peek().kind == Tok::Ident && !peek(1).is('=') && !peek(1).is(',');
    if (keyword && peek().isIdent("if")) {
      next();
      s.kind = AstStmt::If;
      s.args.push_back({"", peek().loc, parseExpr()});
      s.body = parseBody("'if'");
      if (peek().isIdent("else")) {
        next();
        if (peek().isIdent("if")) { // else if: one level deeper, as its own body would be
          if (depth_ >= MaxBodyDepth)
            fail(peek(), "blocks, 'if' and 'for' nested too deeply (the limit is " +
                             std::to_string(MaxBodyDepth) + ")");
          Deeper d{depth_};
          s.orElse.push_back(parseStmt());
        } else
          s.orElse = parseBody("'else'");
      }
      return s;
    }
    if (keyword && peek().isIdent("for") && peek(1).kind == Tok::Ident) {
      next();
      s.kind = AstStmt::For;
      s.resultLoc = peek().loc;
      s.result = next().text;
      if (!peek().isIdent("in") || !peek(1).isIdent("range")) {
        const Token bad = peek().isIdent("in") ? peek(1) : peek();
        fail(bad, "expected 'in range(...)' after the loop variable, found " + describe(bad) +
                      " (for NAME in range(A, B))");
      }
      next(), next();
      expect('(');
      do
        s.args.push_back({"", peek().loc, parseExpr()});
      while (peek().is(',') && (next(), true));
      expect(')');
      if (s.args.size() > 2)
        fail(toks_[pos_ - 1], "range takes one or two bounds: range(B) or range(A, B)");
      s.body = parseBody("'for'");
      return s;
    }
    if (keyword && peek().isIdent("return")) {
      if (!inBlock_)
        fail(peek(), "'return' gives a block's result: it belongs in a block's body");
      next();
      s.kind = AstStmt::Return;
      s.args.push_back(parseArg());
      if (!s.args[0].name.empty()) {
        Token at = peek();
        at.loc = s.args[0].loc;
        fail(at, "return takes a name or a call, not an attribute");
      }
      if (peek().is(';'))
        next();
      return s;
    }
    if (peek().isIdent("block") && peek(1).kind == Tok::Ident)
      fail(peek(), "blocks are defined at the model's top level, not inside another block or "
                   "'if'/'for'");
    if (inBlock_ && (peek().isIdent("input") || peek().isIdent("output")) &&
        peek(1).kind == Tok::Ident && !peek(1).is('('))
      fail(peek(), "'" + peek().text +
                       "' statements belong at the model's top level, not in a "
                       "block");
    if (peek().isIdent("input") && peek(1).kind == Tok::Ident) {
      next();
      s.kind = AstStmt::Input;
      s.resultLoc = peek().loc;
      s.result = next().text;
      expect(':');
      s.dtype = expectName("an element type such as f32");
      s.opLoc = toks_[pos_ - 1].loc;
      expect('[');
      do
        s.dims.push_back(parseExpr());
      while (peek().is(',') && (next(), true));
      expect(']');
    } else if (peek().isIdent("output") && peek(1).kind == Tok::Ident && !peek(1).is('(')) {
      next();
      s.kind = AstStmt::Output;
      do { // each name as a positional argument
        AstArg a;
        a.loc = a.value.loc = peek().loc;
        a.value.kind = AstValue::Ident;
        a.value.s = expectName("an output name");
        checkHoles(a.value);
        s.args.push_back(a);
      } while (peek().is(',') && (next(), true));
    } else {
      // A number names a layer too: a block's "0 = conv2d(...)" is PyTorch's nn.Sequential.
      auto isName = [&](int k) { return peek(k).kind == Tok::Ident || peek(k).kind == Tok::Int; };
      if (isName(0) && (peek(1).is('=') || peek(1).is(','))) {
        s.resultLoc = peek().loc;
        s.result = peek().text;
        s.results.emplace_back(next().text, s.resultLoc);
        while (peek().is(',')) { // a, b = split(...)
          next();
          SourceLoc at = peek().loc;
          if (peek().kind == Tok::Int)
            s.results.emplace_back(next().text, at);
          else
            s.results.emplace_back(expectName("a result name after ','"), at);
        }
        for (const auto &[name, at] : s.results)
          checkHoles(name, at);
        expect('=');
      }
      parseCall(s, 0);
    }
    if (peek().is(';'))
      next();
    return s;
  }

  void parseCall(AstStmt &s, int depth) {
    s.opLoc = peek().loc;
    s.op = expectName("a statement (an op such as conv2d(...), 'input' or 'output')");
    if (!peek().is('('))
      fail(missing(), "expected '(' after '" + s.op + "', found " + describe(peek()));
    next();
    if (!peek().is(')')) {
      do
        s.args.push_back(parseArg(depth));
      while (peek().is(',') && (next(), true));
    }
    expect(')');
  }

  AstArg parseArg(int depth = 0) {
    AstArg a;
    a.loc = peek().loc;
    if (peek().kind == Tok::Ident && peek(1).is('=')) {
      a.name = next().text;
      next();
      a.value = parseExpr();
    } else if (peek().kind == Tok::Ident && peek(1).is('(')) { // relu(add(a, b))
      if (depth >= MaxTupleDepth)
        fail(peek(),
             "calls nested too deeply (the limit is " + std::to_string(MaxTupleDepth) + ")");
      auto call = std::make_shared<AstStmt>();
      call->loc = peek().loc;
      parseCall(*call, depth + 1);
      a.value.kind = AstValue::Call;
      a.value.loc = a.loc;
      a.value.call = call;
    } else {
      a.value = parseExpr();
    }
    return a;
  }

  // Expressions: a tree of at most MaxExprOperators operators, by precedence.
  AstValue parseExpr() {
    operators_ = 0;
    return parseBinary(0, 0);
  }
  AstValue operatorNode(const std::string &op, std::vector<AstValue> operands, SourceLoc at) {
    if (++operators_ > MaxExprOperators)
      fail(peek(),
           "expression too long (the limit is " + std::to_string(MaxExprOperators) + " operators)");
    AstValue v;
    v.kind = operands.size() == 1 ? AstValue::Unary : AstValue::Binary;
    v.s = op;
    v.elems = std::move(operands);
    v.loc = at;
    return v;
  }
  /// The operator of precedence `level` at the next token, if any.
  std::string binaryOp(int level) const {
    static const std::vector<std::vector<std::string>> levels = {
        {"or"}, {"and"}, {"==", "!=", "<", "<=", ">", ">="}, {"+", "-"}, {"*", "/"}};
    const Token &t = peek();
    if (t.kind != Tok::Ident && t.kind != Tok::Punct)
      return "";
    for (const std::string &op : levels[level])
      if (t.text == op)
        return op;
    return "";
  }
  AstValue parseBinary(int level, int depth) {
    if (level == 5)
      return parseUnary(depth);
    const Token &after = peek(1); // "not" before ',' or ')' is a word, not the operator
    if (level == 2 && peek().isIdent("not") && after.kind != Tok::End && !after.is(',') &&
        !after.is(')') && !after.is(']')) {
      SourceLoc at = next().loc;
      return operatorNode("not", {parseBinary(2, depth)}, at);
    }
    AstValue lhs = parseBinary(level + 1, depth);
    for (std::string op; !(op = binaryOp(level)).empty();) {
      SourceLoc at = next().loc;
      AstValue rhs = parseBinary(level + 1, depth);
      lhs = operatorNode(op, {std::move(lhs), std::move(rhs)}, at);
      if (level == 2) // a < b < c is not Python's chain here: refuse it
        break;
    }
    return lhs;
  }
  AstValue parseUnary(int depth) {
    if (peek().is('-') && peek(1).kind != Tok::Int && peek(1).kind != Tok::Float &&
        peek(1).kind != Tok::Bad) {
      SourceLoc at = next().loc;
      if (!peek().is('(') && peek().kind != Tok::Ident && !peek().is('-'))
        fail(missing(), "expected a value after '-', found " + describe(peek()));
      return operatorNode("-", {parseUnary(depth)}, at);
    }
    return parseValue(depth);
  }

  void checkHoles(const AstValue &v) {
    if (v.kind == AstValue::Ident)
      checkHoles(v.s, v.loc);
  }
  /// Each {hole} of a name parses (its errors reported once, here); expansion fills it in.
  void checkHoles(const std::string &name, SourceLoc loc) {
    for (size_t open = name.find('{'); open != std::string::npos; open = name.find('{', open + 1)) {
      size_t close = name.find('}', open);
      parseHole(name.substr(open + 1, close - open - 1),
                {loc.line, loc.col + (int)open + 1, loc.inst}, diag_);
    }
  }

  AstValue parseValue(int depth) {
    AstValue v;
    v.loc = peek().loc;
    if (depth > MaxTupleDepth)
      fail(peek(), "tuples nested too deeply");
    bool neg = false;
    if (peek().is('-')) { // a negative number; '-' before anything else is parseUnary's
      next();
      neg = true;
    }
    const Token &t = peek();
    switch (t.kind) {
    case Tok::Int:
      v.kind = AstValue::Int;
      v.i = neg ? -t.ival : t.ival;
      next();
      return v;
    case Tok::Float:
      v.kind = AstValue::Float;
      v.f = neg ? -t.fval : t.fval;
      next();
      return v;
    case Tok::Bad:
      v.kind = AstValue::Invalid;
      next();
      return v;
    case Tok::Ident:
      v.kind = AstValue::Ident;
      v.s = t.text;
      next();
      checkHoles(v);
      return v;
    case Tok::Punct:
      if (t.is('(')) {
        next();
        v.kind = AstValue::Tuple;
        do
          v.elems.push_back(parseBinary(0, depth + 1));
        while (peek().is(',') && (next(), true));
        expect(')');
        return v;
      }
      [[fallthrough]];
    case Tok::End:
      break;
    }
    fail(missing(), "expected a value (a number, a name or a tuple), found " + describe(t));
  }

public:
  /// A hole's expression, the whole token list.
  std::optional<AstValue> parseWhole() {
    try {
      AstValue v = parseExpr();
      if (peek().kind != Tok::End)
        fail(peek(), "unexpected " + describe(peek()) + " in '{...}'");
      return v;
    } catch (SyntaxError &) {
      return std::nullopt;
    }
  }

private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  Diag &diag_;
  bool inBlock_ = false;
  bool unclosed_ = false; // an unclosed body was reported: its enclosing ones are not
  int depth_ = 0;         // bodies open
  int operators_ = 0;     // in the expression being parsed
};

} // namespace

AstModule parse(const std::string &source, Diag &diag) {
  return Parser(lex(source, diag), diag).parseFile();
}

std::optional<AstValue> parseHole(const std::string &text, SourceLoc at, Diag &diag) {
  Diag scratch("",
               text); // the hole's characters were checked by the lexer: numbers may still be bad
  std::vector<Token> toks = lex(text, scratch);
  if (scratch.hasErrors()) {
    diag.error(at, "malformed number in '{" + text + "}'");
    return std::nullopt;
  }
  for (Token &t : toks)
    t.loc = {at.line, at.col + t.loc.col - 1, at.inst};
  return Parser(std::move(toks), diag).parseWhole();
}

} // namespace cnnc

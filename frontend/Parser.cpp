// frontend/Parser.cpp - recursive descent over the token list.
//
//   file  := 'model' IDENT '{' stmt* '}'
//   stmt  := 'input' IDENT ':' IDENT '[' value (',' value)* ']'
//          | 'output' IDENT (',' IDENT)*
//          | [names '='] IDENT '(' [arg (',' arg)*] ')'                   (';' optional)
//   names := IDENT (',' IDENT)*                            (several: split's results)
//   arg   := IDENT '=' value | IDENT                       (a positional input name)
//   value := ['-'] INT | ['-'] FLOAT | IDENT | '(' value (',' value)* ')'
#include "frontend/Ast.h"
#include "frontend/Lexer.h"

namespace cnnc {
namespace {

constexpr int MaxTupleDepth = 8;

struct SyntaxError {};

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
        m.stmts.push_back(parseStmt());
      } catch (SyntaxError &) {
        recover(before);
      }
    }
    if (peek().kind == Tok::End) {
      diag_.error(missing().loc, "expected '}' to close model '" + m.name + "' before end of file");
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
  void recover(size_t before) {
    if (pos_ == before)
      next();
    int line = toks_[pos_ > 0 ? pos_ - 1 : 0].loc.line;
    while (peek().kind != Tok::End && !peek().is('}') && peek().loc.line <= line)
      next();
  }

  AstStmt parseStmt() {
    AstStmt s;
    s.loc = peek().loc;
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
        s.dims.push_back(parseValue(0));
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
        s.args.push_back(a);
      } while (peek().is(',') && (next(), true));
    } else {
      if (peek().kind == Tok::Ident && (peek(1).is('=') || peek(1).is(','))) {
        s.resultLoc = peek().loc;
        s.result = peek().text;
        s.results.emplace_back(next().text, s.resultLoc);
        while (peek().is(',')) { // a, b = split(...)
          next();
          SourceLoc at = peek().loc;
          s.results.emplace_back(expectName("a result name after ','"), at);
        }
        expect('=');
      }
      s.opLoc = peek().loc;
      s.op = expectName("a statement (an op such as conv2d(...), 'input' or 'output')");
      if (!peek().is('('))
        fail(missing(), "expected '(' after '" + s.op + "', found " + describe(peek()));
      next();
      if (!peek().is(')')) {
        do
          s.args.push_back(parseArg());
        while (peek().is(',') && (next(), true));
      }
      expect(')');
    }
    if (peek().is(';'))
      next();
    return s;
  }

  AstArg parseArg() {
    AstArg a;
    a.loc = peek().loc;
    if (peek().kind == Tok::Ident && peek(1).is('=')) {
      a.name = next().text;
      next();
      a.value = parseValue(0);
    } else {
      a.value = parseValue(0);
    }
    return a;
  }

  AstValue parseValue(int depth) {
    AstValue v;
    v.loc = peek().loc;
    if (depth > MaxTupleDepth)
      fail(peek(), "tuples nested too deeply");
    bool neg = false;
    if (peek().is('-')) {
      next();
      neg = true;
      if (peek().kind != Tok::Int && peek().kind != Tok::Float && peek().kind != Tok::Bad)
        fail(missing(), "expected a number after '-', found " + describe(peek()));
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
      return v;
    case Tok::Punct:
      if (t.is('(')) {
        next();
        v.kind = AstValue::Tuple;
        do
          v.elems.push_back(parseValue(depth + 1));
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

  std::vector<Token> toks_;
  size_t pos_ = 0;
  Diag &diag_;
};

} // namespace

AstModule parse(const std::string &source, Diag &diag) {
  return Parser(lex(source, diag), diag).parseFile();
}

} // namespace cnnc

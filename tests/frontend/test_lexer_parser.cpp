// tests/frontend/test_lexer_parser.cpp - the lexer (tokens, locations,
// comments, numbers), the parser (every statement form, error recovery), the
// error cap, the builder's limits, and adversarial inputs that must fail
// quickly with an error rather than crash or hang.
#include "frontend/Ast.h"
#include "frontend/Frontend.h"
#include "frontend/Lexer.h"
#include "passes/Passes.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <random>

namespace {

using cnnc::Tok;

std::string show(const std::vector<cnnc::Token> &toks) {
  std::string s;
  for (const cnnc::Token &t : toks) {
    const char *k = t.kind == Tok::Ident   ? "id"
                    : t.kind == Tok::Int   ? "int"
                    : t.kind == Tok::Float ? "float"
                    : t.kind == Tok::Punct ? "p"
                                           : "end";
    s += std::string(k) + ":" + t.text + "@" + std::to_string(t.loc.line) + ":" +
         std::to_string(t.loc.col) + " ";
  }
  return s;
}

struct Outcome {
  bool ok = false;
  int errors = 0;
  std::string text;
  double seconds = 0;
};

/// The whole front end and pass pipeline, timed.
Outcome compile(const std::string &source) {
  auto start = std::chrono::steady_clock::now();
  Outcome o;
  cnnc::Diag diag("in.cnn", source);
  cnnc::Graph g;
  o.ok = cnnc::buildGraph(diag, g) && cnnc::runPipeline(g, diag);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  o.errors = diag.errorCount();
  o.text = diag.text();
  return o;
}

int countOf(const std::string &text, const std::string &what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1))
    ++n;
  return n;
}

std::string repeat(const std::string &s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i)
    out += s;
  return out;
}

} // namespace

TEST_CASE("lexer: tokens and their line:col", "[frontend]") {
  cnnc::Diag diag("t.cnn", "");
  auto toks =
      cnnc::lex("model m {\n  x = conv2d(filters=32, kernel=(3, 3));\n\ty: f32[-1]\n}", diag);
  CHECK_FALSE(diag.hasErrors());
  CHECK(
      show(toks) ==
      "id:model@1:1 id:m@1:7 p:{@1:9 "
      "id:x@2:3 p:=@2:5 id:conv2d@2:7 p:(@2:13 id:filters@2:14 p:=@2:21 int:32@2:22 p:,@2:24 "
      "id:kernel@2:26 p:=@2:32 p:(@2:33 int:3@2:34 p:,@2:35 int:3@2:37 p:)@2:38 p:)@2:39 p:;@2:40 "
      "id:y@3:2 p::@3:3 id:f32@3:5 p:[@3:8 p:-@3:9 int:1@3:10 p:]@3:11 p:}@4:1 end:@4:2 ");
  CHECK(toks[9].ival == 32);
  CHECK(cnnc::describe(toks[0]) == "identifier 'model'");
  CHECK(cnnc::describe(toks[9]) == "number 32");
  CHECK(cnnc::describe(toks[2]) == "'{'");
  CHECK(cnnc::describe(toks.back()) == "end of file");
  // Identifiers: letters, digits, underscores, not starting with a digit.
  toks = cnnc::lex("_a1 b_2_ conv2d_1", diag);
  CHECK(show(toks) == "id:_a1@1:1 id:b_2_@1:5 id:conv2d_1@1:10 end:@1:18 ");
  // Dots join words into one name (PyTorch's module paths); a dot that no
  // word follows is not part of it.
  cnnc::Diag d3("t.cnn", "");
  toks = cnnc::lex("layer1.0.conv1 features.0 a. b", d3);
  CHECK(show(toks) == "id:layer1.0.conv1@1:1 id:features.0@1:16 id:a@1:27 id:b@1:30 end:@1:31 ");
  CHECK(d3.errorCount() == 1); // the lone '.'

  // The end token sits after the last character, also after a final newline.
  CHECK(show(cnnc::lex("", diag)) == "end:@1:1 ");
  CHECK(show(cnnc::lex("a\n", diag)) == "id:a@1:1 end:@2:1 ");
}

TEST_CASE("lexer: '#' and '//' comments run to the end of the line", "[frontend]") {
  cnnc::Diag diag("t.cnn", "");
  auto toks = cnnc::lex("a # b c\n// d\nx // y # z\n  #\n//\ne#f\ng//h", diag);
  CHECK_FALSE(diag.hasErrors());
  CHECK(show(toks) == "id:a@1:1 id:x@3:1 id:e@6:1 id:g@7:1 end:@7:5 ");
  // A single '/' is not a comment: it divides (in a block's expressions).
  cnnc::Diag d2("t.cnn", "a / b");
  toks = cnnc::lex("a / b", d2);
  CHECK_FALSE(d2.hasErrors());
  CHECK(show(toks) == "id:a@1:1 p:/@1:3 id:b@1:5 end:@1:6 ");
}

TEST_CASE("lexer: valid numbers and malformed and out of range ones", "[frontend]") {
  cnnc::Diag diag("t.cnn", "");
  auto toks = cnnc::lex("0 7 0042 9223372036854775807 1.5 .5 5. 1e3 2.5e-3 1E+2", diag);
  CHECK_FALSE(diag.hasErrors());
  REQUIRE(toks.size() == 11);
  CHECK(toks[2].kind == Tok::Int);
  CHECK(toks[2].ival == 42);
  CHECK(toks[3].ival == INT64_MAX);
  const double floats[] = {1.5, 0.5, 5.0, 1000.0, 0.0025, 100.0};
  for (int i = 0; i < 6; ++i) {
    CHECK(toks[4 + i].kind == Tok::Float);
    CHECK(toks[4 + i].fval == Approx(floats[i]));
  }
  CHECK(toks[7].text == "1e3");
  // '-' is punctuation; the parser negates.
  CHECK(show(cnnc::lex("-5 -.5", diag)) == "p:-@1:1 int:5@1:2 p:-@1:4 float:.5@1:5 end:@1:7 ");

  for (const char *bad : {"3x3", "1.2.3", "1e", "1e+", "12abc", "0x10", "7.e"}) {
    cnnc::Diag d("t.cnn", "");
    toks = cnnc::lex(std::string("a ") + bad + " b", d);
    INFO(bad << "\n" << d.text());
    CHECK(d.errorCount() == 1);
    CHECK(d.text().find("t.cnn:1:3: error: malformed number '" + std::string(bad) + "'") == 0);
    CHECK(show(toks).find("id:b@1:" + std::to_string(4 + strlen(bad))) != std::string::npos);
    REQUIRE(toks.size() == 4); // the bad number stays, as a Tok::Bad the parser accepts silently
    CHECK(toks[1].kind == cnnc::Tok::Bad);
  }
  for (const char *big : {"99999999999999999999", "9223372036854775808", "1e999"}) {
    cnnc::Diag d("t.cnn", "");
    toks = cnnc::lex(big, d);
    INFO(big);
    CHECK(d.errorCount() == 1);
    CHECK(d.text().find("number '" + std::string(big) + "' is out of range") != std::string::npos);
    REQUIRE(toks.size() == 2);
    CHECK(toks[0].kind == cnnc::Tok::Bad);
  }
}

TEST_CASE("lexer: hexadecimal numbers are malformed with or without 'e' or '.'", "[frontend]") {
  // "0x10" is rejected, but anything with an 'e' or '.' went to strtod, which
  // accepts C hex floats: "0x1e" lexed as the float 30, "0x1.8p1" as 3.
  for (const char *hex : {"0x10", "0x1e", "0x1.8p1", "0X1E5"}) {
    cnnc::Diag d("t.cnn", "");
    auto toks = cnnc::lex(hex, d);
    INFO(hex << " lexed as " << show(toks));
    CHECK(d.errorCount() == 1);
    CHECK(d.text().find("malformed number") != std::string::npos);
  }
}

TEST_CASE("lexer: bad characters and tabs and NUL and non-ASCII bytes", "[frontend]") {
  cnnc::Diag d("t.cnn", std::string("a\t$\0b", 5));
  auto toks = cnnc::lex(std::string("a\t$\0b", 5), d);
  CHECK(d.errorCount() == 2);
  // The source line is shown whole (NUL included); the caret line keeps the tab.
  CHECK(d.text().find(std::string("t.cnn:1:3: error: unexpected character '$'\n  a\t$") + '\0' +
                      "b\n   \t^\n") == 0);
  CHECK(d.text().find("t.cnn:1:4: error: unexpected character '\\x00'") != std::string::npos);
  CHECK(show(toks) == "id:a@1:1 id:b@1:5 end:@1:6 ");
  cnnc::Diag u("t.cnn", "x = \xc3\xa9");
  cnnc::lex("x = \xc3\xa9", u); // 'é' in UTF-8: one error for the character, at its byte column
  CHECK(u.errorCount() == 1);
  CHECK(u.text().find("t.cnn:1:5: error: unexpected character '\xc3\xa9'") == 0);
}

TEST_CASE("parser: every statement form", "[frontend]") {
  const std::string src = "model forms {\n"
                          "  input image: f32[28, 28, 1];\n"
                          "  c = conv2d(image, filters=8, kernel=(3, 3), padding=(1, -2))\n"
                          "  relu();\n"
                          "  flatten()\n"
                          "  d = dense(units=-5, rate=-0.5, beta=1.5e2, nest=((1, 2), x))\n"
                          "  output c, image ,d\n"
                          "  input = tanh(d)\n"
                          "}\n";
  cnnc::Diag diag("f.cnn", src);
  cnnc::AstModule m = cnnc::parse(src, diag);
  INFO(diag.text());
  REQUIRE_FALSE(diag.hasErrors());
  CHECK(m.name == "forms");
  CHECK((m.loc.line == 1 && m.loc.col == 1));
  REQUIRE(m.stmts.size() == 7);
  using S = cnnc::AstStmt;
  using V = cnnc::AstValue;

  const S &in = m.stmts[0];
  CHECK(in.kind == S::Input);
  CHECK(in.result == "image");
  CHECK((in.resultLoc.line == 2 && in.resultLoc.col == 9));
  CHECK(in.dtype == "f32");
  CHECK((in.opLoc.line == 2 && in.opLoc.col == 16));
  REQUIRE(in.dims.size() == 3);
  CHECK((in.dims[0].kind == V::Int && in.dims[0].i == 28 && in.dims[2].i == 1));

  const S &c = m.stmts[1];
  CHECK(c.kind == S::Call);
  CHECK(c.result == "c");
  CHECK(c.op == "conv2d");
  CHECK((c.opLoc.line == 3 && c.opLoc.col == 7));
  REQUIRE(c.args.size() == 4);
  CHECK(c.args[0].name.empty()); // positional: an input name
  CHECK((c.args[0].value.kind == V::Ident && c.args[0].value.s == "image"));
  CHECK((c.args[1].name == "filters" && c.args[1].value.i == 8));
  CHECK((c.args[1].loc.line == 3 && c.args[1].loc.col == 21));
  CHECK((c.args[2].value.kind == V::Tuple && c.args[2].value.elems.size() == 2));
  const V &pad = c.args[3].value;
  REQUIRE(pad.elems.size() == 2);
  CHECK(pad.elems[1].i == -2);
  CHECK((pad.elems[1].loc.line == 3 && pad.elems[1].loc.col == 59)); // at the '-'

  CHECK((m.stmts[2].op == "relu" && m.stmts[2].result.empty() && m.stmts[2].args.empty()));
  CHECK(m.stmts[3].op == "flatten");

  const S &d = m.stmts[4];
  REQUIRE(d.args.size() == 4);
  CHECK(d.args[0].value.i == -5);
  CHECK((d.args[1].value.kind == V::Float && d.args[1].value.f == -0.5));
  CHECK(d.args[2].value.f == 150.0);
  const V &nest = d.args[3].value;
  REQUIRE((nest.kind == V::Tuple && nest.elems.size() == 2));
  CHECK((nest.elems[0].kind == V::Tuple && nest.elems[0].elems[1].i == 2));
  CHECK((nest.elems[1].kind == V::Ident && nest.elems[1].s == "x"));

  const S &out = m.stmts[5]; // the names as positional arguments, each at its column
  CHECK(out.kind == S::Output);
  REQUIRE(out.args.size() == 3);
  CHECK((out.args[0].value.kind == V::Ident && out.args[0].value.s == "c"));
  CHECK((out.args[0].loc.line == 7 && out.args[0].loc.col == 10));
  CHECK((out.args[1].value.s == "image" && out.args[1].loc.col == 13));
  CHECK((out.args[2].value.s == "d" && out.args[2].loc.col == 20));
  // 'input' followed by '=' is a call whose result is named "input".
  CHECK((m.stmts[6].kind == S::Call && m.stmts[6].result == "input" && m.stmts[6].op == "tanh"));

  // The same model builds: statement forms and names resolve.
  cnnc::Graph g;
  cnnc::Diag d2("f.cnn", src);
  CHECK_FALSE(cnnc::buildGraph(d2, g)); // only the values are wrong:
  CHECK(d2.errorCount() == 6); // padding -2, units -5, rate, beta, nest, the output 'image'
  CHECK(d2.text().find("f.cnn:7:13: error: the output 'image' is a model input") !=
        std::string::npos);
  CHECK(d2.text().find("f.cnn:3:59: error: 'padding' must be at least 0, got -2") == 0);
  CHECK(d2.text().find("f.cnn:6:34: error: unknown attribute 'beta' for dense") !=
        std::string::npos);
}

TEST_CASE("parser: one run reports one error per broken line", "[frontend]") {
  const std::string src = "model m {\n"
                          "  input x: f32[28, 28, 1]\n"
                          "  conv2d(filters=8 kernel=3)\n" // 3: missing ','
                          "  relu()\n"
                          "  conv2d(filters=8, kernel=3\n" // 5: missing ')' at the end of the line
                          "  tanh()\n"
                          "  = relu()\n"                  // 7: no statement
                          "  maxpool2d(size=(2, 2)\n"     // 8
                          "  flatten() dense(units=10)\n" // two statements on one line
                          "  dense(units=)\n"             // 10
                          "}\n";
  cnnc::Diag diag("r.cnn", src);
  cnnc::AstModule m = cnnc::parse(src, diag);
  INFO(diag.text());
  CHECK(diag.errorCount() == 5);
  CHECK(diag.text().find("r.cnn:3:20: error: expected ')', found identifier 'kernel'") !=
        std::string::npos);
  CHECK(diag.text().find("r.cnn:5:29: error: expected ')', found identifier 'tanh'") !=
        std::string::npos);
  CHECK(diag.text().find("r.cnn:7:3: error: expected a statement") != std::string::npos);
  CHECK(diag.text().find("r.cnn:8:24: error: expected ')', found identifier 'flatten'") !=
        std::string::npos);
  CHECK(diag.text().find("r.cnn:10:15: error: expected a value") != std::string::npos);
  // Recovery resumes at the next line: input, relu, tanh, flatten, dense survive.
  REQUIRE(m.stmts.size() == 5);
  CHECK(m.stmts[1].op == "relu");
  CHECK(m.stmts[2].op == "tanh");
  CHECK(m.stmts[3].op == "flatten");
  CHECK(m.stmts[4].op == "dense");
  // The builder still checks what parsed (and finds nothing more to report).
  CHECK(compile(src).errors == 5);
}

TEST_CASE("the error cap: 20 errors printed and the rest counted", "[frontend]") {
  std::string src =
      "model m {\n  input x: f32[4, 4, 1]\n" + repeat("  relu() @\n", 30) + "  nosuch()\n}\n";
  Outcome o = compile(src);
  CHECK_FALSE(o.ok);
  CHECK(o.errors == 30); // past the cap the builder does not run: no "unknown op"
  CHECK(countOf(o.text, ": error: unexpected character '@'") == 20);
  CHECK(countOf(o.text, "in.cnn: error: too many errors, stopping\n") == 1);
  CHECK(o.text.size() - o.text.rfind("too many errors, stopping\n") == 26); // it comes last
  CHECK(o.text.find("nosuch") == std::string::npos);
  // Exactly at the cap the builder still runs.
  o = compile("model m {\n  input x: f32[4, 4, 1]\n" + repeat("  relu() @\n", 20) +
              "  nosuch()\n}\n");
  CHECK(o.errors == 21);
  CHECK(o.text.find("too many errors, stopping") != std::string::npos);
}

TEST_CASE("adversarial inputs fail quickly with an error", "[frontend]") {
  std::mt19937 rng(1234);
  std::string garbage(1 << 20, ' '), binary(1 << 20, ' ');
  for (char &c : garbage)
    c = (char)std::uniform_int_distribution<int>(33, 126)(rng);
  for (char &c : binary)
    c = (char)std::uniform_int_distribution<int>(0, 255)(rng);
  const std::string head = "model m {\n  input x: f32[28, 28, 1]\n";
  const char nul[] = "model m {\0\0 input x: f32[1, 1, 1]\0 relu() }";
  const std::pair<const char *, std::string> inputs[] = {
      {"empty file", ""},
      {"whitespace", " \n\t\r\n "},
      {"only '{'", "{"},
      {"only '}'", "}"},
      {"100000 '('", std::string(100000, '(')},
      {"100000 '(' in a call", head + "  relu(" + std::string(100000, '(')},
      {"100000 '(' in a dimension", "model m {\n  input x: f32[" + std::string(100000, '(')},
      {"100000 ')'", head + std::string(100000, ')')},
      {"100000 '(' lines", head + repeat("(\n", 100000) + "}\n"},
      {"1 MB garbage line", garbage},
      {"1 MB garbage in a model", head + garbage + "\n}\n"},
      {"1 MB random bytes", binary},
      {"1 MB of '@'", std::string(1 << 20, '@')},
      {"NUL bytes", std::string(nul, sizeof nul - 1)},
      {"only NUL", std::string(1000, '\0')},
      {"1 MB identifier", "model " + std::string(1 << 20, 'a') + " {\n  relu()\n}\n"},
      {"1 MB unknown name", head + "  relu(" + std::string(1 << 20, 'q') + ")\n}\n"},
      {"unterminated model", "model m {"},
      {"unterminated input", "model m {\n  input x: f32[28, 28,"},
      {"unterminated call", head + "  conv2d(filters=(3, "},
      {"unterminated tuple", head + "  conv2d(filters=8, kernel=(3, 3"},
      {"unterminated comment", head + "  # no newline, no '}'"},
      {"huge integer", head + "  dense(units=99999999999999999999)\n}\n"},
      {"huge negative integer", head + "  dense(units=-99999999999999999999)\n}\n"},
      {"huge dimension", "model m {\n  input x: f32[99999999999999999999, 1, 1]\n  relu()\n}\n"},
      {"int64 max dimension",
       "model m {\n  input x: f32[9223372036854775807, 1, 1]\n  relu()\n}\n"},
      {"int64 min", head + "  conv2d(filters=-9223372036854775807, kernel=1)\n}\n"},
      {"huge float", head + "  dense(units=1e99999)\n}\n"},
      {"huge padding", head + "  conv2d(filters=1, kernel=1, padding=(1048576, 1048576))\n}\n"},
      {"100000 statements on one line", head + repeat("relu() ", 100000) + "nosuch()\n}\n"},
      {"100000 bad lines", head + repeat("  @\n", 100000) + "}\n"},
  };
  for (const auto &[what, src] : inputs) {
    INFO(what);
    Outcome o;
    REQUIRE_NOTHROW(o = compile(src));
    CHECK_FALSE(o.ok);
    CHECK(o.errors > 0);
    CHECK(o.seconds < 10.0); // a guard against hangs, not a benchmark
    CHECK(countOf(o.text, ": error: ") <= cnnc::Diag::MaxErrors + 1);
  }
}

TEST_CASE("every prefix of a valid model is an error and never a crash", "[frontend]") {
  const std::string src =
      "model m { # c\n  input x: f32[8, 8, 2]\n  c = conv2d(x, filters=4, kernel=(3, 3), "
      "padding=same, activation=relu);\n  maxpool2d(size=2)\n  flatten()\n"
      "  d = dense(units=3)\n  output d\n}";
  for (size_t n = 0; n < src.size(); ++n) {
    INFO("prefix of " << n << " bytes: " << src.substr(0, n));
    Outcome o = compile(src.substr(0, n));
    CHECK_FALSE(o.ok);
    CHECK(o.text.find("in.cnn:") == 0);
  }
  CHECK(compile(src).ok);
}

TEST_CASE("the source size limit", "[frontend]") {
  std::string src = "model m {\n  input x: f32[1]\n  relu()\n}\n";
  src += std::string(cnnc::MaxSourceBytes + 1 - src.size(), ' ');
  Outcome o = compile(src);
  CHECK_FALSE(o.ok);
  CHECK(o.errors == 1);
  CHECK(o.text.find("in.cnn: error: source is too large (16777217 bytes; the limit is 16777216)") ==
        0);
  src.pop_back();
  CHECK(compile(src).ok); // exactly at the limit
}

TEST_CASE("the layer limit counts layers as its message says", "[frontend]") {
  // The builder counts graph nodes (the input and the activation node of each
  // conv2d(activation=...) included), but reports "too many layers (the limit
  // is 10000)": 10000 layers are rejected, and so are 6000 convolutions with
  // an activation.
  const std::string head = "model m {\n  input x: f32[1, 1, 1]\n";
  Outcome o = compile(head + repeat("  relu()\n", 10000) + "}\n");
  INFO(o.text);
  CHECK(o.ok);
  o = compile(head + repeat("  conv2d(filters=1, kernel=1, activation=relu)\n", 6000) + "}\n");
  CHECK(o.ok);
  // Past the limit: one error, at the first layer too many (line 3 + 10000).
  o = compile(head + repeat("  relu()\n", 10050) + "}\n");
  CHECK(o.errors == 1);
  CHECK(o.text.find("in.cnn:10003:3: error: too many layers (the limit is 10000)") == 0);
}

TEST_CASE("did-you-mean suggestions stay fast on long and many names", "[frontend]") {
  // Suggestions compare the unknown name with every defined name by edit
  // distance, O(len^2) each, and are computed even past the error cap.
  SECTION("two 40000-character names") {
    std::string src = "model m {\n  input " + std::string(40000, 'a') + ": f32[1, 1, 1]\n  relu(" +
                      std::string(40000, 'b') + ")\n}\n";
    Outcome o = compile(src);
    CHECK(o.errors == 1);
    CHECK(o.seconds < 10.0); // a guard against hangs, not a benchmark
  }
  SECTION("5000 names, 5000 unknown references") {
    std::string src = "model m {\n  input x: f32[4, 4, 1]\n";
    for (int i = 0; i < 5000; ++i)
      src += "  n" + std::to_string(i) + " = relu()\n";
    for (int i = 0; i < 5000; ++i)
      src += "  relu(q" + std::to_string(i) + "z)\n";
    Outcome o = compile(src + "}\n");
    CHECK(o.errors == 5000);
    CHECK(o.seconds < 10.0); // a guard against hangs, not a benchmark
  }
}

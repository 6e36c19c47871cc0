// frontend/Lexer.h - tokens of the .cnn DSL.
#pragma once

#include "ir/Diag.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc {

/// Bad: a malformed or out-of-range number, already reported.
enum class Tok { Ident, Int, Float, Bad, Punct, End };

struct Token {
  Tok kind = Tok::End;
  std::string text; // identifier, punctuation character, or the number's spelling
  int64_t ival = 0;
  double fval = 0;
  SourceLoc loc;
  bool is(char c) const { return kind == Tok::Punct && text.size() == 1 && text[0] == c; }
  bool isIdent(const char *s) const { return kind == Tok::Ident && text == s; }
};

/// Splits `source` into tokens; bad characters and malformed numbers are
/// reported to `diag` and skipped. The result always ends with Tok::End.
std::vector<Token> lex(const std::string &source, Diag &diag);
std::string describe(const Token &t); // "identifier 'conv2d'", "'('", "end of file"

} // namespace cnnc

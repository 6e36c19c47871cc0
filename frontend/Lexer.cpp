// frontend/Lexer.cpp - hand-written lexer: identifiers, numbers, punctuation,
// '#' and '//' comments to the end of the line.
#include "frontend/Lexer.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cnnc {

/// A name's hole at `i`: '{', then characters of an expression without spaces,
/// braces or parentheses, then '}' ("{i}", "{2*i+1}"). A '{' followed by anything
/// else opens a body, also a one-line one: "{relu(x)}".
static bool hole(const std::string &src, size_t i) {
  if (i >= src.size() || src[i] != '{')
    return false;
  size_t j = i + 1;
  while (j < src.size() && src[j] &&
         (std::isalnum((unsigned char)src[j]) || std::strchr("_.+-*/", src[j])))
    ++j;
  return j > i + 1 && j < src.size() && src[j] == '}';
}

std::vector<Token> lex(const std::string &src, Diag &diag) {
  std::vector<Token> out;
  size_t i = 0;
  int line = 1, col = 1;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < src.size(); ++k, ++i) {
      if (src[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  while (i < src.size()) {
    unsigned char c = src[i];
    SourceLoc loc{line, col};
    if (std::isspace(c)) {
      advance(1);
    } else if (c == '#' || (c == '/' && i + 1 < src.size() && src[i + 1] == '/')) {
      while (i < src.size() && src[i] != '\n')
        advance(1);
    } else if (std::isalpha(c) || c == '_' || hole(src, i)) {
      size_t j = i;
      // Dots join words into one name (PyTorch's module paths: layer1.0.conv1), and so
      // do {expr} holes, filled in when a block or loop is expanded (layer1.{i}).
      auto word = [&](size_t k) {
        return k < src.size() &&
               (std::isalnum((unsigned char)src[k]) || src[k] == '_' || hole(src, k));
      };
      while (word(j) || (j < src.size() && src[j] == '.' && word(j + 1)))
        j = hole(src, j) ? src.find('}', j) + 1 : j + 1;
      out.push_back({Tok::Ident, src.substr(i, j - i), 0, 0, loc});
      advance(j - i);
    } else if (std::isdigit(c) ||
               (c == '.' && i + 1 < src.size() && std::isdigit((unsigned char)src[i + 1]))) {
      size_t j = i;
      bool isFloat = false;
      while (j < src.size() &&
             (std::isalnum((unsigned char)src[j]) || src[j] == '.' ||
              ((src[j] == '+' || src[j] == '-') && (src[j - 1] == 'e' || src[j - 1] == 'E')))) {
        isFloat |= src[j] == '.' || src[j] == 'e' || src[j] == 'E';
        ++j;
      }
      std::string text = src.substr(i, j - i);
      Token t{isFloat ? Tok::Float : Tok::Int, text, 0, 0, loc};
      char *end = nullptr;
      errno = 0;
      // Decimal only: strtod alone would also take hex floats such as 0x1e.
      bool decimal = text.find_first_not_of("0123456789.eE+-") == std::string::npos;
      if (isFloat)
        t.fval = std::strtod(text.c_str(), &end);
      else
        t.ival = std::strtoll(text.c_str(), &end, 10);
      if (!decimal || end != text.c_str() + text.size())
        diag.error(loc, "malformed number '" + text + "'");
      else if (errno == ERANGE)
        diag.error(loc, "number '" + text + "' is out of range");
      if (!decimal || end != text.c_str() + text.size() || errno == ERANGE)
        t.kind = Tok::Bad; // reported; the parser takes it as a value without complaining again
      out.push_back(t);
      advance(j - i);
    } else if (i + 1 < src.size() && std::strchr("=!<>", c) && src[i + 1] == '=') {
      out.push_back({Tok::Punct, src.substr(i, 2), 0, 0, loc}); // == != <= >=
      advance(2);
    } else if (c != 0 && std::strchr("(){}[],=:;-+*/<>", c)) {
      out.push_back({Tok::Punct, std::string(1, (char)c), 0, 0, loc});
      advance(1);
    } else {
      // One error per character: a UTF-8 sequence is shown whole.
      size_t n = 1;
      if (c >= 0xC0)
        while (i + n < src.size() && n < 4 && ((unsigned char)src[i + n] & 0xC0) == 0x80)
          ++n;
      std::string shown = c >= 0xC0 && n > 1 ? src.substr(i, n)
                          : std::isprint(c)  ? std::string(1, (char)c)
                                             : "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                                                  "0123456789abcdef"[c & 15];
      diag.error(loc, "unexpected character '" + shown + "'");
      advance(n);
    }
  }
  out.push_back({Tok::End, "", 0, 0, {line, col}});
  return out;
}

std::string describe(const Token &t) {
  switch (t.kind) {
  case Tok::Ident:
    return "identifier '" + t.text + "'";
  case Tok::Int:
  case Tok::Float:
    return "number " + t.text;
  case Tok::Punct:
    return "'" + t.text + "'";
  case Tok::Bad:
    return "malformed number " + t.text;
  case Tok::End:
    return "end of file";
  }
  return "?";
}

} // namespace cnnc

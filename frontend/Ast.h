// frontend/Ast.h - the syntax tree of a .cnn file, before names and attributes
// are checked (that is frontend/Builder.cpp's job).
#pragma once

#include "ir/Diag.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cnnc {

struct AstValue {
  enum Kind {
    Int,
    Float,
    Ident,
    Tuple,
    Invalid
  } kind = Int; // Invalid: a bad number, already reported
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<AstValue> elems;
  SourceLoc loc;
};

struct AstArg {
  std::string name; // empty for a positional argument (an input name)
  SourceLoc loc;
  AstValue value;
};

struct AstStmt {
  enum Kind { Input, Output, Call } kind = Call;
  SourceLoc loc;
  std::string result; // "x" in "x = conv2d(...)" or "input x: ..."
  SourceLoc resultLoc;
  /// Call: every name of "a, b = split(...)" (result and resultLoc are the first's).
  std::vector<std::pair<std::string, SourceLoc>> results;
  std::string op; // Call: the op name
  SourceLoc opLoc;
  std::vector<AstArg> args;   // Call; Output: the names, in order (Ident values)
  std::string dtype;          // Input
  std::vector<AstValue> dims; // Input
};

struct AstModule {
  std::string name;
  SourceLoc loc;
  std::vector<AstStmt> stmts;
};

/// Parses tokens into a module; syntax errors go to `diag`, and the parser
/// resumes at the next line so one run reports several errors.
AstModule parse(const std::string &source, Diag &diag);

} // namespace cnnc

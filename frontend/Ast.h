// frontend/Ast.h - the syntax tree of a .cnn file, before names and attributes
// are checked (that is frontend/Builder.cpp's job).
#pragma once

#include "ir/Diag.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cnnc {

struct AstStmt;

struct AstValue {
  enum Kind {
    Int,
    Float,
    Ident, // a word, a name, or a parameter; s may hold {expr} holes (layer1.{i})
    Tuple,
    Invalid, // a bad number, already reported
    Unary,   // s is "-" or "not", elems the operand
    Binary,  // s is the operator (+ - * / == != < <= > >= and or), elems the operands
    Call,    // a call as a positional argument: relu(add(a, b))
    Ref      // block expansion's: the layer i, already resolved (-1: a failed one)
  } kind = Int;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<AstValue> elems;
  std::shared_ptr<const AstStmt> call; // Call
  SourceLoc loc;
};

struct AstArg {
  std::string name; // empty for a positional argument (an input name)
  SourceLoc loc;
  AstValue value;
};

struct AstStmt {
  enum Kind { Input, Output, Call, If, For, Return } kind = Call;
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
  /// If: args[0] the condition, `body` then `orElse`; For: `result` the variable,
  /// args the range's bounds (range(n) or range(a, b)); Return: args[0] the value.
  std::vector<AstStmt> body, orElse;
  /// Block expansion's: the instance's prefix ("layer1.0.") for a layer without a name.
  std::string prefix;
};

/// block NAME(x, width, stride=1) { statements }
struct AstParam {
  std::string name;
  SourceLoc loc;
  bool hasDefault = false;
  AstValue def;
};
struct AstBlock {
  std::string name;
  SourceLoc loc;
  std::vector<AstParam> params;
  std::vector<AstStmt> body;
};

struct AstModule {
  std::string name;
  SourceLoc loc;
  std::vector<AstStmt> stmts;
  std::vector<AstBlock> blocks;
};

/// Parses tokens into a module; syntax errors go to `diag`, and the parser
/// resumes at the next line so one run reports several errors.
AstModule parse(const std::string &source, Diag &diag);

/// The expression in a name's {hole} (its text without the braces, at `at`);
/// nullopt after a syntax error, reported to `diag`.
std::optional<AstValue> parseHole(const std::string &text, SourceLoc at, Diag &diag);

} // namespace cnnc

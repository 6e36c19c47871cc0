// frontend/Blocks.h - running a model's statements: block instances, 'if', 'for'
// and the values of expressions are worked out here (frontend/Blocks.cpp), each
// op call then built by the builder (frontend/Builder.cpp) as a concrete statement.
#pragma once

#include "frontend/Ast.h"
#include "ir/IR.h"

#include <optional>
#include <string>
#include <vector>

namespace cnnc {

/// What expansion asks of the builder. A concrete statement has every value
/// evaluated (numbers, words, tuples), every name's {holes} filled in and
/// prefixed with its instance's name, and every positional input either a
/// name of the model's top level or an AstValue::Ref.
class LayerSink {
public:
  static constexpr ValueId Poisoned = -1; // a failed statement's value, already reported
  virtual ~LayerSink() = default;
  virtual ValueId call(const AstStmt &concrete) = 0; // an op call; its value or Poisoned
  virtual void declareInput(const AstStmt &concrete) = 0;
  virtual void declareOutputs(const AstStmt &concrete) = 0;
  /// A defined name's value (Poisoned for a failed one), nullopt if none.
  virtual std::optional<ValueId> lookup(const std::string &name) const = 0;
  /// An instance's name stands for its result (Poisoned: a failed instance).
  virtual void alias(const std::string &name, SourceLoc loc, ValueId id) = 0;
  /// A free name "PREFIXkind", "PREFIXkind_1", ... for an unnamed instance.
  virtual std::string freeName(const std::string &prefix, const std::string &kind) = 0;
  virtual ValueId last() const = 0; // what a statement without inputs reads
  virtual void setLast(ValueId id) = 0;
  virtual bool full() const = 0; // the layer limit was reached (and reported)
  virtual std::vector<std::string> names() const = 0;
};

/// Runs the model's top-level statements into `sink`, expanding block calls.
void expand(const AstModule &m, LayerSink &sink, Diag &diag);

/// "did you mean" among `options` ("; did you mean 'x'?"), or "" (Builder.cpp).
std::string suggest(const std::string &word, const std::vector<std::string> &options);
std::string joined(const std::vector<std::string> &v);

} // namespace cnnc

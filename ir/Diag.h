// ir/Diag.h - diagnostics with source locations: "file:line:col: error: message",
// then the source line and a caret. Shared by the front end and the passes.
#pragma once

#include <string>
#include <vector>

namespace cnnc {

struct SourceLoc {
  int line = 0; // 1-based; 0 means "no location"
  int col = 0;  // 1-based
  /// In a block's body: the instance expanded (Diag::instance), so an error
  /// there names it; 0 outside blocks.
  int inst = 0;
};

class Diag {
public:
  Diag(std::string fileName, std::string source)
      : fileName_(std::move(fileName)), source_(std::move(source)) {}

  /// Errors beyond this many are counted but not printed.
  static constexpr int MaxErrors = 20;

  void error(SourceLoc loc, const std::string &message);
  /// A note on the latest error ("file:l:c: note: message", its line and a
  /// caret), printed right after it: where a cause lies away from the error.
  void note(SourceLoc loc, const std::string &message);
  /// Registers an instance of a block, named `name` (its layers' prefix),
  /// made by the call at `at`; returns the id that locations inside it carry.
  /// Errors there end "(in instance 'NAME' at L:C)", outermost last.
  int instance(const std::string &name, SourceLoc at);
  bool hasErrors() const { return errorCount_ > 0; }
  int errorCount() const { return errorCount_; }
  /// True once more errors arrived than will ever be shown: callers may stop
  /// expensive work such as did-you-mean suggestions.
  bool saturated() const { return errorCount_ > MaxErrors; }
  /// The errors in source order (the lexer, parser and builder report in
  /// passes, not in file order), each with its source line and a caret.
  std::string text() const;
  const std::string &fileName() const { return fileName_; }
  const std::string &source() const { return source_; }

private:
  struct Note {
    SourceLoc loc;
    std::string message;
  };
  struct Entry {
    SourceLoc loc;
    std::string message;
    std::vector<Note> notes;
  };
  struct Instance {
    std::string name;
    SourceLoc at;
  };
  std::string render(SourceLoc loc, const std::string &kind, const std::string &message) const;
  std::vector<SourceLoc> chain(SourceLoc loc) const; // the outermost call first, loc last
  std::string fileName_, source_;
  std::vector<Instance> instances_; // id k is instances_[k - 1]
  bool dropped_ = false;            // the latest error repeated one: its notes go too
  std::vector<Entry> entries_;      // at most StoredErrors, so a binary file cannot exhaust memory
  int errorCount_ = 0;
};

/// An internal invariant; failing it is a compiler bug, not a user error.
[[noreturn]] void internalError(const char *file, int line, const std::string &what);
#define CNNC_ASSERT(cond, what)                                                                    \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::cnnc::internalError(__FILE__, __LINE__, std::string(#cond) + ": " + (what));               \
  } while (0)

} // namespace cnnc

// ir/Diag.cpp - formatting of diagnostics.
#include "ir/Diag.h"

#include "cnnc/Tensor.h"

namespace cnnc {

static std::string sourceLine(const std::string &source, int line) {
  size_t begin = 0;
  for (int l = 1; l < line && begin != std::string::npos; ++l) {
    begin = source.find('\n', begin);
    if (begin != std::string::npos)
      ++begin;
  }
  if (begin == std::string::npos || begin > source.size())
    return "";
  size_t end = source.find('\n', begin);
  return source.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

void Diag::report(SourceLoc loc, const char *kind, const std::string &message) {
  if (loc.line <= 0) {
    text_ += fileName_ + ": " + kind + ": " + message + "\n";
    return;
  }
  text_ += fileName_ + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " +
           kind + ": " + message + "\n";
  std::string line = sourceLine(source_, loc.line);
  // Tabs keep their width so the caret lines up under the column.
  std::string caret;
  for (int i = 1; i < loc.col && i <= (int)line.size(); ++i)
    caret += line[i - 1] == '\t' ? '\t' : ' ';
  text_ += "  " + line + "\n  " + caret + "^\n";
}

void Diag::error(SourceLoc loc, const std::string &message) {
  // Past the cap, count but stay quiet: a binary file should not flood the terminal.
  if (++errorCount_ <= MaxErrors)
    report(loc, "error", message);
  else if (errorCount_ == MaxErrors + 1)
    text_ += fileName_ + ": error: too many errors, stopping\n";
}

void Diag::note(SourceLoc loc, const std::string &message) { report(loc, "note", message); }

void internalError(const char *file, int line, const std::string &what) {
  throw Error(std::string("internal compiler error at ") + file + ":" + std::to_string(line) +
              ": " + what);
}

} // namespace cnnc

// ir/Diag.cpp - formatting of diagnostics.
#include "ir/Diag.h"

#include "cnnc/Tensor.h"

#include <algorithm>

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

constexpr size_t StoredErrors = 1000;
constexpr size_t MaxShownLine = 120; // longer source lines are shown as a window around the column

std::string Diag::render(SourceLoc loc, const std::string &kind, const std::string &message) const {
  if (loc.line <= 0)
    return fileName_ + ": " + kind + ": " + message + "\n";
  std::string out = fileName_ + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) +
                    ": " + kind + ": " + message + "\n";
  std::string line = sourceLine(source_, loc.line);
  size_t col = (size_t)loc.col - 1, from = 0;
  if (line.size() > MaxShownLine) {
    from =
        col > MaxShownLine / 2 ? std::min(col - MaxShownLine / 2, line.size() - MaxShownLine) : 0;
    line = (from ? "..." : "") + line.substr(from, MaxShownLine) + "...";
    from = from ? from - 3 : 0; // the "..." takes the place of three characters
  }
  // Keep tabs so the caret lines up under the column; blank everything else.
  std::string caret;
  for (size_t i = 0; i + from < col && i < line.size(); ++i)
    caret += line[i] == '\t' ? '\t' : ' ';
  return out + "  " + line + "\n  " + caret + "^\n";
}

void Diag::error(SourceLoc loc, const std::string &message) {
  ++errorCount_;
  if (entries_.size() < StoredErrors)
    entries_.push_back({loc, message, {}});
}

void Diag::note(SourceLoc loc, const std::string &message) {
  if ((size_t)errorCount_ == entries_.size() && !entries_.empty() &&
      entries_.back().notes.size() < 8)
    entries_.back().notes.push_back({loc, message});
}

std::string Diag::text() const {
  std::vector<const Entry *> sorted;
  for (const Entry &e : entries_)
    sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry *a, const Entry *b) {
    return a->loc.line != b->loc.line ? a->loc.line < b->loc.line : a->loc.col < b->loc.col;
  });
  std::string text;
  for (size_t i = 0; i < sorted.size() && i < (size_t)MaxErrors; ++i) {
    text += render(sorted[i]->loc, "error", sorted[i]->message);
    for (const Note &n : sorted[i]->notes)
      text += render(n.loc, "note", n.message);
  }
  if (errorCount_ > MaxErrors)
    text += fileName_ + ": error: too many errors, stopping\n";
  return text;
}

void internalError(const char *file, int line, const std::string &what) {
  throw Error(std::string("internal compiler error at ") + file + ":" + std::to_string(line) +
              ": " + what);
}

} // namespace cnnc

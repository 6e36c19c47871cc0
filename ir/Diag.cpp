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
  // The instances around the location, innermost first: three, then the outermost.
  std::vector<std::string> around;
  for (int k = loc.inst; k > 0 && k <= (int)instances_.size(); k = instances_[k - 1].at.inst) {
    const Instance &i = instances_[k - 1];
    around.push_back("in instance '" + i.name + "' at " + std::to_string(i.at.line) + ":" +
                     std::to_string(i.at.col));
  }
  if (around.size() > 4)
    around.erase(around.begin() + 3, around.end() - 1), around.insert(around.end() - 1, "...");
  std::string context;
  for (const std::string &a : around)
    context += (context.empty() ? " (" : ", ") + a;
  std::string out = fileName_ + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) +
                    ": " + kind + ": " + message + (context.empty() ? "" : context + ")") + "\n";
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

int Diag::instance(const std::string &name, SourceLoc at) {
  instances_.push_back({name, at});
  return (int)instances_.size();
}

std::vector<SourceLoc> Diag::chain(SourceLoc loc) const {
  std::vector<SourceLoc> c{loc};
  for (int k = loc.inst; k > 0 && k <= (int)instances_.size(); k = instances_[k - 1].at.inst)
    c.insert(c.begin(), instances_[k - 1].at);
  return c;
}

void Diag::error(SourceLoc loc, const std::string &message) {
  // A mistake in a block's body or a loop shows in every instance and turn: report it
  // once, for the first.
  dropped_ = false;
  if (loc.line > 0)
    for (const Entry &e : entries_)
      if (e.loc.line == loc.line && e.loc.col == loc.col && e.message == message) {
        dropped_ = true;
        return;
      }
  ++errorCount_;
  if (entries_.size() < StoredErrors)
    entries_.push_back({loc, message, {}});
}

void Diag::note(SourceLoc loc, const std::string &message) {
  if (!dropped_ && (size_t)errorCount_ == entries_.size() && !entries_.empty() &&
      entries_.back().notes.size() < 8)
    entries_.back().notes.push_back({loc, message});
}

std::string Diag::text() const {
  std::vector<const Entry *> sorted;
  for (const Entry &e : entries_)
    sorted.push_back(&e);
  // Source order; an error in a block's body sorts at the call that made its instance.
  auto key = [&](const Entry *e) {
    std::vector<std::pair<int, int>> k;
    for (SourceLoc l : chain(e->loc))
      k.emplace_back(l.line, l.col);
    return k;
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const Entry *a, const Entry *b) { return key(a) < key(b); });
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

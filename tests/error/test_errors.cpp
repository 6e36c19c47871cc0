// tests/error/test_errors.cpp - one .cnn file per user error. Every file in
// this folder carries one or more lines
//
//   # expect-error: LINE:COL: TEXT
//
// (TEXT is a substring of the message), and after one, "# expect-note: LINE:COL:
// TEXT" for each note that error carries, in order. The file goes through the front end
// and the pass pipeline; the test checks that exactly the expected errors are
// reported, in the order of the expect lines, each as "FILE:LINE:COL: error:
// MESSAGE" followed by the source line and a caret line whose caret sits under
// the column. A file that compiles without error fails.
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include "cnnc/Tensor.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

namespace fs = std::filesystem;

struct Expected {
  int line = 0, col = 0;
  std::string text;
  bool note = false;
};

struct Reported {
  int line = 0, col = 0; // 0:0 for an error without a location
  std::string message;
  std::string sourceLine, caretLine; // as printed, without the two-space indent
  bool hasContext = false;
  bool note = false; // "note:", on the error before it
};

std::string readFile(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> splitLines(const std::string &s) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream is(s);
  while (std::getline(is, line))
    out.push_back(line);
  return out;
}

std::vector<Expected> expectations(const std::string &source) {
  static const std::regex re(R"(^\s*#\s*expect-(error|note):\s*(\d+):(\d+):\s?(.*)$)");
  std::vector<Expected> out;
  for (const std::string &l : splitLines(source)) {
    std::smatch m;
    if (std::regex_match(l, m, re))
      out.push_back({std::stoi(m[2]), std::stoi(m[3]), m[4], m[1] == "note"});
  }
  return out;
}

// Splits the diagnostics text into errors. A located error is three lines:
// "FILE:L:C: error: MSG", "  SOURCE LINE", "  CARET LINE".
std::vector<Reported> parseDiagnostics(const std::string &text, const std::string &file,
                                       std::string &junk) {
  std::vector<std::string> lines = splitLines(text);
  std::vector<Reported> out;
  const std::regex located("^(\\d+):(\\d+): (error|note): (.*)$");
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string &l = lines[i];
    if (l.rfind(file + ":", 0) != 0) {
      junk += l + "\n";
      continue;
    }
    std::string rest = l.substr(file.size() + 1);
    Reported r;
    std::smatch m;
    if (std::regex_match(rest, m, located)) {
      r.line = std::stoi(m[1]);
      r.col = std::stoi(m[2]);
      r.note = m[3] == "note";
      r.message = m[4];
      if (i + 2 < lines.size()) {
        const std::string &a = lines[i + 1], &b = lines[i + 2];
        if (a.rfind("  ", 0) == 0 && b.rfind("  ", 0) == 0) {
          r.sourceLine = a.substr(2);
          r.caretLine = b.substr(2);
          r.hasContext = true;
          i += 2;
        }
      }
    } else {
      r.message = rest.rfind(" error: ", 0) == 0 ? rest.substr(8) : rest;
    }
    out.push_back(r);
  }
  return out;
}

// The caret line Diag should print for column `col` of `src`: tabs kept so the
// caret lines up, nothing past the end of the line.
std::string expectedCaret(const std::string &src, int col) {
  std::string caret;
  for (int i = 1; i < col && i <= (int)src.size(); ++i)
    caret += src[i - 1] == '\t' ? '\t' : ' ';
  return caret + "^";
}

std::string describe(const std::vector<Reported> &v) {
  std::string s;
  for (const Reported &r : v)
    s += "  " + std::to_string(r.line) + ":" + std::to_string(r.col) + ": " + r.message + "\n";
  return s.empty() ? "  (none)\n" : s;
}

std::vector<fs::path> errorFiles() {
  std::vector<fs::path> files;
  for (const auto &e : fs::directory_iterator(fs::path(CNNC_SOURCE_DIR) / "tests" / "error"))
    if (e.path().extension() == ".cnn")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

TEST_CASE("every .cnn file in tests/error reports exactly its expected errors", "[error]") {
  std::vector<fs::path> files = errorFiles();
  REQUIRE(files.size() >= 40);
  for (const fs::path &path : files) {
    DYNAMIC_SECTION(path.filename().string()) {
      const std::string source = readFile(path);
      const std::vector<std::string> srcLines = splitLines(source);
      const std::vector<Expected> expected = expectations(source);
      INFO("file " << path.string());
      REQUIRE(!expected.empty()); // a file without expectations is a mistake

      const std::string file = path.string();
      cnnc::Diag diag(file, source);
      cnnc::Graph g;
      bool ok = false;
      try {
        ok = cnnc::buildGraph(diag, g) && cnnc::runPipeline(g, diag);
      } catch (const std::exception &e) {
        FAIL("the compiler threw instead of reporting: " << e.what());
      }
      REQUIRE_FALSE(ok);
      REQUIRE(diag.hasErrors());

      std::string junk;
      std::vector<Reported> reported = parseDiagnostics(diag.text(), file, junk);
      CHECK(junk.empty());
      CHECK(diag.errorCount() == (int)std::count_if(reported.begin(), reported.end(), [](auto &r) {
              return !r.note;
            })); // nothing hidden past the cap

      // One readable verdict per file: every difference, then the whole picture.
      std::string problems;
      if (reported.size() != expected.size())
        problems += "expected " + std::to_string(expected.size()) + " errors, got " +
                    std::to_string(reported.size()) + "\n";
      for (size_t i = 0; i < std::min(expected.size(), reported.size()); ++i) {
        const Expected &e = expected[i];
        const Reported &r = reported[i];
        std::string at = "error #" + std::to_string(i + 1) + ": ";
        if (r.line != e.line || r.col != e.col || r.note != e.note ||
            r.message.find(e.text) == std::string::npos) {
          problems += at + "expected " + std::to_string(e.line) + ":" + std::to_string(e.col) +
                      (e.note ? ": note: ..." : ": ...") + e.text + "...\n          got " +
                      std::to_string(r.line) + ":" + std::to_string(r.col) +
                      (r.note ? ": note: " : ": ") + r.message + "\n";
          continue;
        }
        // The source line shown is the file's line; the caret is under the column.
        std::string src = e.line >= 1 && e.line <= (int)srcLines.size() ? srcLines[e.line - 1] : "";
        if (!r.hasContext)
          problems += at + "no source line and caret after the message\n";
        else if (r.sourceLine != src || r.caretLine != expectedCaret(src, e.col))
          problems += at + "source/caret lines are\n  " + r.sourceLine + "\n  " + r.caretLine +
                      "\nexpected\n  " + src + "\n  " + expectedCaret(src, e.col) + "\n";
      }
      INFO("reported:\n" << describe(reported) << "diagnostics:\n" << diag.text());
      CHECK(problems == "");
    }
  }
}

TEST_CASE("the expect-error reader and the diagnostics splitter", "[error]") {
  // Self-test of the helpers above, on a diagnostic made by Diag itself.
  auto exp =
      expectations("# expect-error: 3:7: unknown op 'x'\n  #expect-error:10:1:y\nmodel m {}\n");
  REQUIRE(exp.size() == 2);
  CHECK(exp[0].line == 3);
  CHECK(exp[0].col == 7);
  CHECK(exp[0].text == "unknown op 'x'");
  CHECK(exp[1].line == 10);
  CHECK(exp[1].text == "y");

  cnnc::Diag d("f.cnn", "line one\n\tx = bad\n");
  d.error({2, 6}, "first");
  d.error({}, "no location");
  d.error({1, 50}, "past the end");
  std::string junk;
  auto r = parseDiagnostics(d.text(), "f.cnn", junk);
  CHECK(junk.empty());
  // Diag prints in source order: no location first, then by line and column.
  REQUIRE(r.size() == 3);
  CHECK(r[0].line == 0);
  CHECK(r[0].message == "no location");
  CHECK_FALSE(r[0].hasContext);
  CHECK(r[1].line == 1);
  CHECK(r[1].caretLine == expectedCaret("line one", 50));
  CHECK(r[1].caretLine == "        ^");
  CHECK(r[2].line == 2);
  CHECK(r[2].col == 6);
  CHECK(r[2].message == "first");
  CHECK(r[2].sourceLine == "\tx = bad");
  CHECK(r[2].caretLine == "\t    ^");
  CHECK(r[2].caretLine == expectedCaret("\tx = bad", 6));

  // A note travels with its error (Diag sorts errors, not notes) and has the same form.
  cnnc::Diag n("f.cnn", "line one\nline two\n");
  n.error({2, 3}, "the error");
  n.note({1, 6}, "its cause");
  r = parseDiagnostics(n.text(), "f.cnn", junk);
  CHECK(junk.empty());
  REQUIRE(r.size() == 2);
  CHECK_FALSE(r[0].note);
  CHECK(r[1].note);
  CHECK(r[1].line == 1);
  CHECK(r[1].message == "its cause");
  CHECK(r[1].caretLine == "     ^");
  CHECK(expectations("# expect-note: 1:6: its cause\n").at(0).note);
}

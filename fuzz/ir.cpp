// fuzz/ir.cpp - the textual IR parser (ir/IRParser.cpp) on arbitrary bytes.
// Every input must end in diagnostics or a verified graph, and a graph that
// parses must print to text that parses back and prints the same (the
// printer and the parser agree); a crash, a sanitizer report or a hang is a bug.
#include "ir/IR.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (64 << 10))
    return -1;
  cnnc::Diag diag("fuzz.ir", std::string(reinterpret_cast<const char *>(data), size));
  cnnc::Graph g;
  bool ok = cnnc::parseGraph(diag, g);
  if (ok != !diag.hasErrors())
    __builtin_trap(); // success and diagnostics must agree
  (void)diag.text();
  if (!ok)
    return 0;
  std::string text = cnnc::printGraph(g);
  cnnc::Diag again("printed.ir", text);
  cnnc::Graph g2;
  if (!cnnc::parseGraph(again, g2) || cnnc::printGraph(g2) != text)
    __builtin_trap(); // the printer wrote what the parser cannot read back
  (void)cnnc::graphToDot(g, "fuzz");
  return 0;
}

// fuzz/frontend.cpp - the front end on arbitrary bytes taken as .cnn source: lex, parse,
// build the IR, then the whole pass pipeline up to codegen (shape inference, the
// optimizer, memory planning), and the printers on whatever survives. Every input must
// end in diagnostics or a verified graph: a crash, a sanitizer report, an internal
// compiler error (CNNC_ASSERT throws cnnc::Error, which we let escape) or a hang is a bug.
#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Real models are a few KiB; the 16 MiB source cap has its own unit test.
  if (size > (64 << 10))
    return -1; // Not added to the corpus.
  cnnc::Diag diag("fuzz.cnn", std::string(reinterpret_cast<const char *>(data), size));
  cnnc::Graph g;
  bool ok = cnnc::buildGraph(diag, g) && cnnc::runPipeline(g, diag);
  if (ok != !diag.hasErrors())
    __builtin_trap(); // success and diagnostics must agree
  if (ok) {
    (void)cnnc::printGraph(g);
    (void)cnnc::graphToDot(g, "fuzz");
  }
  (void)diag.text(); // renders every diagnostic with its source line and caret
  return 0;
}

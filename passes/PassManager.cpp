// passes/PassManager.cpp - the default pipeline from Passes.def; verifies the
// graph after every pass and reports each stage to the caller's hook (dumps,
// --print-after).
#include "passes/Passes.h"

namespace cnnc {

const std::vector<PassInfo> &defaultPipeline() {
  static const std::vector<PassInfo> passes = {
#define PASS(name, fn) {name, fn},
#include "passes/Passes.def"
  };
  return passes;
}

bool runPipeline(Graph &g, Diag &diag, const PipelineHooks &hooks) {
  if (hooks.afterStage)
    hooks.afterStage("parsed", 0, g);
  int index = 1;
  for (const PassInfo &p : defaultPipeline()) {
    p.run(g, diag);
    if (diag.hasErrors())
      return false;
    std::string broken = verify(g);
    CNNC_ASSERT(broken.empty(), std::string("after pass ") + p.name + ": " + broken);
    if (hooks.afterStage)
      hooks.afterStage(p.name, index++, g);
  }
  return true;
}

} // namespace cnnc

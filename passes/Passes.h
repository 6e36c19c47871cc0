// passes/Passes.h - the passes and the pass manager.
#pragma once

#include "ir/IR.h"

#include <functional>
#include <string>
#include <vector>

namespace cnnc {

#define PASS(name, fn) bool fn(Graph &g, Diag &diag);
#include "passes/Passes.def"

struct PassInfo {
  const char *name;
  bool (*run)(Graph &, Diag &);
};
const std::vector<PassInfo> &defaultPipeline();

struct PipelineHooks {
  /// Called with the stage name before the first pass ("parsed") and after each pass.
  std::function<void(const std::string &stage, int index, const Graph &g)> afterStage;
};

/// Runs the default pipeline, verifying the graph after every pass. Stops at
/// the first pass that reports an error; returns false then.
bool runPipeline(Graph &g, Diag &diag, const PipelineHooks &hooks = {});

/// Shared by shape inference and codegen: the output size of a window op.
int64_t windowOutput(int64_t in, int64_t k, int s, PadMode mode, int padBefore, int padAfter,
                     bool ceil = false);

/// One node's shape rule (infer-shapes' own), for a front end that needs
/// shapes as it builds (the ONNX importer); its inputs' types must be known.
bool inferNodeShape(Graph &g, Node &n, Diag &diag);

} // namespace cnnc

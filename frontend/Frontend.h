// frontend/Frontend.h - source text to graph IR.
#pragma once

#include "ir/IR.h"

namespace cnnc {

/// Lexes, parses and builds the IR of a model. On failure returns false with
/// every error in `diag`. Shapes are left to the infer-shapes pass.
bool buildGraph(Diag &diag, Graph &out);

/// Source size and nesting limits: inputs beyond them are rejected up front.
constexpr size_t MaxSourceBytes = 16 << 20;
constexpr size_t MaxLayers = 10000; // statements that make layers

} // namespace cnnc

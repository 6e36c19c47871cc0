// frontend/Frontend.h - source text to graph IR.
#pragma once

#include "ir/IR.h"

namespace cnnc {

/// Lexes, parses and builds the IR of a model. On failure returns false with
/// every error in `diag`. Shapes are left to the infer-shapes pass.
bool buildGraph(Diag &diag, Graph &out);

/// The .cnn text of a graph as a front end leaves it, before any pass (cnnc
/// import writes the ONNX importer's): one statement per layer, named after
/// it, with its inputs by name and every attribute that is required, shown
/// (Ops.def) or not at its default; `input` and `output` statements. Layers
/// no output depends on are left out. `comment` goes first, each line after
/// "# "; `written` receives the names of the layers written (their weights
/// are "<name>.weight" etc.). Throws Error naming the layer that cannot be
/// written (a name that is not a DSL name, an attribute a pass sets) or an
/// output that is an input or listed twice.
std::string writeDsl(const Graph &g, const std::string &comment = "",
                     std::vector<std::string> *written = nullptr);

/// Source size and nesting limits: inputs beyond them are rejected up front.
constexpr size_t MaxSourceBytes = 16 << 20;
constexpr size_t MaxLayers = 10000; // statements that make layers

} // namespace cnnc

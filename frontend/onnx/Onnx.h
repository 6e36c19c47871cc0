// frontend/onnx/Onnx.h - an ONNX model (.onnx, protobuf) to the graph IR and
// its weights. The same IR as the DSL's: every pass and kernel serves it.
#pragma once

#include "cnnc/Tensor.h"
#include "ir/IR.h"

#include <string>
#include <vector>

namespace cnnc {

struct OnnxImport {
  Graph graph;       // channels-last, as the DSL builds it; shapes left to infer-shapes
  WeightMap weights; // "<layer>.weight" etc., PyTorch layouts
  /// The graph's own input and output shapes (NCHW: [1, C, H, W], [1, N]).
  std::vector<Shape> inputShapes, outputShapes;
};

/// Parses `bytes` as an ONNX ModelProto, runs onnx::checker, and translates
/// it, inferring shapes with the IR's own rules. On failure returns false with the errors in
/// `diag` (every unsupported op or attribute in one error).
/// `inputShapes` pins graph inputs' shapes by name ("" for the only input):
/// their dynamic dimensions take these values, their fixed ones must match.
bool importOnnx(const std::string &bytes, Diag &diag, OnnxImport &out,
                const std::vector<std::pair<std::string, std::vector<int64_t>>> &inputShapes = {});

/// ONNX models larger than this are rejected before parsing.
constexpr size_t MaxOnnxBytes = size_t(1) << 30;

} // namespace cnnc

// api/Import.cpp - cnnc import: an ONNX model to a readable .cnn and its
// weights, through the same importer as compileFile(".onnx") and the DSL
// writer (frontend/Writer.cpp).
#include "api/ModelImpl.h"
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "frontend/Frontend.h"
#include "frontend/onnx/Onnx.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

namespace cnnc {
namespace {

/// A DSL name from a file's stem: other characters become '_'.
std::string modelName(const std::string &stem) {
  std::string s;
  for (char c : stem)
    s += std::isalnum((unsigned char)c) ? c : '_';
  return s.empty() || std::isdigit((unsigned char)s[0]) ? "m" + s : s;
}

/// The header comment: where it came from and the ONNX layouts of its ends.
std::string header(const std::string &onnxPath, const std::string &weightsPath,
                   const OnnxImport &m) {
  auto fileName = [](const std::string &p) { return std::filesystem::path(p).filename().string(); };
  std::string s =
      "Imported from " + fileName(onnxPath) + " by cnnc import; weights: " + fileName(weightsPath) +
      ".\nChannels-last ([H, W, C]) like any .cnn model; " + "in the ONNX graph's own layout:";
  for (size_t k = 0; k < m.graph.inputs.size(); ++k)
    s += "\n  input " + m.graph.nodes[m.graph.inputs[k]].name + ": " +
         shapeToString(m.inputShapes.at(k));
  for (size_t k = 0; k < m.graph.outputs.size(); ++k)
    s += "\n  output " + m.graph.nodes[m.graph.outputs[k]].name + ": " +
         shapeToString(m.outputShapes.at(k));
  return s;
}

void writeText(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !f.write(text.data(), (std::streamsize)text.size()) || !f.flush())
    throw Error(path + ": error: cannot write the file");
}

} // namespace

ImportedModel
importModel(const std::string &onnxPath, const std::string &cnnPath,
            const std::vector<std::pair<std::string, std::vector<int64_t>>> &inputShapes) {
  const std::filesystem::path out(cnnPath);
  if (out.extension() != ".cnn" || out.stem().empty())
    throw Error(cnnPath + ": error: the output must be a .cnn path (NAME.cnn); the weights go "
                          "beside it as NAME.safetensors");
  ImportedModel r;
  r.cnnPath = cnnPath;
  r.weightsPath = std::filesystem::path(out).replace_extension(".safetensors").string();
  Diag diag(onnxPath, "");
  OnnxImport m;
  if (!importOnnx(readModelFile(onnxPath, true), diag, m, inputShapes))
    throw Error(diag.text());
  m.graph.name = modelName(out.stem().string());
  std::vector<std::string> layers;
  std::string text;
  try {
    text = writeDsl(m.graph, header(onnxPath, r.weightsPath, m), &layers);
  } catch (const Error &e) {
    throw Error(onnxPath + ": error: cannot be written as .cnn: " + e.what());
  }
  // Only the written layers' weights: a layer no output needs is not in the .cnn.
  const std::set<std::string> written(layers.begin(), layers.end());
  WeightMap weights;
  for (auto &[key, t] : m.weights)
    if (written.count(key.substr(0, key.rfind('.'))))
      weights.emplace(key, std::move(t));
  saveSafetensors(r.weightsPath, weights);
  writeText(cnnPath, text);
  r.layers = (int)layers.size();
  r.weights = (int)weights.size();
  return r;
}

} // namespace cnnc

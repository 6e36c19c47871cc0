// frontend/onnx/Translator.h - the ONNX importer's state, shared by
// Import.cpp (the model, tensors, the driver) and Ops.cpp (one function per op).
#pragma once

#include "frontend/onnx/Onnx.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace cnnc::onnximport {

/// A constant folded at import time (an initializer, a Constant, shape
/// arithmetic), in doubles: int64 shapes and float weights both fit.
struct Const {
  std::vector<int64_t> dims;
  std::vector<double> v;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    return n;
  }
};

/// An ONNX tensor's value: a constant, or an IR value with the ONNX shape it
/// stands for ([1, C, H, W] is the IR's [H, W, C], [1, N] its [N]).
struct Val {
  bool isConst = false;
  Const c;
  ValueId id = -1;
  std::vector<int64_t> shape;
};

/// A node's attributes, each read at most once; finish() reports the rest.
class AttrReader {
public:
  explicit AttrReader(const onnx::NodeProto &n);
  int64_t i(const std::string &name, int64_t def);
  float f(const std::string &name, float def);
  std::string s(const std::string &name, const std::string &def);
  std::vector<int64_t> ints(const std::string &name, std::vector<int64_t> def = {});
  const onnx::TensorProto *t(const std::string &name);
  bool has(const std::string &name) const { return attrs_.count(name) > 0; }
  /// The attributes no read asked for.
  std::vector<std::string> unread() const;

private:
  const onnx::AttributeProto *get(const std::string &name, onnx::AttributeProto::AttributeType t);
  std::map<std::string, const onnx::AttributeProto *> attrs_;
  std::set<std::string> read_;
};

class Translator {
public:
  using Pinned = std::vector<std::pair<std::string, std::vector<int64_t>>>;
  Translator(Diag &diag, OnnxImport &out, const Pinned &pinned)
      : diag_(diag), out_(out), pinned_(pinned) {}
  bool run(onnx::ModelProto &m);

  // ---- used by the op functions (Ops.cpp)
  const onnx::NodeProto *node = nullptr; // the node being translated
  /// Records that the current node cannot be translated (reported together at the end).
  void unsupported(const std::string &what);
  /// Input k of the current node (null, with an error, if it is missing or not
  /// yet defined); `optional` inputs may be absent (returns null, no error).
  const Val *input(int k, bool optional = false);
  const Const *constInput(int k, bool optional = false);
  /// An input that must be an image [1, C, H, W] / vector [1, N] (error otherwise).
  const Val *image(int k);
  /// Adds an IR node named after the current node (`suffix` for a second one).
  ValueId add(OpKind op, Attrs attrs, std::vector<ValueId> inputs, const std::string &layer = "");
  /// Defines output k of the current node.
  void define(int k, Val v);
  /// Defines output k as an IR value, its ONNX shape from the IR's.
  void defineTensor(int k, ValueId id) { define(k, Val{false, {}, id, irShape(id)}); }
  /// [H, W, C] -> [1, C, H, W], [N] -> [1, N]; empty if unknown.
  std::vector<int64_t> irShape(ValueId id) const;
  void defineConst(int k, Const c) { define(k, Val{true, std::move(c), -1, {}}); }
  /// The layer name for the current node, made unique: its weight
  /// initializer's name ("layer1.0.conv1.weight" -> layer1.0.conv1), else
  /// the PyTorch module path in torch.onnx's node name
  /// ("/layer1/layer1.0/conv1/Conv" -> layer1.0.conv1), else the node's name.
  std::string layerName(const std::string &weightName = "");
  void setWeight(const std::string &key, const Const &c, std::vector<int64_t> dims);
  /// A per-channel affine y = w x + b on an IR value (a batchnorm node with
  /// unit variance): constant scalars and [C] vectors on tensors.
  ValueId affine(ValueId x, int64_t channels, std::vector<double> w, std::vector<double> b);
  /// The value of an ONNX tensor by name (null if undefined).
  const Val *value(const std::string &name) const {
    auto it = vals_.find(name);
    return it == vals_.end() ? nullptr : &it->second;
  }
  Graph &graph() { return out_.graph; }
  int64_t opset = 13;
  /// Nodes a pattern has absorbed (their outputs are not defined).
  std::set<const onnx::NodeProto *> skip;
  /// Nodes that a pattern turns into gelu(x): the Mul -> x's name.
  std::map<const onnx::NodeProto *, std::string> gelu;
  std::map<std::string, const onnx::NodeProto *> producer;
  std::map<std::string, int> consumers;

private:
  void translate(const onnx::NodeProto &n);
  bool failedInput(const onnx::NodeProto &n) const;
  bool graphInputs(const onnx::GraphProto &g);
  /// An input's dimensions, pinned by --input-shape where it names it; `why` if not usable.
  std::vector<int64_t> inputDims(const onnx::ValueInfoProto &in, int count, std::string &why);
  void matchPatterns(const onnx::GraphProto &g);
  Diag &diag_;
  OnnxImport &out_;
  const Pinned &pinned_;
  std::set<std::string> pinnedUsed_;
  std::map<std::string, Val> vals_;
  std::set<std::string> names_;
  std::vector<std::string> unsupported_;
  std::set<std::string> failed_; // outputs of nodes that could not be translated
};

/// Decodes an initializer or Constant tensor; false with `why`.
bool decodeTensor(const onnx::TensorProto &t, Const &c, std::string &why);
/// Translates the current node of `t`, reading its attributes with `r`;
/// false if its op type is unknown.
bool translateOp(Translator &t, const onnx::NodeProto &n, AttrReader &r);
// Channels.cpp: tensors (not constants) in Slice, Transpose, Reshape.
void sliceTensor(Translator &t, const Val &x);
void transposeTensor(Translator &t, AttrReader &r, const Val &x);
bool reshapeChannels(Translator &t, const Val &x, const std::vector<int64_t> &out);
/// Names that are DSL identifiers: [A-Za-z_][A-Za-z0-9_]*.
std::string sanitize(const std::string &s);

} // namespace cnnc::onnximport

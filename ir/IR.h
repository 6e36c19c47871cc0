// ir/IR.h - the graph IR: one op table, one Node struct, one Graph that owns them.
// Nodes refer to each other by index (ValueId); every node produces one tensor.
#pragma once

#include "ir/Diag.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cnnc {

enum class OpKind {
#define OP(Enum, dsl, keras, prefix, arity, traits) Enum,
#include "ir/Ops.def"
};
enum OpTrait : unsigned { HasWeights = 1, Fusable = 2, Pool = 4, Elementwise = 8 };

const char *opName(OpKind op);       // "conv2d"
const char *opKerasType(OpKind op);  // "Conv2D"
const char *opNamePrefix(OpKind op); // "conv2d", "max_pooling2d"
int opArity(OpKind op);              // -1: two or more
bool hasTrait(OpKind op, OpTrait trait);

/// Activation functions; Linear is the identity.
enum class Act { Linear, Relu, Tanh, Sigmoid, Softmax, Relu6, Clip, LeakyRelu };
/// Every Act, in the order the DSL lists them.
inline constexpr Act AllActs[] = {Act::Linear,  Act::Relu,  Act::Tanh, Act::Sigmoid,
                                  Act::Softmax, Act::Relu6, Act::Clip, Act::LeakyRelu};
const char *actName(Act act);
std::optional<Act> parseAct(const std::string &name);

/// An activation with its parameters: Clip keeps [lo, hi], LeakyRelu uses
/// `lo` as its slope alpha. Converts from and compares with a plain Act.
struct ActFn {
  Act kind = Act::Linear;
  float lo = 0, hi = 0;
  ActFn(Act k = Act::Linear, float l = 0, float h = 0) : kind(k), lo(l), hi(h) {}
  bool operator==(Act k) const { return kind == k; }
  bool operator==(const ActFn &o) const = default;
};
/// Floats rounded up to whole 64-byte lines: every arena buffer and packed weight starts on one.
inline int64_t alignedFloats(int64_t floats) { return (floats + 15) / 16 * 16; }

/// A number as the printer shows it ("%g": 1e-05, 0.3, 6).
std::string numberString(double x);
/// "relu", "clip(-1, 1)", "leaky_relu(0.3)".
std::string actString(const ActFn &act);

enum class PadMode { Valid, Same, Explicit };

struct Padding {
  PadMode mode = PadMode::Valid;
  int top = 0, bottom = 0, left = 0, right = 0; // explicit, or resolved by shape inference
  bool any() const { return top + bottom + left + right > 0; }
};

/// Where a pool's work is split: `rows` output rows and `cblocks` channel
/// vectors per tile. Zero means "not planned yet".
struct TilePlan {
  int rows = 0;
  int cblocks = 0;
};
/// Channels in one of a TilePlan's channel blocks (tile-pooling's and codegen's).
constexpr int PoolChannelBlock = 16;

/// A batchnorm folded into the conv/dense before it: the packer scales the
/// weights and shifts the bias with its statistics when weights are loaded.
struct FoldedBN {
  std::string name; // the batchnorm's layer name (its weight key prefix); empty if none
  double eps = 0;
};

struct ConvAttrs {
  int filters = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1;
  int groups = 1; // input and output channels split in `groups` independent convs
  Padding pad;
  bool useBias = true;
  // Set by the fusion passes: bias -> batchnorm -> + inputs[1] (residual) -> act
  // -> a max pool of pool x pool, stride pool (0: none; the node's type is then
  // the pooled one, the conv's own output is never stored).
  FoldedBN bn;
  bool residual = false;
  ActFn act;
  int pool = 0;
};

/// Max and min ignore padded cells. Average divides by the real pixels for
/// `same` (Keras) and by the whole window for explicit padding (PyTorch).
struct PoolAttrs {
  int kh = 1, kw = 1, sh = 1, sw = 1;
  Padding pad;
  TilePlan tile;
};

struct DenseAttrs {
  int units = 0;
  bool useBias = true;
  FoldedBN bn; // set by the fusion passes
  ActFn act;
  bool image = false; // set by fuse: the input is an image (an absorbed flatten), read HWC
};

struct ActAttrs {
  ActFn act;
};

struct BatchNormAttrs {
  double eps = 1e-3; // Keras's default
};

struct ZeroPadAttrs {
  Padding pad; // always explicit
};

struct DropoutAttrs {
  double rate = 0.5;
};

using Attrs = std::variant<std::monostate, ConvAttrs, PoolAttrs, DenseAttrs, ActAttrs,
                           BatchNormAttrs, ZeroPadAttrs, DropoutAttrs>;

/// The memory layout of a tensor. HWC is channels-last without a batch axis.
enum class Layout { Unknown, HWC, Vector };
const char *layoutName(Layout layout);

struct TensorType {
  std::vector<int64_t> dims; // empty until shape inference
  Layout layout = Layout::Unknown;
  bool known() const { return !dims.empty(); }
  int64_t elements() const;
  std::string str() const; // "f32[26, 26, 32]" or "f32[?]"
};

using ValueId = int;

struct Node {
  OpKind op = OpKind::Input;
  std::string name;            // the layer name ("conv2d_1"), also the weight key prefix
  std::vector<ValueId> inputs; // producers
  Attrs attrs;
  TensorType type;
  SourceLoc loc;
  bool implicit = false;             // made by the front end for conv2d(activation=...)
  bool dead = false;                 // removed by a pass; kept so ids stay stable
  std::vector<std::string> absorbed; // what fusion folded in: "bn1 (batchnorm)", or "relu"
  int64_t offset = -1;               // arena offset in floats, set by memory planning
  int64_t scratch = -1;              // conv: arena offset of its zero-bordered input copy
  /// Memory planning: the output buffer holds the value inside a zero border
  /// this wide (the padding its only reader, a conv, needs); `offset` is the
  /// buffer's corner and the producer writes the interior, rows Wp apart.
  Padding border;
  int lastUse = -1; // memory planning: the last node that reads this value
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  ValueId input = -1;
  ValueId output = -1;
  int64_t arenaFloats = 0; // set by memory planning
  int64_t naiveFloats = 0; // what it would be with a buffer per value (for comparison)
  int64_t guardFloats = 0; // set before planning: a guard zone before and after every buffer

  ValueId add(Node node) {
    nodes.push_back(std::move(node));
    return (ValueId)nodes.size() - 1;
  }
  /// Live nodes that take `id` as an input.
  std::vector<ValueId> users(ValueId id) const;
  /// Rewrites every use of `from` (and the graph output) to `to`.
  void replaceUses(ValueId from, ValueId to);
};

template <class T> T &attrs(Node &n) { return std::get<T>(n.attrs); }
template <class T> const T &attrs(const Node &n) { return std::get<T>(n.attrs); }

/// Parameters of a node (weights + bias, batchnorm statistics), from its
/// attributes and input shape; `trainable` leaves out the moving statistics.
int64_t paramCount(const Graph &g, const Node &n, bool trainableOnly = false);
/// Floating point operations of a node (a multiply-add counts as two).
int64_t flopCount(const Graph &g, const Node &n);
/// Shapes of the node's weights in PyTorch layout: {".weight", [..]}, {".bias", [..]}.
std::vector<std::pair<std::string, std::vector<int64_t>>> weightShapes(const Graph &g,
                                                                       const Node &n);

/// What fusion can put into a conv2d's or dense's epilogue (pointers into its
/// attributes); all null for every other op, and `residual` for dense.
struct Epilogue {
  FoldedBN *bn = nullptr;
  ActFn *act = nullptr;
  bool *residual = nullptr;
};
Epilogue epilogue(Node &n);

/// Whether a node is a view of its input (a flatten of a vector: no kernel, no
/// buffer). A flatten of an image is a real copy into PyTorch's CHW order.
bool isView(const Graph &g, const Node &n);

/// An absorbed entry's name ("bn1 (batchnorm)" -> "bn1"; "relu" stays) and op
/// kind ("bn1 (batchnorm)" -> "batchnorm"; "relu" stays).
std::string absorbedName(const std::string &entry);
std::string absorbedKind(const std::string &entry);

/// Floats of a padded conv's zero-bordered input (0 without padding): a
/// scratch copy, or the input's own buffer when that has the border.
int64_t scratchFloats(const Graph &g, const Node &n);
/// Floats of a node's output buffer: its elements, border included.
int64_t bufferFloats(const Node &n);
bool hasBorder(const Node &n);

/// How many inputs a node must have (a conv with a fused residual has two).
bool arityOk(const Node &n);
/// Structural checks (inputs defined before use, arity, types where known).
/// Returns the first broken invariant, or an empty string.
std::string verify(const Graph &g);
/// Deterministic text form, one node per line:
///   %1 = conv2d(%0) {name=conv2d, filters=32, kernel=[3,3], ...} : f32[26, 26, 32]
std::string printGraph(const Graph &g);
/// Graphviz DOT; `stage` is shown as the title.
std::string graphToDot(const Graph &g, const std::string &stage);
/// The attributes of a node as "k=v, k=v" (shared by the printer and the DOT writer).
std::string attrString(const Node &n);

} // namespace cnnc

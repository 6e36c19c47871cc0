// ir/IR.h - the graph IR: one op table, one Node struct, one Graph that owns them.
// Nodes refer to each other by index (ValueId); every node produces one tensor.
#pragma once

#include "ir/Diag.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cnnc {

enum class OpKind {
#define OP(Enum, dsl, keras, prefix, arity, traits, Attrs, weights, cost, colour) Enum,
#include "ir/Ops.def"
};
enum OpTrait : unsigned {
  HasWeights = 1,
  HasEpilogue = 2,
  Fusable = 4,
  Elementwise = 8,
  Pool = 16,
  Identity = 32
};
/// The PyTorch layout of an op's weights (the table's `weights` column).
/// ChannelWeight: "<name>.weight" of [C], or [1] for a prelu with shared=true.
enum class WeightRule { None, ConvOIHW, DenseOI, ChannelStats, ChannelWeight, ConvTransposeIOHW };
/// An op's FLOP formula (the table's `cost` column).
enum class CostRule {
  Free,
  PerOutput,
  TwoPerOutput,
  PerInput,
  PerWindow,
  Conv,
  Dense,
  ConvTranspose
};

const char *opName(OpKind op);       // "conv2d"
const char *opKerasType(OpKind op);  // "Conv2D"
const char *opNamePrefix(OpKind op); // "conv2d", "max_pooling2d"
const char *opColour(OpKind op);     // the DOT fill colour
int opArity(OpKind op);              // -1: two or more
bool hasTrait(OpKind op, OpTrait trait);
WeightRule opWeights(OpKind op);
CostRule opCost(OpKind op);
std::optional<OpKind> parseOp(const std::string &dsl);
/// Every op, in table order.
inline constexpr OpKind AllOps[] = {
#define OP(Enum, dsl, keras, prefix, arity, traits, Attrs, weights, cost, colour) OpKind::Enum,
#include "ir/Ops.def"
};

/// Activation functions (Ops.def's ACT rows); Linear is the identity.
enum class Act {
#define ACT(Enum, dsl, param, def, param2, def2, min, max) Enum,
#include "ir/Ops.def"
};
/// Every Act, in the order the DSL lists them.
inline constexpr Act AllActs[] = {
#define ACT(Enum, dsl, param, def, param2, def2, min, max) Act::Enum,
#include "ir/Ops.def"
};
/// An activation's ACT row: its parameters' names (null: none), defaults (NAN:
/// required) and range.
struct ActInfo {
  const char *name;
  const char *param[2];
  double def[2];
  double min, max;
};
const ActInfo &actInfo(Act act);
const char *actName(Act act);
/// A function by its name or an alias (ACT_ALIAS: swish is silu).
std::optional<Act> parseAct(const std::string &name);
/// The DSL names that are aliases (ACT_ALIAS rows) and what they name.
const std::vector<std::pair<std::string, Act>> &actAliases();
/// The words of a word-valued parameter (ACT_WORDS), its first; ActFn::lo is
/// the word's index. Empty when the parameters are numbers.
const std::vector<std::string> &actWords(Act act);
/// gelu's approximate= (ActFn::lo): the erf form ("none") or the tanh form.
enum class GeluForm { Erf = 0, Tanh = 1 };

/// An activation with its parameters: `lo` and `hi` are the ACT row's params
/// (clip's [min, max], leaky_relu's alpha). Converts from and compares with a plain Act.
struct ActFn {
  Act kind = Act::Linear;
  float lo = 0, hi = 0;
  ActFn(Act k = Act::Linear, float l = 0, float h = 0) : kind(k), lo(l), hi(h) {}
  /// The function with its ACT row's default parameters.
  static ActFn withDefaults(Act k);
  bool operator==(Act k) const { return kind == k; }
  bool operator==(const ActFn &o) const = default;
};
/// Floats rounded up to whole 64-byte lines: every arena buffer and packed weight starts on one.
inline int64_t alignedFloats(int64_t floats) { return (floats + 15) / 16 * 16; }

/// The shortest text that reads back as the same number ("1e-05", "0.3", "6").
std::string numberString(double x);
std::string numberString(float x);
/// "relu", "clip(-1, 1)", "leaky_relu(0.3)".
std::string actString(const ActFn &act);

enum class PadMode { Valid, Same, Explicit };

struct Padding {
  PadMode mode = PadMode::Valid;
  int top = 0, bottom = 0, left = 0, right = 0; // explicit, or resolved by shape inference
  bool any() const { return top + bottom + left + right > 0; }
  bool operator==(const Padding &) const = default;
};

/// Where a pool's work is split: `rows` output rows and `cblocks` channel
/// vectors per tile. Zero means "not planned yet".
struct TilePlan {
  int rows = 0;
  int cblocks = 0;
  bool operator==(const TilePlan &) const = default;
};
/// Channels in one of a TilePlan's channel blocks (tile-pooling's and codegen's).
constexpr int PoolChannelBlock = 16;

/// A batchnorm folded into the conv/dense before it: the packer scales the
/// weights and shifts the bias with its statistics when weights are loaded.
struct FoldedBN {
  std::string name; // the batchnorm's layer name (its weight key prefix); empty if none
  double eps = 0;
  bool operator==(const FoldedBN &) const = default;
};

/// Word-valued attribute types (Ops.def's WORDS blocks): an enum class each,
/// its values in the order of their words.
#define WORDS(T) enum class T {
#define WORD(T, Enum, word) Enum,
#define END_WORDS(T)                                                                               \
  }                                                                                                \
  ;
#include "ir/Ops.def"

/// The words of a WORDS type, value i's at [i] (declared once, in Ops.def).
template <class T> struct WordList {
  static constexpr bool words = false;
};
#define WORDS(T)                                                                                   \
  template <> struct WordList<T> {                                                                 \
    static constexpr bool words = true;                                                            \
    static const std::vector<std::string> &list() {                                                \
      static const std::vector<std::string> w = {
#define WORD(T, Enum, word) word,
#define END_WORDS(T)                                                                               \
  }                                                                                                \
  ;                                                                                                \
  return w;                                                                                        \
  }                                                                                                \
  }                                                                                                \
  ;
#include "ir/Ops.def"
/// Whether T is a word-valued attribute type.
template <class T>
concept WordEnum = WordList<T>::words;
/// The words of T's values, in value order.
template <WordEnum T> const std::vector<std::string> &wordList() { return WordList<T>::list(); }
template <WordEnum T> const std::string &wordOf(T v) { return wordList<T>().at((size_t)v); }
/// The value whose word is `w`, if any.
template <WordEnum T> std::optional<T> parseWord(const std::string &w) {
  const std::vector<std::string> &l = wordList<T>();
  for (size_t i = 0; i < l.size(); ++i)
    if (l[i] == w)
      return (T)i;
  return std::nullopt;
}

/// The largest integer attribute the DSL takes.
constexpr int MaxAttrInt = 1 << 20;
/// Attribute flags (Ops.def's ATTR rows).
enum AttrFlag : unsigned { Dsl = 1, Required = 2, Shown = 4 };
/// One attribute of a struct, as its ATTR or PAIR row declares it.
struct AttrSpec {
  const char *name;
  double min, max;
  unsigned flags;
};

/// The attribute structs, generated from Ops.def. Each has a defaulted == and
/// `visit(a, v)`, which calls v(spec, field, default) for every ATTR row and
/// v(spec, field_h, field_w, default_h, default_w) for every PAIR row, in
/// table order (`a` may be const).
struct NoAttrs {
  bool operator==(const NoAttrs &) const = default;
  template <class Self, class V> static void visit(Self &, V &&) {}
};
#define ATTRS(S) struct S {
#define ATTR(Type, field, name, def, min, max, flags) Type field = def;
#define PAIR(fh, fw, name, dh, dw, min, flags) int fh = dh, fw = dw;
#define END_ATTRS(S)                                                                               \
  bool operator==(const S &) const = default;                                                      \
  template <class Self, class V> static void visit(Self &a, V &&v);                                \
  }                                                                                                \
  ;
#include "ir/Ops.def"

#define ATTRS(S) template <class Self, class V> void S::visit(Self &a, V &&v) {
#define ATTR(Type, field, name, def, min, max, flags)                                              \
  {                                                                                                \
    static const Type d = def;                                                                     \
    v(AttrSpec{name, min, max, flags}, a.field, d);                                                \
  }
#define PAIR(fh, fw, name, dh, dw, min, flags)                                                     \
  v(AttrSpec{name, min, MaxAttrInt, flags}, a.fh, a.fw, dh, dw);
#define END_ATTRS(S) }
#include "ir/Ops.def"

using Attrs = std::variant<NoAttrs
#define ATTRS(S) , S
#include "ir/Ops.def"
                           >;
/// Whether a consumer (a kernel) that reads `fields` of attributes `a` reads
/// every one that is set: with those reset to their defaults, `a` must equal
/// the struct's defaults. A new attribute (dilation, say) at a non-default
/// value then makes a kernel that ignores it decline or stop with an internal
/// error: never a silently wrong result.
template <class S, class... F> bool readsAll(S a, F S::*...fields) {
  const S d{};
  ((a.*fields = d.*fields), ...);
  return a == d;
}

/// The attribute struct of `op` (Ops.def's Attrs column), at its defaults.
Attrs defaultAttrs(OpKind op);

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

/// A node that fusion folded into another one.
struct Absorbed {
  std::string name; // its layer name
  OpKind op = OpKind::Activation;
  bool implicit = false; // a conv2d(activation=...)'s activation, which the user did not name
  ActFn act;             // an activation's function
  /// What the IR and DOT show: "bn1 (batchnorm)", "r (relu)", or "relu" when implicit.
  std::string str() const;
  /// "bn1", "r", or "relu" when implicit.
  std::string label() const;
  /// "batchnorm", "relu".
  std::string kind() const;
  bool operator==(const Absorbed &) const = default;
};

struct Node {
  OpKind op = OpKind::Input;
  std::string name;            // the layer name ("conv2d_1"), also the weight key prefix
  std::vector<ValueId> inputs; // producers
  Attrs attrs;
  TensorType type;
  SourceLoc loc;
  bool implicit = false;          // made by the front end for conv2d(activation=...)
  bool dead = false;              // removed by a pass; kept so ids stay stable
  std::vector<Absorbed> absorbed; // what fusion folded in, in order
  int64_t offset = -1;            // arena offset in floats, set by memory planning
  int64_t scratch = -1;           // conv: arena offset of its zero-bordered input copy
  /// Memory planning: the output buffer holds the value inside a zero border
  /// this wide (the padding its only reader, a conv, needs); `offset` is the
  /// buffer's corner and the producer writes the interior, rows Wp apart.
  Padding border;
  int lastUse = -1; // memory planning: the last node that reads this value
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  /// The model's inputs (Input nodes, in declaration order) and outputs (in
  /// `output` order). Two outputs may become one value when a pass merges
  /// them (merge-common, remove-identity); the front end rejects naming one twice.
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  int64_t arenaFloats = 0; // set by memory planning
  int64_t naiveFloats = 0; // what it would be with a buffer per value (for comparison)
  int64_t guardFloats = 0; // set before planning: a guard zone before and after every buffer

  ValueId add(Node node) {
    nodes.push_back(std::move(node));
    return (ValueId)nodes.size() - 1;
  }
  /// Live nodes that take `id` as an input.
  std::vector<ValueId> users(ValueId id) const;
  /// Rewrites every use of `from` (and the graph outputs) to `to`.
  void replaceUses(ValueId from, ValueId to);
  /// Whether `id` is one of the model's outputs: a pass must keep its value
  /// (never fuse it away or write it into another buffer).
  bool isOutput(ValueId id) const;
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

/// Whether a conv2d is depthwise (groups == input == output channels, > 1).
bool isDepthwise(const Graph &g, const Node &n);
/// The zero border a node's kernel reads around its input: a padded conv's
/// padding, or the input rows and columns a transposed conv's taps reach past
/// the input (read as zeros instead of branching per tap); none for others,
/// nor for a depthwise conv, whose kernel skips the taps that fall outside.
Padding inputBorder(const Graph &g, const Node &n);
/// How far the taps of one axis of a transposed conv reach past an input of
/// `in` pixels: output o reads input (o + crop - k * d) / s for the taps k
/// where that divides; {pixels before 0, pixels after in - 1}.
std::pair<int64_t, int64_t> transposedReach(int64_t in, int64_t out, int k, int s, int d, int crop);
/// Floats of a node's zero-bordered input (0 without a border, inputBorder):
/// a scratch copy, or the input's own buffer when that has the border.
int64_t scratchFloats(const Graph &g, const Node &n);
/// Floats of a node's output buffer: its elements, border included.
int64_t bufferFloats(const Node &n);
bool hasBorder(const Node &n);

/// The channels [first, last) that a slice of a C-channel input takes:
/// negative start/end count from the end, a split's part is its share.
/// Not checked: InferShapes reports a range outside [0, C) or an empty one.
std::pair<int64_t, int64_t> sliceRange(const SliceAttrs &a, int64_t C);

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
/// Reads printGraph's text back (ir/IRParser.cpp): a single pass can then be
/// run on a given graph. Errors go to `diag` with the text's line and column.
bool parseGraph(Diag &diag, Graph &out);

} // namespace cnnc

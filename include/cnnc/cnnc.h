// cnnc/cnnc.h - the public C++ API: compile a .cnn model, load weights, run it.
//
//   cnnc::Model model = cnnc::Model::compileFile("lenet.cnn");
//   model.loadWeights("lenet.safetensors");      // or model.randomWeights(42)
//   cnnc::Tensor y = model.run(x);               // x has model.inputShape()
//   std::vector<cnnc::Tensor> ys = model.runAll({a, b}); // several inputs and/or outputs
//
// Every failure throws cnnc::Error whose what() holds the diagnostics
// ("file:line:col: error: ..." with the source line and a caret for model errors).
// Nothing in this API calls abort() on bad input.
#pragma once

#include "cnnc/Tensor.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace cnnc {

/// The instruction set the JIT generates code for. Host detects the CPU's
/// features; the others force a narrower target so every path can be tested.
enum class Target { Host, AVX512, AVX2, SSE4, Generic };
/// Parses "host", "avx512", "avx2", "sse4", "generic" (baseline x86-64: SSE2,
/// no FMA); throws Error otherwise.
Target parseTarget(const std::string &name);

/// A direct convolution's register tile: `rows` x `cols` output pixels x
/// `vectors` vectors of output channels, held in accumulators over the whole
/// reduction. All zero: the compiler's cost model chooses per layer.
struct ConvTile {
  int vectors = 0, rows = 0, cols = 0;
};

/// The stages Options::printAfter accepts, in pipeline order: "parsed" (the
/// graph as written, before any pass), then every pass of the default pipeline.
std::vector<std::string> passNames();

/// "cnnc VERSION (git COMMIT)\nLLVM VERSION\n": the project's version (CMake),
/// the git commit at configure time (if the source was a checkout), the LLVM linked.
std::string versionText();

/// Every DSL op with its arguments (required ones bare, the others with their
/// defaults), one per line, ops of one signature together, then split and the
/// activations: generated from the op table, so it is never stale (cnnc ops).
std::string opsText();

/// The compile cache's default directory: $XDG_CACHE_HOME/cnnc, else
/// $HOME/.cache/cnnc, else none ("").
std::string defaultCacheDir();

struct Options {
  Target target = Target::Host;
  /// The compile cache: an identical compilation (the same kernels as
  /// emitted, target CPU and features, LLVM version) loads its machine code
  /// from here instead of optimising and compiling again. Empty: no cache.
  std::string cacheDir = defaultCacheDir();
  /// False stops after the passes: summary(), layers() and the dumps work,
  /// run() throws. (cnnc summary uses this; it skips the JIT's cost.)
  bool generateCode = true;
  /// When set, writes one Graphviz file per compiler stage: DIR/NN-<stage>.dot.
  std::string dumpGraphDir;
  /// The format of those files: "dot" (the text), "svg" or "png" (rendered
  /// in-process with Graphviz; DIR/NN-<stage>.svg|png, the .dot stays beside it).
  std::string dumpFormat = "dot";
  /// Print the textual IR after these passes (names from passNames()).
  std::vector<std::string> printAfter;
  bool printAfterAll = false;
  /// When set, write the optimised LLVM IR / the generated assembly to these files.
  std::string dumpLLVMPath;
  std::string dumpAsmPath;
  /// Resource caps: a model whose activations (one run's arena) or packed
  /// weights need more bytes than these is rejected at compile time.
  int64_t maxArenaBytes = int64_t(4) << 30;
  int64_t maxWeightBytes = int64_t(4) << 30;
  /// 3x3 stride-1 convolutions with at least 16 input and 16 output channels
  /// use Winograd's F(2x2, 3x3) or, on larger maps, F(4x4, 3x3): 2.25x or 4x
  /// fewer multiplications than the direct convolution, results within
  /// rounding of it (F(4x4)'s transforms scale by up to 8 and round more).
  /// False: every convolution is direct.
  /// With Winograd, a non-finite input can make NaN outputs where the direct
  /// convolution gives +-inf; false propagates them exactly.
  bool winograd = true;
  /// Images per run(): run() takes [batch, H, W, C] (batch 1 also takes
  /// [H, W, C]) and returns [batch, ...]. Each image has its own activation
  /// arena and runs kernel by kernel, except a dense layer, which serves the
  /// whole batch in one blocked GEMM so its weights stream once per block of images.
  int batch = 1;
  /// Threads each run() uses for its larger kernels (the calling thread is one
  /// of them). Results are bit-identical for any count. 0 means one per CPU.
  /// The kernels' work is split for this count (an object's, for any count).
  int threads = 1;
  /// Debug mode: a guard zone before and after every activation buffer, filled
  /// with a canary and checked after every kernel; run() throws naming the
  /// kernel that wrote outside its buffer. (The sanitizers cannot see into
  /// generated code; the tests run with this on.)
  bool checkArena = false;
  /// Tuning: force this register tile on every direct convolution it fits
  /// (`vectors` divides the layer's channel vectors and the accumulators fit
  /// in the register file); other convolutions keep the cost model's choice.
  ConvTile convTile;
  /// Where --print-after output goes (std::cerr when null).
  std::ostream *printStream = nullptr;
  /// ONNX models: the shapes of named graph inputs ([1, C, H, W]), pinning
  /// their dynamic dimensions; an empty name is the model's only input.
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes;
  /// cnnc compile: generate code for an object file (Model::writeObject)
  /// instead of JIT-compiling it; run() is then unavailable. A forced x86
  /// target need not run on this CPU.
  bool objectCode = false;
  /// With objectCode: the machine the object is for, "aarch64-linux-gnu"
  /// (NEON) or "x86_64-linux-gnu"; empty: this one.
  std::string triple;
};

/// "NAME=1,3,224,224" or "1,3,224,224" -> {NAME or "", dims}; throws Error.
std::pair<std::string, std::vector<int64_t>> parseInputShape(const std::string &spec);

/// Time of one generated kernel (one fused node), from Model::profileKernels.
struct KernelProfile {
  std::string name; // the node's layer name
  std::string op;   // "conv2d+relu"
  double medianMs = 0;
  int64_t flops = 0;
  std::string plan; // how the kernel is blocked: "tile 2x7 px x 32 ch" (may be empty)
};

class FmaLoop;
class Diag;

/// This CPU's single-thread FMA peak for `target`: a loop of independent
/// vector FMAs, JIT-compiled once and timed as often as wanted.
class PeakMeter {
public:
  explicit PeakMeter(Target target = Target::Host);
  ~PeakMeter();
  PeakMeter(PeakMeter &&) noexcept;
  /// GFLOP/s of one timed run of about `ms` milliseconds (on a quiet core).
  double sample(double ms = 5);

private:
  std::unique_ptr<FmaLoop> loop_;
};

/// This CPU's single-thread FMA peak in GFLOP/s for `target`: the best of
/// `repeats` PeakMeter samples of about 5 ms each.
double measurePeakGflops(Target target = Target::Host, int repeats = 40);

/// One row of the Keras-style summary table.
struct LayerInfo {
  std::string name;                // "conv2d_1"
  std::string type;                // "Conv2D"
  Shape outputShape;               // without the batch axis
  int64_t params = 0;              // all of them, as Keras's "Param #"
  int64_t trainable = 0;           // without batchnorm's moving statistics
  std::vector<std::string> inputs; // the layers it reads ("Connected to")
};

/// The activation arena, from the memory-planning pass (bytes).
struct MemoryInfo {
  int64_t arenaBytes = 0;   // one arena, buffers reused by liveness
  int64_t naiveBytes = 0;   // every activation (and conv padding copy) in its own buffer
  int64_t largestBytes = 0; // the largest single activation
  /// One line per buffer: "name  offset  bytes  live %first..%last".
  std::string table;
};

class Model {
public:
  /// A path ending in .onnx is read as an ONNX model (compileOnnx).
  static Model compileFile(const std::string &path, const Options &options = {});
  /// An ONNX model (the bytes of a .onnx file): translated into the same IR,
  /// with its initializers loaded as the weights. runAll() takes and returns
  /// channels-last tensors as for any model; runSourceLayout() the file's own.
  static Model compileOnnx(const std::string &bytes, const std::string &fileName = "<onnx>",
                           const Options &options = {});
  static Model compileString(const std::string &source, const std::string &fileName = "<string>",
                             const Options &options = {});

  Model(Model &&) noexcept;
  Model &operator=(Model &&) noexcept;
  ~Model();

  /// Loads a safetensors file (F32, PyTorch layouts and key names): mapped,
  /// and packed straight from the mapping.
  void loadWeights(const std::string &safetensorsPath);
  void loadWeights(const WeightMap &weights);
  /// The same from views of the caller's memory; `release(data, floats)`,
  /// if given, is told of the memory that will not be read again.
  void loadViews(const WeightViews &weights,
                 const std::function<void(const float *, int64_t)> &release = {});
  /// Deterministic random weights (uniform, He-scaled) from a seed; the same
  /// generator as scripts/make_fixtures.py. Returns the weights it made.
  WeightMap randomWeights(uint64_t seed);
  /// The keys and PyTorch shapes this model expects.
  std::vector<std::pair<std::string, Shape>> weightShapes() const;

  /// Runs a model of one input and one output (an Error names the model's
  /// counts otherwise: use runAll()) on `input` (shape inputShape(), or with a
  /// leading batch axis of 1). Throws Error on a shape mismatch or if no
  /// weights are loaded.
  /// Thread safety: run() and runAll() may be called from many threads at once
  /// (each call leases its own activation arena); loadWeights()/randomWeights()
  /// must not overlap with them. A moved-from Model may only be assigned or destroyed.
  Tensor run(const Tensor &input) const;
  /// Runs any model: one tensor per input, in inputNames() order, each of its
  /// inputShapes() shape or with a leading batch axis (Options::batch; every
  /// input has it, or none does). Returns one tensor per output, in
  /// outputNames() order, with the batch axis if the inputs had it. (Not an
  /// overload of run(): run({x}) would pick run(const Tensor &).)
  std::vector<Tensor> runAll(const std::vector<Tensor> &inputs) const;
  /// runAll() on borrowed memory: the inputs are read once, when they are
  /// copied into the run's activation arena, so callers that hold their data in
  /// their own buffers (the Python module's NumPy arrays) pass it without a copy.
  std::vector<Tensor> runViews(const std::vector<TensorView> &inputs) const;

  /// Whether the model came from ONNX: its own inputs are [1, C, H, W].
  bool channelsFirst() const;
  /// The inputs' and outputs' shapes in the source's own layout (ONNX's NCHW,
  /// with the batch axis); inputShapes()/outputShapes() for a .cnn model.
  std::vector<Shape> sourceInputShapes() const;
  std::vector<Shape> sourceOutputShapes() const;
  /// runAll() in the source's own layout: an ONNX model's [N, C, H, W] inputs
  /// (N = Options::batch) and its outputs' own shapes ([N, C, H, W], [N, K]).
  /// The same as runAll() for a .cnn model.
  std::vector<Tensor> runSourceLayout(const std::vector<Tensor> &inputs) const;

  /// Runs the model `runs` times, timing every kernel separately; calls
  /// `betweenRuns` (when set) after each run, outside the timings. The first
  /// form is for one-input models, the second takes a tensor per input.
  std::vector<KernelProfile> profileKernels(const Tensor &input, int runs,
                                            const std::function<void()> &betweenRuns = {}) const;
  std::vector<KernelProfile> profileKernels(const std::vector<Tensor> &inputs, int runs,
                                            const std::function<void()> &betweenRuns = {}) const;

  const std::string &name() const;
  /// The inputs' shapes (one image's, without the batch axis) and names, in
  /// declaration order; the outputs' in the order of the `output` statement.
  std::vector<Shape> inputShapes() const;
  std::vector<Shape> outputShapes() const;
  std::vector<std::string> inputNames() const;
  std::vector<std::string> outputNames() const;
  /// The shape of the only input / output (an Error if there are several).
  Shape inputShape() const;
  Shape outputShape() const;
  int batch() const;
  std::vector<LayerInfo> layers() const;
  int64_t totalParams() const;
  int64_t trainableParams() const;
  /// Threads run() uses (Options::threads, with 0 resolved to the CPU count).
  int threads() const;
  MemoryInfo memory() const;
  /// Floating point operations of one run (a multiply-add counts as two).
  int64_t flops() const;
  /// What the code was generated for: "avx512 (znver4, 16 floats per vector)".
  std::string targetDescription() const;
  /// Wall time spent in parsing, passes and JIT compilation.
  double compileSeconds() const;
  /// Whether the machine code came from the compile cache (Options::cacheDir).
  bool fromCache() const;

  /// cnnc compile (a model compiled with Options::objectCode): writes an
  /// object file with every kernel and the schedule (and, when
  /// `embedWeights`, the weights loaded into this model, already packed),
  /// and, unless `headerPath` is empty, a C header with a C++ wrapper that
  /// declares its API (include/cnnc/runtime.h). Its names start with
  /// `prefix` (empty: the model's name as a C identifier). Throws Error.
  void writeObject(const std::string &objectPath, const std::string &headerPath, bool embedWeights,
                   const std::string &prefix = "") const;
  /// Keras's model.summary() table (with "Connected to" for graph models).
  std::string summary() const;
  /// The final textual IR.
  std::string ir() const;

  struct Impl;

private:
  explicit Model(std::unique_ptr<Impl> impl);
  static Model compileBuilt(std::unique_ptr<Impl> impl, Diag &diag, const Options &opts,
                            std::chrono::steady_clock::time_point start);
  std::vector<KernelProfile> profileInputs(const std::vector<TensorView> &inputs, int runs,
                                           const std::function<void()> &betweenRuns) const;
  std::unique_ptr<Impl> impl_;
};

/// What importModel() wrote.
struct ImportedModel {
  std::string cnnPath, weightsPath;
  int layers = 0;  // statements that make layers
  int weights = 0; // tensors in the safetensors file
};

/// `cnnc import`: translates the ONNX model at `onnxPath` into the DSL and
/// writes `cnnPath` (which must end in .cnn: a readable model, one statement
/// per layer, named after the ONNX layers) and its weights beside it (the same
/// path with .safetensors for .cnn). Those two run like any .cnn model,
/// channels-last, and give the numbers the .onnx gives (compileFile(onnxPath)
/// runs the same graph). Throws Error: a file that cannot be read or written,
/// the importer's diagnostics for an unsupported model.
ImportedModel
importModel(const std::string &onnxPath, const std::string &cnnPath,
            const std::vector<std::pair<std::string, std::vector<int64_t>>> &inputShapes = {});

} // namespace cnnc

// api/Model.cpp - the public API: front end -> passes -> codegen, weights,
// and what a compiled model says of itself (Run.cpp runs it).
#include "api/ModelImpl.h"
#include "api/Render.h"
#include "frontend/Frontend.h"
#include "frontend/onnx/Onnx.h"
#include "passes/Passes.h"
#include "runtime/Guard.h"
#include "runtime/Io.h"
#include "runtime/Random.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace cnnc {

static void writeFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f)
    throw Error("cannot write '" + path + "'");
}

static std::vector<LayerInfo> layerTable(const Graph &g) {
  std::vector<LayerInfo> out;
  for (const Node &n : g.nodes) {
    if (n.dead || n.implicit || n.op == OpKind::Input)
      continue;
    LayerInfo l{n.name, opKerasType(n.op), n.type.dims, paramCount(g, n), paramCount(g, n, true)};
    for (ValueId in : n.inputs) // an implicit activation stands for its layer
      l.inputs.push_back(g.nodes[g.nodes[in].implicit ? g.nodes[in].inputs[0] : in].name);
    out.push_back(l);
  }
  return out;
}

/// The schedule of the compiled kernels, and where the ports sit.
static void fillProgram(Model::Impl &impl) {
  Program &p = impl.program;
  const Graph &g = impl.graph;
  for (const JitModel::Kernel &k : impl.jit->kernels)
    p.steps.push_back(k);
  p.packs = impl.jit->packs;
  p.weightFloats = impl.jit->weightFloats;
  for (ValueId in : g.inputs) {
    const Node &n = g.nodes[in];
    p.inputs.push_back(
        {n.name, n.offset, n.type.dims, n.border.top, n.border.left, n.border.right});
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const Node &out = g.nodes[g.outputs[k]];
    p.outputs.push_back({impl.outputNames[k], out.offset, out.type.dims});
  }
}

std::vector<std::string> passNames() {
  std::vector<std::string> names = {"parsed"};
  for (const PassInfo &info : defaultPipeline())
    names.push_back(info.name);
  return names;
}

Model Model::compileString(const std::string &source, const std::string &fileName,
                           const Options &opts) {
  auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  if (opts.dumpFormat != "dot" && opts.dumpFormat != "svg" && opts.dumpFormat != "png")
    throw Error("unknown graph dump format '" + opts.dumpFormat + "' (formats: dot, svg, png)");
  if (!opts.inputShapes.empty())
    throw Error(fileName + ": --input-shape is for ONNX models; a .cnn model declares its "
                           "input shapes in its `input` statements");
  Diag diag(fileName, source);
  if (!buildGraph(diag, impl->graph))
    throw Error(diag.text());
  return compileBuilt(std::move(impl), diag, opts, start);
}

Model Model::compileOnnx(const std::string &bytes, const std::string &fileName,
                         const Options &opts) {
  auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  if (opts.dumpFormat != "dot" && opts.dumpFormat != "svg" && opts.dumpFormat != "png")
    throw Error("unknown graph dump format '" + opts.dumpFormat + "' (formats: dot, svg, png)");
  Diag diag(fileName, "");
  OnnxImport imported;
  if (!importOnnx(bytes, diag, imported, opts.inputShapes))
    throw Error(diag.text());
  impl->graph = std::move(imported.graph);
  impl->sourceInputs = std::move(imported.inputShapes);
  impl->sourceOutputs = std::move(imported.outputShapes);
  Model m = compileBuilt(std::move(impl), diag, opts, start);
  if (opts.generateCode)
    m.loadWeights(imported.weights);
  return m;
}

Model Model::compileBuilt(std::unique_ptr<Impl> impl, Diag &diag, const Options &opts,
                          std::chrono::steady_clock::time_point start) {
  const std::string fileName = diag.fileName();
  if (!opts.dumpGraphDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.dumpGraphDir, ec);
    if (ec)
      throw Error("cannot create directory '" + opts.dumpGraphDir + "': " + ec.message());
  }
  PipelineHooks hooks;
  hooks.afterStage = [&](const std::string &stage, int index, const Graph &g) {
    if (stage == "parsed") // an implicit activation stands for its layer, as in the summary
      for (ValueId out : g.outputs)
        impl->outputNames.push_back(
            g.nodes[g.nodes[out].implicit ? g.nodes[out].inputs[0] : out].name);
    if (stage == "infer-shapes") {
      impl->layers = layerTable(g);
      for (const Node &n : g.nodes)
        if (!n.dead)
          for (auto &ks : cnnc::weightShapes(g, n))
            impl->program.weightShapes.push_back(ks);
    }
    if (!opts.dumpGraphDir.empty()) {
      char prefix[8];
      std::snprintf(prefix, sizeof prefix, "%02d-", index);
      std::string base = opts.dumpGraphDir + "/" + prefix + stage;
      std::string dot = graphToDot(g, stage);
      writeFile(base + ".dot", dot);
      if (opts.dumpFormat != "dot")
        renderDot(dot, opts.dumpFormat, base + "." + opts.dumpFormat);
    }
    bool print = opts.printAfterAll;
    for (const std::string &p : opts.printAfter)
      print |= p == stage;
    if (print)
      (opts.printStream ? *opts.printStream : std::cerr) << "// after " << stage << "\n"
                                                         << printGraph(g);
  };
  const std::vector<std::string> passes = passNames();
  for (const std::string &p : opts.printAfter)
    if (std::find(passes.begin(), passes.end(), p) == passes.end()) {
      std::string all;
      for (const std::string &name : passes)
        all += (all.empty() ? "" : ", ") + name;
      throw Error("unknown pass '" + p + "' in --print-after (passes: " + all + ")");
    }
  impl->checkArena = opts.checkArena;
  impl->graph.guardFloats = opts.checkArena ? GuardFloats : 0;
  if (!runPipeline(impl->graph, diag, hooks))
    throw Error(diag.text());
  auto cap = [&](int64_t bytes, int64_t limit, const char *what, const char *option) {
    if (bytes > limit)
      throw Error(fileName + ": error: model '" + impl->graph.name + "' needs " +
                  std::to_string(bytes) + " bytes of " + what + ", more than the limit of " +
                  std::to_string(limit) + " (Options::" + option + ")");
  };
  if (opts.batch < 1 || opts.batch > 4096)
    throw Error("Options::batch must be between 1 and 4096, got " + std::to_string(opts.batch));
  impl->program.name = impl->graph.name;
  impl->program.batch = opts.batch;
  impl->program.arenaStride = alignedFloats(impl->graph.arenaFloats + 16);
  cap(impl->arenaFloats() * 4, opts.maxArenaBytes,
      opts.batch > 1 ? "activations (for the whole batch)" : "activations", "maxArenaBytes");
  int64_t weightBytes = 0;
  for (auto &[key, shape] : impl->program.weightShapes)
    weightBytes += numElements(shape) * 4;
  cap(weightBytes, opts.maxWeightBytes, "weights", "maxWeightBytes");
  if (!opts.generateCode) {
    impl->compileSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return Model(std::move(impl));
  }
  CodegenOptions cg;
  if (!opts.triple.empty() && !opts.objectCode)
    throw Error("Options::triple is for object files (Options::objectCode, cnnc compile)");
  cg.target = impl->target =
      opts.objectCode ? selectObjectTarget(opts.target, opts.triple) : selectTarget(opts.target);
  cg.object = opts.objectCode, cg.triple = opts.triple;
  cg.convTile = opts.convTile;
  cg.batch = opts.batch, cg.arenaStride = impl->program.arenaStride;
  cg.winograd = opts.winograd;
  cg.cacheDir = opts.objectCode ? "" : opts.cacheDir;
  std::string llvmIR, assembly;
  if (!opts.dumpLLVMPath.empty())
    cg.llvmIR = &llvmIR;
  if (!opts.dumpAsmPath.empty())
    cg.assembly = &assembly;
  if (opts.threads < 0 || opts.threads > 1024)
    throw Error("Options::threads must be between 0 (one per CPU) and 1024, got " +
                std::to_string(opts.threads));
  const int threads =
      opts.threads ? opts.threads : std::max(1, (int)std::thread::hardware_concurrency());
  cg.threads = opts.objectCode ? 0 : threads; // an object's run on any count
  impl->jit = compileGraph(impl->graph, cg);
  fillProgram(*impl);
  impl->pool = std::make_unique<ThreadPool>(threads);
  // Packing pads output channels to whole vectors: check what will really be allocated.
  cap(impl->jit->weightFloats * 4, opts.maxWeightBytes, "packed weights", "maxWeightBytes");
  if (!opts.dumpLLVMPath.empty())
    writeFile(opts.dumpLLVMPath, llvmIR);
  if (!opts.dumpAsmPath.empty())
    writeFile(opts.dumpAsmPath, assembly);
  impl->compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Model(std::move(impl));
}

PeakMeter::PeakMeter(Target target) : loop_(compileFmaLoop(selectTarget(target))) {}
PeakMeter::~PeakMeter() = default;
PeakMeter::PeakMeter(PeakMeter &&) noexcept = default;
double PeakMeter::sample(double ms) { return loop_->sample(ms); }

double measurePeakGflops(Target target, int repeats) {
  if (repeats < 1)
    throw Error("measurePeakGflops needs at least one repeat");
  PeakMeter meter(target);
  double best = 0;
  for (int r = 0; r < repeats; ++r)
    best = std::max(best, meter.sample(5));
  return best;
}

std::string defaultCacheDir() {
  const char *xdg = std::getenv("XDG_CACHE_HOME"), *home = std::getenv("HOME");
  if (xdg && *xdg)
    return std::string(xdg) + "/cnnc";
  return home && *home ? std::string(home) + "/.cache/cnnc" : "";
}

std::string readModelFile(const std::string &path, bool onnx) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": error: is a directory, not a" + (onnx ? "n .onnx" : " .cnn") +
                " model file");
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw Error(path + ": error: cannot open the model file");
  const size_t limit = onnx ? MaxOnnxBytes : MaxSourceBytes;
  // Read to the end (pipes have no size), one byte past the limit at most.
  std::string source;
  std::vector<char> chunk(1 << 16);
  while (source.size() <= limit && f.read(chunk.data(), chunk.size()).gcount() > 0)
    source.append(chunk.data(), (size_t)f.gcount());
  if (source.size() > limit)
    throw Error(path + ": error: the model file is too large (the limit is " +
                std::to_string(limit) + " bytes)");
  return source;
}

Model Model::compileFile(const std::string &path, const Options &opts) {
  const bool onnx = path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
  const std::string source = readModelFile(path, onnx);
  return onnx ? compileOnnx(source, path, opts) : compileString(source, path, opts);
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model &&) noexcept = default;
Model &Model::operator=(Model &&) noexcept = default;
Model::~Model() = default;

std::vector<std::pair<std::string, Shape>> Model::weightShapes() const {
  return impl_->program.weightShapes;
}

void Model::loadWeights(const WeightMap &weights) { loadViews(viewsOf(weights)); }

void Model::loadViews(const WeightViews &weights,
                      const std::function<void(const float *, int64_t)> &release) {
  if (!impl_->jit)
    throw Error("model '" + name() +
                "' was compiled without code generation (Options::generateCode)");
  if (impl_->weightArena.size() == 0)
    impl_->weightArena = Tensor({std::max<int64_t>(impl_->jit->weightFloats, 1)});
  impl_->program.packWeights(weights, impl_->weightArena.data(), release);
  impl_->weightsLoaded = true;
}

/// The file is mapped, each tensor packed straight from it and its pages
/// released once packed: memory stays near the packed weights' size.
void Model::loadWeights(const std::string &path) {
  try {
    MappedSafetensors file(path);
    loadViews(file.views(), [&](const float *data, int64_t floats) { file.release(data, floats); });
  } catch (const Error &e) {
    std::string msg = e.what();
    throw Error(msg.rfind(path, 0) == 0 ? msg : path + ": " + msg);
  }
}

WeightMap Model::randomWeights(uint64_t seed) {
  WeightMap w;
  for (auto &[key, shape] : weightShapes())
    w[key] =
        randomTensor(shape, seed, key, randomInit(key, shape).bound, randomInit(key, shape).center);
  loadWeights(w);
  return w;
}

const std::string &Model::name() const { return impl_->graph.name; }
Shape Model::inputShape() const {
  if (impl_->graph.inputs.size() != 1)
    throw Error("model '" + name() + "' has " + counted(impl_->graph.inputs.size(), "input") +
                " (" + quotedNames(inputNames()) + "): use inputShapes()");
  return inputShapes()[0];
}
Shape Model::outputShape() const {
  if (impl_->graph.outputs.size() != 1)
    throw Error("model '" + name() + "' has " + counted(impl_->graph.outputs.size(), "output") +
                " (" + quotedNames(outputNames()) + "): use outputShapes()");
  return outputShapes()[0];
}
std::vector<Shape> Model::inputShapes() const {
  std::vector<Shape> shapes;
  for (ValueId in : impl_->graph.inputs)
    shapes.push_back(impl_->graph.nodes[in].type.dims);
  return shapes;
}
std::vector<Shape> Model::outputShapes() const {
  std::vector<Shape> shapes;
  for (ValueId out : impl_->graph.outputs)
    shapes.push_back(impl_->graph.nodes[out].type.dims);
  return shapes;
}
std::vector<std::string> Model::inputNames() const {
  std::vector<std::string> names;
  for (ValueId in : impl_->graph.inputs)
    names.push_back(impl_->graph.nodes[in].name);
  return names;
}
std::vector<std::string> Model::outputNames() const { return impl_->outputNames; }
int Model::batch() const { return impl_->batch(); }
std::vector<LayerInfo> Model::layers() const { return impl_->layers; }
double Model::compileSeconds() const { return impl_->compileSeconds; }
bool Model::fromCache() const { return impl_->jit && impl_->jit->fromCache; }
std::string Model::targetDescription() const {
  const TargetInfo &t = impl_->target;
  return t.name + " (" + t.cpu + ", " + std::to_string(t.vectorWidth) + " floats per vector)";
}
std::string Model::ir() const { return printGraph(impl_->graph); }

int64_t Model::totalParams() const {
  int64_t total = 0;
  for (const LayerInfo &l : impl_->layers)
    total += l.params;
  return total;
}

int64_t Model::flops() const {
  int64_t total = 0;
  for (const Node &n : impl_->graph.nodes)
    if (!n.dead)
      total += flopCount(impl_->graph, n);
  return total;
}

static std::string thousands(int64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0)
      out += ',';
    out += s[i];
  }
  return out;
}

static std::string kerasShape(const Shape &s) {
  std::string out = "(None";
  for (int64_t d : s)
    out += ", " + std::to_string(d);
  return out + ")";
}

std::string Model::summary() const {
  const std::vector<LayerInfo> &layers = impl_->layers;
  const Graph &g = impl_->graph;
  // A chain (each layer reads the one before, from the one input) prints as
  // Keras's Sequential; anything else as a functional model: a row per input
  // (InputLayer) and "Connected to".
  bool chain = g.inputs.size() == 1;
  for (size_t i = 0; i < layers.size() && chain; ++i)
    chain &= layers[i].inputs.size() == 1 &&
             layers[i].inputs[0] == (i ? layers[i - 1].name : g.nodes[g.inputs[0]].name);
  std::vector<std::array<std::string, 4>> rows; // first line of each layer's cells
  std::vector<std::vector<std::string>> more;   // further "Connected to" lines
  for (ValueId in : chain ? std::vector<ValueId>{} : g.inputs) {
    const Node &input = g.nodes[in];
    rows.push_back(
        {input.name + " (InputLayer)", "[" + kerasShape(input.type.dims) + "]", "0", "[]"});
    more.emplace_back();
  }
  for (const LayerInfo &l : layers) {
    std::vector<std::string> from;
    for (size_t j = 0; j < l.inputs.size(); ++j)
      from.push_back(std::string(j ? " " : "[") + "'" + l.inputs[j] + "[0][0]'" +
                     (j + 1 < l.inputs.size() ? "," : "]"));
    rows.push_back({l.name + " (" + l.type + ")", kerasShape(l.outputShape),
                    std::to_string(l.params), chain ? "" : from[0]});
    more.emplace_back(from.begin() + 1, from.end());
  }
  size_t w1 = 29, w4 = 0;
  for (auto &r : rows)
    w1 = std::max(w1, r[0].size() + 2), w4 = std::max(w4, r[3].size());
  const size_t w2 = 26, w3 = chain ? 10 : 12,
               width = w1 + w2 + w3 + (chain ? 0 : std::max<size_t>(w4, 14));
  auto cell = [](std::string s, size_t w) {
    return s.size() < w ? s + std::string(w - s.size(), ' ') : s + " ";
  };
  auto trim = [](std::string s) { return s.erase(s.find_last_not_of(' ') + 1); };
  std::ostringstream os;
  os << "Model: \"" << name() << "\"\n" << std::string(width, '_') << "\n";
  os << trim(cell(" Layer (type)", w1) + cell("Output Shape", w2) + cell("Param #", w3) +
             (chain ? "" : "Connected to"))
     << "\n"
     << std::string(width, '=') << "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto &r = rows[i];
    os << trim(cell(" " + r[0], w1) + cell(r[1], w2) + cell(r[2], w3) + r[3]) << "\n";
    for (const std::string &line : more[i])
      os << std::string(w1 + w2 + w3, ' ') << line << "\n";
    os << (i + 1 < rows.size() ? "\n" : "");
  }
  os << std::string(width, '=') << "\n";
  // Keras has no line for this; the outputs are not always the last layer.
  const std::vector<std::string> outs = outputNames();
  if (outs.size() > 1 || (!layers.empty() && outs[0] != layers.back().name))
    os << "Outputs: " << joinedNames(outs) << "\n";
  os << "Total params: " << thousands(totalParams()) << "\n";
  os << "Trainable params: " << thousands(trainableParams()) << "\n";
  os << "Non-trainable params: " << thousands(totalParams() - trainableParams()) << "\n"
     << std::string(width, '_') << "\n";
  return os.str();
}

int Model::threads() const { return impl_->pool ? impl_->pool->threads() : 1; }

int64_t Model::trainableParams() const {
  int64_t total = 0;
  for (const LayerInfo &l : impl_->layers)
    total += l.trainable;
  return total;
}

MemoryInfo Model::memory() const {
  const Graph &g = impl_->graph;
  MemoryInfo m;
  m.arenaBytes = g.arenaFloats * 4;
  m.naiveBytes = g.naiveFloats * 4;
  std::ostringstream os;
  os << "  buffer                         offset        bytes  live\n";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead || n.offset < 0)
      continue;
    m.largestBytes = std::max(m.largestBytes, n.type.elements() * 4);
    if (isView(g, n))
      continue; // a view
    char line[160];
    std::string what = n.name + (hasBorder(n) ? " (bordered)" : "");
    // Every input is copied in before the first kernel: live from the start.
    const size_t first = n.op == OpKind::Input ? 0 : i;
    std::snprintf(line, sizeof line, "  %-28s %10lld %12lld  %%%zu..%%%d\n", what.c_str(),
                  (long long)n.offset * 4, (long long)bufferFloats(n) * 4, first, n.lastUse);
    os << line;
    if (n.scratch >= 0) {
      std::snprintf(line, sizeof line, "  %-28s %10lld %12s  %%%zu\n",
                    (n.name + " (padded)").c_str(), (long long)n.scratch * 4, "", i);
      os << line;
    }
  }
  m.table = os.str();
  return m;
}
} // namespace cnnc

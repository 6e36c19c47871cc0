// tools/cnnc/main.cpp - the command-line driver: thin glue over the public C++ API
// (include/cnnc/). One function per command; main() only dispatches.
#include "Inputs.h"
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "tools/cnnc/Compile.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <optional>

namespace {

/// The options every command reads, whichever command line set them.
struct Common {
  std::string model, dumpGraph, dumpFormat = "dot", target = "host", dumpLLVM, dumpAsm;
  std::vector<std::string> printAfter;
  bool printAfterAll = false;
  int threads = 1, batch = 1;
  bool checkArena = false, noWinograd = false;
  std::string convTile;                 // --conv-tile V,R,C
  std::vector<std::string> inputShapes; // --input-shape [NAME=]1,3,224,224
  std::string cacheDir = cnnc::defaultCacheDir();
};

cnnc::Options options(const Common &c, bool generateCode = true) {
  cnnc::Options o;
  o.generateCode = generateCode || !c.dumpLLVM.empty() || !c.dumpAsm.empty();
  o.target = cnnc::parseTarget(c.target);
  o.dumpGraphDir = c.dumpGraph;
  o.dumpFormat = c.dumpFormat;
  o.dumpLLVMPath = c.dumpLLVM;
  o.dumpAsmPath = c.dumpAsm;
  o.printAfter = c.printAfter;
  o.printAfterAll = c.printAfterAll;
  o.printStream = &std::cout;
  o.threads = c.threads;
  o.batch = c.batch;
  o.checkArena = c.checkArena;
  o.winograd = !c.noWinograd;
  o.cacheDir = c.cacheDir;
  for (const std::string &spec : c.inputShapes)
    o.inputShapes.push_back(cnnc::parseInputShape(spec));
  if (!c.convTile.empty())
    std::sscanf(c.convTile.c_str(), "%d,%d,%d", &o.convTile.vectors, &o.convTile.rows,
                &o.convTile.cols); // checked by the option's validator
  return o;
}

cnnc::Model compile(const Common &c, bool generateCode = true) {
  return cnnc::Model::compileFile(c.model, options(c, generateCode));
}

/// An output: its shape, then per image (a batch) its top index, or for one
/// image its values (long vectors by their head and the top-5). With labels,
/// every image's top-5 with names; `files` names the images (--image).
void printOutput(const std::string &name, const cnnc::Tensor &y, int batch,
                 const std::vector<std::string> &labels, const std::vector<std::string> &files) {
  std::printf("output %s %s\n", name.c_str(), cnnc::shapeToString(y.shape()).c_str());
  const int64_t each = y.size() / batch;
  int64_t rank = 0; // of one image's output
  for (size_t d = batch > 1 ? 1 : 0; d < y.shape().size(); ++d)
    rank += y.shape()[d] > 1;
  const bool named = !labels.empty() && rank <= 1;
  if (named && (int64_t)labels.size() != each)
    throw cnnc::Error("--labels has " + std::to_string(labels.size()) + " names; output '" + name +
                      "' has " + std::to_string(each) + " classes");
  if (batch > 1) { // each image's largest value
    for (int i = 0; i < batch; ++i) {
      const float *v = y.data() + i * each;
      const std::string file = i < (int)files.size() ? "  " + files[i] : "";
      if (named) {
        std::printf("  image %d%s:\n", i, file.c_str());
        cli::printTopK(v, each, 5, labels);
        continue;
      }
      int64_t best = 0;
      for (int64_t j = 1; j < each; ++j)
        if (!std::isnan(v[j]) && (std::isnan(v[best]) || v[j] > v[best]))
          best = j;
      std::printf("  image %d: top index %lld  %.6f%s\n", i, (long long)best, v[best],
                  file.c_str());
    }
    return;
  }
  const int64_t n = y.size();
  if (rank <= 1) {
    // Short vectors in full; long ones (1000 classes) by their head and the top-5.
    const int64_t shown = n <= 32 ? n : 10;
    for (int64_t i = 0; i < shown; ++i)
      std::printf("%s%.6g", i ? (i % 10 ? " " : "\n") : "", y[i]);
    std::printf(shown < n ? " ... (%lld values; --output FILE.npy saves them all)\n" : "\n",
                (long long)n);
    std::printf("top-%lld:\n", (long long)std::min<int64_t>(5, n));
    cli::printTopK(y.data(), n, 5, named ? labels : std::vector<std::string>{});
  } else {
    std::printf("first values:");
    for (int64_t i = 0; i < std::min<int64_t>(n, 8); ++i)
      std::printf(" %.6g", y[i]);
    std::printf("\n");
  }
}

uint64_t parseSeed(const std::string &text, const char *flag) {
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE)
    throw cnnc::Error(std::string(flag) + " takes a seed from 0 to 18446744073709551615, got '" +
                      text + "'");
  return v;
}

/// Random inputs for every model input ([H, W, C], or [N, H, W, C] for a
/// batch of N), from the generator's keys "input", "input_1", ...
std::vector<cnnc::Tensor> randomInputs(const cnnc::Model &m, uint64_t seed) {
  std::vector<cnnc::Tensor> xs;
  for (cnnc::Shape s : m.sourceInputShapes()) {
    if (m.channelsFirst()) // ONNX's own [N, C, H, W]
      s[0] = m.batch();
    else if (m.batch() > 1)
      s.insert(s.begin(), m.batch());
    const size_t k = xs.size();
    xs.push_back(cnnc::randomInput(s, seed, k ? "input_" + std::to_string(k) : "input"));
  }
  return xs;
}

/// --output PATH: output k goes to PATH with "_k" before its .npy extension
/// (y.npy, y_1.npy, ...); a PATH ending in .npz gets them all, named.
void saveOutputs(const std::string &path, const cnnc::Model &m,
                 const std::vector<cnnc::Tensor> &ys) {
  const std::vector<std::string> names = m.outputNames();
  auto ends = [&](const char *ext) {
    return path.size() >= 4 && path.compare(path.size() - 4, 4, ext) == 0;
  };
  if (ends(".npz")) {
    std::vector<std::pair<std::string, cnnc::Tensor>> arrays;
    for (size_t k = 0; k < ys.size(); ++k)
      arrays.emplace_back(names[k], ys[k]);
    cnnc::saveNpz(path, arrays);
    return;
  }
  const std::string stem = ends(".npy") ? path.substr(0, path.size() - 4) : path;
  for (size_t k = 0; k < ys.size(); ++k)
    cnnc::saveNpy(k ? stem + "_" + std::to_string(k) + (ends(".npy") ? ".npy" : "") : path, ys[k]);
}

void printMemory(const cnnc::Model &m) {
  cnnc::MemoryInfo mem = m.memory();
  auto mib = [](int64_t bytes) { return std::to_string(bytes / 1024.0 / 1024.0).substr(0, 6); };
  std::cout << "\nMemory plan (one arena, buffers reused once their value is dead):\n"
            << mem.table << "Arena: " << mem.arenaBytes << " bytes (" << mib(mem.arenaBytes)
            << " MiB)\nNaive (a buffer per activation): " << mem.naiveBytes << " bytes ("
            << mib(mem.naiveBytes) << " MiB)\nLargest activation: " << mem.largestBytes
            << " bytes; arena / largest = "
            << std::to_string((double)mem.arenaBytes / std::max<int64_t>(mem.largestBytes, 1))
                   .substr(0, 4)
            << "\n";
}

/// "a, b, c"
std::string joined(const std::vector<std::string> &names) {
  std::string all;
  for (const std::string &name : names)
    all += (all.empty() ? "" : ", ") + name;
  return all;
}

// ---- Options: one function per command line (the top level, then each subcommand).

const char *const About =
    "cnnc - compiles convolutional networks written in the .cnn DSL to native SIMD code\n"
    "(LLVM ORC JIT, specialised to every layer's shapes).\n\n"
    "  cnnc summary MODEL [--memory]           Keras-style layer table (and the memory plan)\n"
    "  cnnc run MODEL --random-weights 1 --input x.npy [--output y.npy]\n"
    "  cnnc run MODEL --weights w.safetensors --input a.npy --input b.npy --output y.npz\n"
    "  cnnc run MODEL --weights w.safetensors --image photo.jpg --labels "
    "data/imagenet_classes.txt\n"
    "                                          a JPEG/PNG (several, or a directory: a batch),\n"
    "                                          resized, cropped and normalised as torchvision\n"
    "  cnnc run MODEL.onnx --input x.npy --output y.npy  an ONNX model, its weights and its\n"
    "                                          own layouts (x [1, C, H, W])\n"
    "                                          several inputs (in declaration order); outputs\n"
    "                                          to y.npz, or y.npy, y_1.npy, ... (--output y.npy)\n"
    "  cnnc import MODEL.onnx [-o NAME.cnn]    write NAME.cnn and NAME.safetensors: the\n"
    "                                          ONNX model in the DSL, one statement a layer\n"
    "  cnnc compile MODEL -o NAME.o --header NAME.h [--weights W] [--triple T]\n"
    "                                          ahead of time: an object file and its C/C++ API\n"
    "                                          (links libcnnc_runtime, not LLVM)\n"
    "  cnnc bench MODEL [--runs N] [--threads N]  compile time, median latency, GFLOP/s\n"
    "  cnnc bench MODEL --layers                every kernel's time, GFLOP/s, % of FMA peak\n"
    "  cnnc bench --peak                        this CPU's FMA peak (a JIT-compiled loop)\n"
    "  cnnc ops                                 every op of the DSL, its arguments and defaults\n"
    "  cnnc weights MODEL                       the weight keys and PyTorch shapes it expects\n"
    "  cnnc --version                           cnnc's version, git commit and LLVM version\n"
    "  cnnc --dump-graph DIR MODEL              one Graphviz file per compiler stage\n"
    "  cnnc --dump-graph DIR --dump-format svg MODEL   the same, rendered to SVG (or png)\n";

/// --print-after takes the names the pipeline has; anything else is a usage error.
void addPrintAfter(CLI::App &app, Common &c) {
  const std::vector<std::string> passes = cnnc::passNames();
  app.add_option("--print-after", c.printAfter,
                 "Print the IR after these passes (comma-separated): " + joined(passes))
      ->type_name("PASS")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [passes](std::string &name) -> std::string {
            if (std::find(passes.begin(), passes.end(), name) != passes.end())
              return "";
            return "unknown pass '" + name + "' (passes: " + joined(passes) + ")";
          },
          ""));
}

/// The options before any subcommand: the compile-only path's, and every subcommand's.
void addGlobalOptions(CLI::App &app, Common &c) {
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  auto *dumpGraph = app.add_option("--dump-graph", c.dumpGraph,
                                   "Write DIR/NN-<stage>.dot for every compiler stage")
                        ->type_name("DIR");
  app.add_option("--dump-format", c.dumpFormat,
                 "Format of the --dump-graph files: dot (default); svg or png are rendered "
                 "in-process by Graphviz, beside the .dot")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"dot", "svg", "png"}))
      ->needs(dumpGraph);
  app.add_option("--target", c.target,
                 "Instruction set: host (default), avx512, avx2, sse4, generic (x86-64 baseline: "
                 "SSE2, no FMA)")
      ->type_name("ISA");
  addPrintAfter(app, c);
  app.add_flag("--print-after-all", c.printAfterAll, "Print the IR after every pass");
  app.add_flag("--no-winograd", c.noWinograd,
               "Direct convolution everywhere (default: Winograd F(2x2, 3x3) for 3x3 stride-1 "
               "convs with >= 16 channels in and out and >= 32 output tiles, F(4x4, 3x3) where "
               "they make >= 32 4x4 tiles and have no fused pool). With Winograd, a "
               "non-finite input can make NaN outputs where the direct convolution gives +-inf; "
               "--no-winograd propagates them exactly");
  app.add_option("--input-shape", c.inputShapes,
                 "ONNX models: pin an input's dynamic dimensions (or check its fixed ones), as "
                 "NAME=1,3,224,224, or 1,3,224,224 for the only input. Repeat for several inputs")
      ->type_name("[NAME=]DIMS")
      ->allow_extra_args(false);
  app.add_option("--cache-dir", c.cacheDir,
                 "The compile cache: an identical compilation (same kernels, target, CPU "
                 "features, LLVM) loads its machine code from DIR instead of compiling again. "
                 "Default: $XDG_CACHE_HOME/cnnc, else ~/.cache/cnnc; --cache-dir '' turns it off")
      ->type_name("DIR");
  app.add_option("--dump-llvm", c.dumpLLVM, "Write the optimised LLVM IR of every kernel to FILE")
      ->type_name("FILE");
  app.add_option("--dump-asm", c.dumpAsm, "Write the generated assembly to FILE")
      ->type_name("FILE");
  app.add_option("model", c.model,
                 "The .cnn model (with only --dump-graph/--print-after: compile it and stop)");
}

CLI::App *addSummary(CLI::App &app, Common &c, bool &memory) {
  CLI::App *summary = app.add_subcommand(
      "summary", "Print the Keras-style summary: layers, output shapes, parameters");
  summary->add_option("model", c.model, "The .cnn model")->required();
  summary->add_flag("--memory", memory,
                    "Also print the memory plan: arena bytes (buffers reused by liveness) vs one "
                    "buffer per activation, and every buffer's offset, size and live range");
  return summary;
}

struct RunArgs {
  std::vector<std::string> inputs;
  std::string weights, output, saveWeights;
  std::string seed, inputSeed; // --random-weights, --random-input
  CLI::Option *randomWeights = nullptr, *randomInput = nullptr;
  bool verbose = false;
  cli::ImageArgs images;
};

CLI::App *addRun(CLI::App &app, Common &c, RunArgs &a) {
  CLI::App *run = app.add_subcommand(
      "run", "Compile the model, load weights, run it on an input and print the output");
  run->add_option("model", c.model, "The .cnn model")->required();
  auto *wOpt =
      run->add_option("--weights", a.weights, "Weights (.safetensors, PyTorch names and layouts)")
          ->type_name("FILE");
  a.randomWeights =
      run->add_option("--random-weights", a.seed, "Use deterministic random weights from SEED")
          ->type_name("SEED");
  wOpt->excludes(a.randomWeights);
  auto *iOpt = run->add_option("--input", a.inputs,
                               "Input array (.npy, [H, W, C] or [1, H, W, C]; [N, H, W, C] with "
                               "--batch N; float16/64, int, uint and bool arrays are converted "
                               "to float32). A model with several inputs takes one --input per "
                               "input, in the order the model declares them")
                   ->type_name("FILE")
                   ->allow_extra_args(false);
  a.randomInput = run->add_option("--random-input", a.inputSeed,
                                  "Use random inputs in [0, 1) from SEED (every input)")
                      ->type_name("SEED");
  iOpt->excludes(a.randomInput);
  cli::addImageOptions(*run, a.images);
  run->get_option("--image")->excludes(iOpt)->excludes(a.randomInput);
  run->add_option("--output", a.output,
                  "Write the output to FILE.npy; with several outputs, output 1 to FILE_1.npy, "
                  "2 to FILE_2.npy, ...; or all of them to one FILE.npz (numpy.load's "
                  "{name: array}, keyed by the output names)")
      ->type_name("FILE");
  run->add_flag("--check-arena", c.checkArena,
                "Debug: guard zones around every buffer, checked after each kernel");
  run->add_flag("--verbose", a.verbose,
                "Say which tensors of the weights file were skipped (integer ones such as "
                "batchnorm's num_batches_tracked), which --input arrays were converted to "
                "float32, and how each --image was preprocessed");
  run->add_option("--save-weights", a.saveWeights,
                  "Write the weights used to this .safetensors file")
      ->type_name("FILE");
  return run;
}

struct BenchArgs {
  int runs = 50;
  bool layers = false, peak = false;
};

/// --conv-tile V,R,C: three numbers from 1 to 64.
CLI::Validator convTileValidator() {
  return CLI::Validator(
      [](std::string &s) -> std::string {
        int v, r, c;
        char end;
        if (std::sscanf(s.c_str(), "%d,%d,%d%c", &v, &r, &c, &end) != 3 || v < 1 || r < 1 ||
            c < 1 || v > 64 || r > 64 || c > 64)
          return "expected three numbers 1-64 separated by commas, like 2,2,7; got '" + s + "'";
        return "";
      },
      "V,R,C");
}

CLI::App *addBench(CLI::App &app, Common &c, BenchArgs &a) {
  CLI::App *bench =
      app.add_subcommand("bench", "Compile and time the model on random weights and input");
  bench->add_option("model", c.model, "The .cnn model (optional with --peak)");
  bench->add_flag("--layers", a.layers,
                  "Also time every kernel: median ms, GFLOP/s, % of the FMA peak (sampled between "
                  "the profiled runs, times the thread count), share of the total, blocking plan");
  bench->add_flag("--peak", a.peak,
                  "Measure this CPU's single-thread FMA peak (GFLOP/s) with a JIT-compiled loop "
                  "of independent vector FMAs for --target");
  bench
      ->add_option("--conv-tile", c.convTile,
                   "Tuning: force every direct conv's register tile to V channel vectors x R "
                   "rows x C columns of output pixels where it fits, and every depthwise "
                   "conv's to V vectors x C pixels (default: the cost model; add "
                   "--no-winograd to make the 3x3 convs direct too)")
      ->type_name("V,R,C")
      ->check(convTileValidator());
  bench->add_option("--runs", a.runs, "Timed runs (after 3 warm-up runs); the median is reported")
      ->check(CLI::Range(1, 1000000));
  return bench;
}

/// --batch and --threads, for the subcommands that run the model.
void addRunOptions(CLI::App &sub, Common &c) {
  sub.add_option("--batch", c.batch,
                 "Images per run (default 1): the input is [N, H, W, C]. Each image runs "
                 "kernel by kernel; dense layers do the whole batch as one blocked GEMM")
      ->check(CLI::Range(1, 4096));
  sub.add_option("--threads", c.threads,
                 "Threads for the larger kernels, the calling one included (default 1; 0: one "
                 "per CPU). Outputs are bit-identical for any count")
      ->check(CLI::Range(0, 1024));
}

/// The subcommands that only describe: `ops` (the DSL) and `weights MODEL`.
struct InfoCommands {
  CLI::App *ops = nullptr, *weights = nullptr;
};

InfoCommands addInfo(CLI::App &app, Common &c) {
  InfoCommands i;
  i.ops = app.add_subcommand("ops", "List every op of the DSL with its arguments and defaults");
  i.weights = app.add_subcommand(
      "weights", "List the weight keys and PyTorch shapes the model expects, and the total");
  i.weights->add_option("model", c.model, "The .cnn (or .onnx) model")->required();
  return i;
}

/// One line per weight tensor, "key  [shape]" (safetensors keys, PyTorch
/// layouts), then the parameter count: what a weights file must hold.
int weightsCommand(const Common &c) {
  cnnc::Model m = compile(c, false);
  const auto shapes = m.weightShapes();
  size_t width = 0;
  for (const auto &[key, shape] : shapes)
    width = std::max(width, key.size());
  int64_t total = 0;
  for (const auto &[key, shape] : shapes) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    total += n;
    std::printf("%-*s  %s\n", (int)width, key.c_str(), cnnc::shapeToString(shape).c_str());
  }
  std::printf("%zu tensors, %lld parameters\n", shapes.size(), (long long)total);
  return 0;
}

struct ImportArgs {
  std::string onnx, output;
};

CLI::App *addImport(CLI::App &app, ImportArgs &a) {
  CLI::App *imp = app.add_subcommand(
      "import", "Translate an ONNX model into a readable .cnn model and its weights");
  imp->footer("Writes NAME.cnn (one statement per layer, named after the ONNX layers; the model\n"
              "is named NAME) and NAME.safetensors beside it (PyTorch layouts and keys). They run\n"
              "like any .cnn model, channels-last ([H, W, C] in and out), and give the numbers\n"
              "the .onnx gives. An ONNX model cnnc cannot read is the same error as cnnc run's.\n"
              "  cnnc import resnet18.onnx -o out/resnet18.cnn\n"
              "  cnnc run out/resnet18.cnn --weights out/resnet18.safetensors --random-input 1");
  imp->add_option("model", a.onnx, "The .onnx model")->required();
  imp->add_option("-o,--output", a.output,
                  "The .cnn to write (default: the model's name with .cnn, in the current "
                  "directory); its weights go beside it as .safetensors")
      ->type_name("NAME.cnn");
  return imp;
}

// ---- Commands: each returns the exit code; failures throw cnnc::Error.

int importCommand(const ImportArgs &a, const Common &c) {
  std::string out = a.output;
  if (out.empty()) {
    std::string stem = a.onnx.substr(a.onnx.find_last_of('/') + 1);
    out =
        stem.substr(0, stem.size() > 5 && stem.ends_with(".onnx") ? stem.size() - 5 : stem.size()) +
        ".cnn";
  }
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const std::string &spec : c.inputShapes)
    shapes.push_back(cnnc::parseInputShape(spec));
  cnnc::ImportedModel m = cnnc::importModel(a.onnx, out, shapes);
  std::printf("wrote %s (%d layers) and %s (%d weight tensors)\n", m.cnnPath.c_str(), m.layers,
              m.weightsPath.c_str(), m.weights);
  return 0;
}

int summaryCommand(const Common &c, bool memory) {
  cnnc::Model m = compile(c, false);
  std::cout << m.summary();
  if (memory)
    printMemory(m);
  return 0;
}

int runCommand(Common c, const RunArgs &a, const CLI::App &run) {
  if (a.inputs.empty() && !a.randomInput->count() && a.images.images.empty())
    throw cnnc::Error("run needs --input FILE.npy, --image FILE or --random-input SEED");
  std::vector<std::string> files;
  if (!a.images.images.empty()) { // one batch of every image
    files = cli::imageFiles(a.images.images);
    if (run.count("--batch") && (size_t)c.batch != files.size())
      throw cnnc::Error("--batch " + std::to_string(c.batch) + " but " +
                        std::to_string(files.size()) + " images (--image runs them as one batch)");
    if (files.size() > 4096)
      throw cnnc::Error(std::to_string(files.size()) +
                        " images: at most 4096 run as one batch (--batch's limit)");
    c.batch = static_cast<int>(files.size());
  }
  const std::vector<std::string> labels =
      a.images.labels.empty() ? std::vector<std::string>{} : cli::readLabels(a.images.labels);
  cnnc::Model m = compile(c);
  // An ONNX model brings its weights (--weights/--random-weights replace them).
  if (a.weights.empty() && !a.randomWeights->count() && !m.channelsFirst())
    throw cnnc::Error("run needs --weights FILE or --random-weights SEED");
  cnnc::WeightMap used;
  if (a.weights.empty() && !a.randomWeights->count()) {
  } else if (!a.weights.empty()) {
    std::vector<std::string> skipped;
    m.loadWeights(used = cnnc::loadSafetensors(a.weights, &skipped));
    for (const std::string &s : a.verbose ? skipped : std::vector<std::string>{})
      std::cerr << a.weights << ": skipped the integer tensor " << s << "\n";
  } else {
    used = m.randomWeights(parseSeed(a.seed, "--random-weights"));
  }
  if (!a.saveWeights.empty())
    cnnc::saveSafetensors(a.saveWeights, used);
  const std::vector<std::string> names = m.inputNames();
  if (!a.inputs.empty() && a.inputs.size() != names.size())
    throw cnnc::Error("model '" + m.name() + "' has " + std::to_string(names.size()) + " input" +
                      (names.size() == 1 ? "" : "s") + " (" + joined(names) +
                      "): give one --input FILE.npy per input, in that order; got " +
                      std::to_string(a.inputs.size()));
  std::vector<cnnc::Tensor> xs = cli::readArrays(a.inputs, a.verbose);
  if (!files.empty())
    xs = {cli::readImages(m, files, a.images, a.verbose)};
  else if (a.inputs.empty())
    xs = randomInputs(m, parseSeed(a.inputSeed, "--random-input"));
  // An ONNX model's --input and --output are in its own layout (NCHW).
  std::vector<cnnc::Tensor> ys = m.runSourceLayout(xs);
  for (size_t k = 0; k < ys.size(); ++k)
    printOutput(m.outputNames()[k], ys[k], m.batch(), labels, files);
  if (!a.output.empty())
    saveOutputs(a.output, m, ys);
  return 0;
}

/// 3 warm-up runs, then `runs` timed ones: the median latency and GFLOP/s.
void timeRuns(const cnnc::Model &m, const std::vector<cnnc::Tensor> &x, int runs) {
  for (int i = 0; i < 3; ++i)
    m.runAll(x);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    m.runAll(x);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double med = ms[ms.size() / 2];
  const double flops = (double)m.flops() * m.batch(); // per run
  std::printf("median %.3f ms  (min %.3f, max %.3f, %d runs)  %.2f GFLOP/s  (%.3f GFLOP per run)\n",
              med, ms.front(), ms.back(), runs, flops / (med * 1e6), flops / 1e9);
  if (m.batch() > 1)
    std::printf("batch %d: %.3f ms per image, %.1f images/s\n", m.batch(), med / m.batch(),
                1e3 * m.batch() / med);
}

void printKernelTable(const cnnc::Model &m, const std::vector<cnnc::KernelProfile> &prof,
                      double peakGflops) {
  double total = 0;
  for (const cnnc::KernelProfile &p : prof)
    total += p.medianMs;
  std::printf("%-22s %-26s %9s %8s %6s %6s  %s\n", "kernel", "op", "median ms", "GFLOP/s", "%peak",
              "share", "plan");
  bool winograd = false;
  for (const cnnc::KernelProfile &p : prof) {
    double gflops = (double)p.flops * m.batch() / (p.medianMs * 1e6);
    std::printf("%-22s %-26s %9.3f %8.1f %5.0f%% %5.1f%%  %s\n", p.name.c_str(), p.op.c_str(),
                p.medianMs, gflops, 100 * gflops / (peakGflops * m.threads()),
                100 * p.medianMs / total, p.plan.c_str());
    winograd |= p.plan.rfind("winograd", 0) == 0;
  }
  if (winograd)
    std::printf(
        "(winograd: GFLOP/s and %%peak count the direct convolution's flops; "
        "Winograd 2x2 does 2.25x fewer multiplications, 4x4 4x. --no-winograd for direct.)\n");
}

/// bench --layers: every kernel's median time, against the peak measured meanwhile.
void timeKernels(const cnnc::Model &m, const std::vector<cnnc::Tensor> &x, int runs,
                 cnnc::PeakMeter &meter) {
  // The peak is sampled again between the profiled runs, and %peak is
  // against its median: on a shared machine both then see the same
  // minutes (another tenant's load lowers both alike). An untimed run
  // follows each sample, so every profiled run finds warm caches.
  std::vector<double> during;
  std::vector<cnnc::KernelProfile> prof = m.profileKernels(x, runs, [&] {
    during.push_back(meter.sample(2));
    m.runAll(x); // untimed: the caches warm again, as in back-to-back runs
  });
  std::sort(during.begin(), during.end());
  double peakGflops = during[during.size() / 2];
  std::printf("peak during the profile %.1f GFLOP/s per thread  (median of %d x 2 ms, one "
              "between runs; %%peak is of this)\n",
              peakGflops, runs);
  printKernelTable(m, prof, peakGflops);
}

int benchCommand(const Common &c, const BenchArgs &a, const CLI::App &bench) {
  if (c.model.empty() && !a.peak) {
    std::cerr << "cnnc bench: error: a MODEL is required (or --peak alone)\n" << bench.help();
    return 2;
  }
  std::optional<cnnc::PeakMeter> meter;
  if (a.peak || a.layers) {
    meter.emplace(cnnc::parseTarget(c.target));
    double peakGflops = 0;
    for (int i = 0; i < 40; ++i)
      peakGflops = std::max(peakGflops, meter->sample(5));
    std::printf("peak %.1f GFLOP/s per thread  (target %s, JIT-compiled FMA loop, best of "
                "40 x 5 ms)\n",
                peakGflops, c.target.c_str());
    if (c.model.empty())
      return 0;
  }
  cnnc::Model m = compile(c);
  std::printf("compile %.3f s%s  target %s  threads %d\n", m.compileSeconds(),
              m.fromCache() ? " (cached)" : "", m.targetDescription().c_str(), m.threads());
  m.randomWeights(1);
  std::vector<cnnc::Tensor> x = randomInputs(m, 1);
  if (m.channelsFirst()) // time the model, not the layout changes at its boundary
    x = std::vector<cnnc::Tensor>(m.inputShapes().size());
  if (m.channelsFirst())
    for (size_t k = 0; k < x.size(); ++k) {
      cnnc::Shape s = m.inputShapes()[k];
      s.insert(s.begin(), m.batch());
      x[k] = cnnc::randomInput(s, 1, k ? "input_" + std::to_string(k) : "input");
    }
  timeRuns(m, x, a.runs);
  if (a.layers)
    timeKernels(m, x, a.runs, *meter);
  return 0;
}

/// No subcommand: compile MODEL (for its dumps) and stop; without one, the help.
int compileCommand(const Common &c, const CLI::App &app) {
  if (c.model.empty()) {
    std::cout << app.help();
    return 1;
  }
  compile(c);
  if (!c.dumpGraph.empty())
    std::printf("wrote the stage graphs of %s to %s/\n", c.model.c_str(), c.dumpGraph.c_str());
  if (c.dumpGraph.empty() && c.dumpLLVM.empty() && c.dumpAsm.empty() && c.printAfter.empty() &&
      !c.printAfterAll)
    std::printf("%s compiles cleanly (see --help for what to do with it)\n", c.model.c_str());
  return 0;
}

/// A failure's diagnostics on stderr, prefixed "cnnc: error: " unless they name their place.
int reportError(const cnnc::Error &e) {
  std::string msg = e.what();
  if (msg.find("error:") == std::string::npos)
    msg = "cnnc: error: " + msg;
  std::cerr << msg << (msg.empty() || msg.back() != '\n' ? "\n" : "");
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{About, "cnnc"};
  Common c;
  addGlobalOptions(app, c);
  bool memory = false;
  RunArgs runArgs;
  BenchArgs benchArgs;
  CLI::App *summary = addSummary(app, c, memory);
  CLI::App *run = addRun(app, c, runArgs);
  CLI::App *bench = addBench(app, c, benchArgs);
  ImportArgs importArgs;
  CLI::App *imp = addImport(app, importArgs);
  const InfoCommands info = addInfo(app, c);
  CompileArgs compileArgs;
  CLI::App *compileSub = addCompile(app, compileArgs);
  std::string version = cnnc::versionText();
  app.set_version_flag("--version", version.substr(0, version.size() - 1),
                       "Print cnnc's version, git commit and LLVM version");
  imp->add_option("--input-shape", c.inputShapes,
                  "Pin the model's dynamic input dimensions: NAME=1,3,224,224, or 1,3,224,224 "
                  "for the only input (the written .cnn has these sizes)")
      ->type_name("[NAME=]DIMS")
      ->allow_extra_args(false);
  for (CLI::App *sub : {run, bench})
    addRunOptions(*sub, c);
  for (CLI::App *sub : {summary, run, bench, compileSub})
    sub->fallthrough();
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 2; // --help is success; a usage error exits 2
  }

  try {
    if (app.got_subcommand(summary))
      return summaryCommand(c, memory);
    if (app.got_subcommand(run))
      return runCommand(c, runArgs, *run);
    if (app.got_subcommand(bench))
      return benchCommand(c, benchArgs, *bench);
    if (app.got_subcommand(imp))
      return importCommand(importArgs, c);
    if (app.got_subcommand(info.ops))
      return std::cout << cnnc::opsText(), 0;
    if (app.got_subcommand(info.weights))
      return weightsCommand(c);
    if (app.got_subcommand(compileSub))
      return compileObjectCommand(compileArgs, options(c));
    return compileCommand(c, app);
  } catch (const cnnc::Error &e) {
    return reportError(e);
  } catch (const std::exception &e) {
    std::cerr << "cnnc: error: " << e.what() << "\n";
    return 1;
  }
}

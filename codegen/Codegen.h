// codegen/Codegen.h - graph IR to machine code through LLVM 16's ORC JIT.
// This header is LLVM-free so the API layer and tools stay light to compile.
#pragma once

#include "cnnc/cnnc.h"
#include "ir/IR.h"
#include "runtime/Program.h"

#include <memory>
#include <string>
#include <vector>

namespace cnnc {

/// The instruction set code is generated for.
struct TargetInfo {
  std::string name;         // "avx512", "avx2", "sse4"
  std::string cpu;          // LLVM CPU name: "sapphirerapids", "haswell", ...
  std::string features;     // LLVM feature string, "+avx2,+fma,..." (empty: the CPU's own)
  int vectorWidth = 4;      // floats per SIMD register
  int vectorRegisters = 16; // SIMD registers: 16 xmm or ymm, 32 zmm
};
TargetInfo selectTarget(Target target);
/// The target of an object file: for `triple` (empty: this machine), where
/// an x86 target need not run here; "aarch64-linux-gnu" gives NEON.
TargetInfo selectObjectTarget(Target target, const std::string &triple);

/// Machine code for one model; owns the JIT that holds it.
class JitModel {
public:
  virtual ~JitModel() = default;
  /// The kernels, in execution order: a Step (runtime/Program.h) and what
  /// profiles and checks need to know of it.
  struct Kernel : Step {
    ValueId node;
    bool padding = false; // a padded conv's zero-bordered input copy (runs before the conv)
    std::string plan;     // how it is blocked, for profiles ("tile 2x7 px x 32 ch")
  };
  std::vector<Kernel> kernels;
  std::vector<PackSpec> packs; // how to lay out the weights the kernels read
  int64_t weightFloats = 0;
  bool fromCache = false; // the machine code came from the compile cache

  /// With CodegenOptions::object: writes the object file (ELF) of the kernels
  /// and a model descriptor `symbol` (cnnc_model, include/cnnc/runtime.h)
  /// holding `program` (Program::toJson) and, unless null, the packed weights.
  virtual void writeObject(const std::string &path, const std::string &symbol,
                           const std::string &program, const float *weights,
                           int64_t weightFloats) = 0;
};

struct CodegenOptions {
  TargetInfo target;
  std::string *llvmIR = nullptr;   // when set, receives the optimised LLVM IR
  std::string *assembly = nullptr; // when set, receives the generated assembly
  ConvTile convTile;               // forced register tile for direct convs (0: cost model)
  bool winograd = true;            // Winograd F(2x2) or F(4x4) where it applies (Options::winograd)
  int batch = 1;                   // images per run, each in its own arena...
  int64_t arenaStride = 0;         // ... this many floats after the previous one
  std::string cacheDir;            // the compile cache (Options::cacheDir); empty: none
  bool object = false;             // keep the module for objectFile(); no JIT, no kernel addresses
  std::string triple;              // the target triple (object only); empty: the host's
  int threads = 0; // the threads run() splits kernels among; 0: not known (an object's)
};

/// Emits one specialised kernel per node (and one for each padded conv's
/// bordered input), optimises at O3 and JIT-compiles. Throws Error if LLVM fails (an internal
/// error).
std::unique_ptr<JitModel> compileGraph(const Graph &g, const CodegenOptions &options);

/// A JIT-compiled loop of independent vector FMAs (PeakMeter's).
class FmaLoop {
public:
  virtual ~FmaLoop() = default;
  /// GFLOP/s of one timed run of about `ms` milliseconds.
  virtual double sample(double ms) = 0;
};
std::unique_ptr<FmaLoop> compileFmaLoop(const TargetInfo &target);

} // namespace cnnc

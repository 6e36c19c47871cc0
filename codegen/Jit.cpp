// codegen/Jit.cpp - builds the LLVM module (a kernel per node, the runtime
// calls them in order), lays out the packed weights each kernel family plans,
// optimises at O3 for the target CPU and JIT-compiles with ORC's LLJIT.
#include "cnnc/runtime.h"
#include "codegen/Cache.h"
#include "codegen/Emitter.h"

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/ModuleUtils.h>

#include <chrono>
#include <mutex>

namespace cnnc {

using namespace llvm;

namespace {

struct Setup;

struct Jit final : JitModel {
  std::unique_ptr<ObjectFileCache> cache; // outlives the JIT that reads it
  std::unique_ptr<orc::LLJIT> lljit;
  std::unique_ptr<Setup> kept; // CodegenOptions::object: the optimised module

  void writeObject(const std::string &path, const std::string &symbol, const std::string &program,
                   const float *weights, int64_t weightFloats) override;
};

template <class T> T check(Expected<T> v, const char *what) {
  if (!v)
    throw cnnc::Error(std::string("internal compiler error: ") + what + ": " +
                      toString(v.takeError()));
  return std::move(*v);
}

void initLLVM() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
  });
}

/// Every target LLVM was built with, for cross-compiled objects.
void initAllTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeAllTargetInfos();
    InitializeAllTargets();
    InitializeAllTargetMCs();
    InitializeAllAsmPrinters();
  });
}

orc::JITTargetMachineBuilder machineBuilder(const std::string &triple) {
  if (triple.empty())
    return check(orc::JITTargetMachineBuilder::detectHost(), "detecting the host");
  initAllTargets();
  std::string err;
  Triple t(Triple::normalize(triple));
  if (!TargetRegistry::lookupTarget(t.str(), err))
    throw cnnc::Error("unknown target triple '" + triple + "': " + err);
  return orc::JITTargetMachineBuilder(t);
}

/// How the node's kernel reads its weights (its family plans it).
PackPlan planPack(const Graph &g, const Node &n, const CodegenOptions &opts) {
  // By the table's weight layout: an op without weights needs nothing here.
  switch (opWeights(n.op)) {
  case WeightRule::ConvOIHW:
    return planConvPack(g, n, opts);
  case WeightRule::DenseOI:
    return planDensePack(g, n, opts.target);
  case WeightRule::ChannelStats:
    return planBatchNormPack(n, opts.target);
  case WeightRule::ChannelWeight:
    return planPreluPack(g, n, opts.target);
  case WeightRule::ConvTransposeIOHW:
    return planConvTransposePack(g, n, opts);
  case WeightRule::None:
    return {};
  }
  return {};
}

std::string kernelName(ValueId id, const Node &n) {
  std::string s = "k" + std::to_string(id) + "_";
  for (char c : n.name)
    s += std::isalnum((unsigned char)c) ? c : '_';
  return s;
}

void setAttributes(Function *f, const TargetInfo &t) {
  f->addFnAttr("target-cpu", t.cpu);
  if (!t.features.empty())
    f->addFnAttr("target-features", t.features);
  f->addFnAttr("prefer-vector-width", std::to_string(t.vectorWidth * 32));
  f->addFnAttr("min-legal-vector-width", std::to_string(t.vectorWidth * 32));
  f->addFnAttr(Attribute::NoUnwind);
}

void optimize(Module &m, TargetMachine &tm) {
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(OptimizationLevel::O3).run(m, mam);
}

std::string assemble(Module &m, TargetMachine &tm) {
  std::unique_ptr<Module> copy = CloneModule(m);
  SmallString<0> buf;
  raw_svector_ostream os(buf);
  legacy::PassManager pm;
  tm.Options.MCOptions.AsmVerbose = true; // comments: loop depth, "64-byte Spill", ...
  if (tm.addPassesToEmitFile(pm, os, nullptr, CGFT_AssemblyFile))
    return "(this target cannot emit assembly)\n";
  pm.run(*copy);
  return std::string(buf.str());
}

/// The target machine for `t`, and a module set up for it.
struct Setup {
  orc::JITTargetMachineBuilder jtmb;
  std::unique_ptr<TargetMachine> tm;
  std::unique_ptr<LLVMContext> ctx = std::make_unique<LLVMContext>();
  std::unique_ptr<Module> mod;
  FunctionType *kernelType;

  /// `object`: position-independent code for an object file (`triple`: for
  /// that machine), rather than for the JIT.
  Setup(const TargetInfo &t, const std::string &name, bool object = false,
        const std::string &triple = "")
      : jtmb((initLLVM(), machineBuilder(triple))) {
    jtmb.setCPU(t.cpu);
    jtmb.getFeatures() = SubtargetFeatures(t.features);
    jtmb.setCodeGenOptLevel(CodeGenOpt::Aggressive);
    if (object) // not JTMB's machine: that one is for the JIT (AArch64's large code model)
      tm = objectMachine(t);
    else
      tm = check(jtmb.createTargetMachine(), "creating the target machine");
    mod = std::make_unique<Module>(name, *ctx);
    mod->setDataLayout(tm->createDataLayout());
    mod->setTargetTriple(tm->getTargetTriple().str());
    Type *ptr = PointerType::get(*ctx, 0), *i64 = Type::getInt64Ty(*ctx);
    kernelType = FunctionType::get(Type::getVoidTy(*ctx), {ptr, ptr, i64, i64, ptr}, false);
  }

  /// An ordinary compiler's target machine: position-independent, small code model.
  std::unique_ptr<TargetMachine> objectMachine(const TargetInfo &t) {
    std::string err;
    const Triple &triple = jtmb.getTargetTriple();
    const llvm::Target *target = TargetRegistry::lookupTarget(triple.str(), err);
    if (!target)
      throw cnnc::Error("internal compiler error: " + err);
    std::unique_ptr<TargetMachine> m(
        target->createTargetMachine(triple.str(), t.cpu, t.features, TargetOptions(), Reloc::PIC_,
                                    CodeModel::Small, CodeGenOpt::Aggressive));
    if (!m)
      throw cnnc::Error("internal compiler error: no target machine for " + triple.str());
    return m;
  }

  /// JIT-compiles the (optimised) module, or takes `cache`'s object for it;
  /// the functions are then looked up by name.
  std::unique_ptr<orc::LLJIT> jit(ObjectFileCache *cache = nullptr) {
    auto compiler = [cache](orc::JITTargetMachineBuilder b)
        -> Expected<std::unique_ptr<orc::IRCompileLayer::IRCompiler>> {
      auto tm = b.createTargetMachine();
      if (!tm)
        return tm.takeError();
      return std::make_unique<orc::TMOwningSimpleCompiler>(std::move(*tm), cache);
    };
    auto lljit = check(orc::LLJITBuilder()
                           .setJITTargetMachineBuilder(jtmb)
                           .setCompileFunctionCreator(compiler)
                           .create(),
                       "creating the JIT");
    // memcpy/memset calls resolve to the process's C library.
    lljit->getMainJITDylib().addGenerator(
        check(orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
                  lljit->getDataLayout().getGlobalPrefix()),
              "looking up the C library"));
    if (llvm::Error e = lljit->addIRModule(orc::ThreadSafeModule(std::move(mod), std::move(ctx))))
      throw cnnc::Error("internal compiler error: adding the module: " + toString(std::move(e)));
    return lljit;
  }
};

/// The kernels' addresses in execution order, kept through optimisation
/// (llvm.used): an object's model descriptor points at them.
void addKernelTable(Module &m, const std::vector<std::string> &names) {
  std::vector<Constant *> fns;
  for (const std::string &name : names)
    fns.push_back(m.getFunction(name));
  auto *type = ArrayType::get(PointerType::get(m.getContext(), 0), fns.size());
  auto *table = new GlobalVariable(m, type, true, GlobalValue::PrivateLinkage,
                                   ConstantArray::get(type, fns), "cnnc.kernels");
  appendToUsed(m, {table});
}

} // namespace

void Jit::writeObject(const std::string &path, const std::string &symbol,
                      const std::string &program, const float *weights, int64_t weightFloats) {
  if (!kept)
    throw cnnc::Error("internal compiler error: the model was not compiled for an object file");
  Module &m = *kept->mod;
  LLVMContext &c = m.getContext();
  Type *i32 = Type::getInt32Ty(c), *i64 = Type::getInt64Ty(c), *ptr = PointerType::get(c, 0);
  auto global = [&](Constant *init, const char *name) {
    auto *g = new GlobalVariable(m, init->getType(), true, GlobalValue::PrivateLinkage, init, name);
    g->setAlignment(Align(64));
    return g;
  };
  Constant *text = global(ConstantDataArray::getString(c, program, true), "cnnc.program");
  GlobalVariable *table = m.getGlobalVariable("cnnc.kernels", true);
  Constant *packed = ConstantPointerNull::get(PointerType::get(c, 0));
  if (weights) // as bytes: the asm printer then writes them in one piece, not value by value
    packed = global(
        ConstantDataArray::get(c, ArrayRef<uint8_t>((const uint8_t *)weights, weightFloats * 4)),
        "cnnc.weights");
  // struct cnnc_model in include/cnnc/runtime.h, field for field.
  auto *type = StructType::get(c, {i32, i32, ptr, i64, ptr, i64, ptr, i64});
  Constant *fields[] = {ConstantInt::get(i32, CNNC_RUNTIME_ABI),
                        ConstantInt::get(i32, 0),
                        text,
                        ConstantInt::get(i64, program.size()),
                        table,
                        ConstantInt::get(i64, kernels.size()),
                        packed,
                        ConstantInt::get(i64, weights ? weightFloats : 0)};
  new GlobalVariable(m, type, true, GlobalValue::ExternalLinkage, ConstantStruct::get(type, fields),
                     symbol);
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    throw cnnc::Error("cannot write '" + path + "': " + ec.message());
  legacy::PassManager pm;
  if (kept->tm->addPassesToEmitFile(pm, os, nullptr, CGFT_ObjectFile))
    throw cnnc::Error("internal compiler error: this target cannot emit object files");
  pm.run(m);
  os.close();
  if (os.has_error())
    throw cnnc::Error("cannot write '" + path + "': " + os.error().message());
}

std::unique_ptr<JitModel> compileGraph(const Graph &g, const CodegenOptions &opts) {
  const TargetInfo &t = opts.target;
  auto setup = std::make_unique<Setup>(t, g.name, opts.object, opts.triple);
  Setup &js = *setup;
  Module *mod = js.mod.get();

  auto jm = std::make_unique<Jit>();
  // Appends a packed layout to the weights; -1 for none.
  auto add = [&](const std::optional<PackSpec> &spec) -> int64_t {
    if (!spec)
      return -1;
    PackSpec p = *spec;
    p.offset = jm->weightFloats;
    jm->weightFloats += alignedFloats(packedSize(p));
    jm->packs.push_back(p);
    return p.offset;
  };
  std::vector<std::string> names;
  auto kernel = [&](const std::string &name, ValueId id, bool padding,
                    const std::function<int64_t(Emitter &)> &emit) {
    // An object's kernels are reached through its table only, so two models
    // link into one program without clashing.
    Function *f = Function::Create(
        js.kernelType, opts.object ? Function::InternalLinkage : Function::ExternalLinkage, name,
        *mod);
    setAttributes(f, t);
    for (unsigned a : {0, 1, 4})
      f->addParamAttr(a, Attribute::NoAlias);
    Emitter e(*mod, f, t);
    e.batch = opts.batch, e.arenaStride = opts.arenaStride, e.threads = opts.threads;
    JitModel::Kernel k;
    k.node = id;
    k.items = emit(e);
    k.padding = padding;
    k.plan = e.plan;
    k.batched = e.batched;
    k.scratchFloats = e.scratchFloats;
    // Split only what is worth a thread's wake-up: about a million flops or
    // 256 KiB copied, in at least two work items.
    const Node &n = g.nodes[id];
    int64_t work = padding ? n.type.elements() : std::max(flopCount(g, n), n.type.elements());
    k.parallel = k.items > 1 && work >= (1 << 20) / (padding ? 16 : 1);
    jm->kernels.push_back(k);
    names.push_back(name);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead || n.op == OpKind::Input || isView(g, n))
      continue;
    PackPlan plan = planPack(g, n, opts);
    const int64_t wOff = add(plan.weight), bOff = add(plan.bias);
    if (scratchFloats(g, n) > 0) // the padded copy (or the border's zeroes) first
      kernel(kernelName((ValueId)i, n) + "_pad", (ValueId)i, true,
             [&](Emitter &e) { return emitPadScratch(e, g, n); });
    kernel(kernelName((ValueId)i, n), (ValueId)i, false, [&](Emitter &e) {
      e.convTile = plan.tile;
      e.winograd = plan.winograd;
      return emitKernel(e, g, n, wOff, bOff);
    });
  }

  std::string err;
  raw_string_ostream es(err);
  if (verifyModule(*mod, &es))
    throw cnnc::Error("internal compiler error: invalid LLVM IR for model '" + g.name +
                      "': " + es.str());
  if (opts.object) {
    addKernelTable(*mod, names);
    optimize(*mod, *js.tm);
    jm->kept = std::move(setup);
    return jm;
  }
  // The compile cache, unless the optimised IR or the assembly is wanted.
  jm->cache =
      std::make_unique<ObjectFileCache>(opts.llvmIR || opts.assembly ? "" : opts.cacheDir, *mod, t);
  jm->fromCache = jm->cache->hit();
  if (!jm->fromCache)
    optimize(*mod, *js.tm);
  if (opts.llvmIR) {
    raw_string_ostream os(*opts.llvmIR);
    mod->print(os, nullptr);
  }
  if (opts.assembly)
    *opts.assembly = assemble(*mod, *js.tm);
  jm->lljit = js.jit(jm->cache.get());
  for (size_t k = 0; k < names.size(); ++k)
    jm->kernels[k].fn = check(jm->lljit->lookup(names[k]), "looking up a kernel").toPtr<KernelFn>();
  return jm;
}

} // namespace cnnc

namespace cnnc {

namespace {

class FmaLoopImpl : public FmaLoop {
public:
  FmaLoopImpl(const TargetInfo &t) : VL(t.vectorWidth), chains(VL == 16 ? 24 : 12) {
    // More independent accumulators than FMA latency x ports.
    Setup js(t, "peak");
    Function *f = Function::Create(js.kernelType, Function::ExternalLinkage, "peak", *js.mod);
    setAttributes(f, t);
    Emitter e(*js.mod, f, t);
    std::vector<Value *> acc;
    for (int i = 0; i < chains; ++i) {
      acc.push_back(e.slot());
      e.b.CreateStore(e.loadV(e.at(e.weights(), (int64_t)i * e.VL)), acc[i]);
    }
    Value *x = e.loadV(e.at(e.arena(), int64_t(0))), *y = e.loadV(e.at(e.arena(), int64_t(e.VL)));
    e.loop(e.lo(), e.hi(), [&](Value *) {
      for (Value *a : acc)
        e.b.CreateStore(e.fma(e.b.CreateLoad(e.vf, a), x, y), a);
    });
    for (int i = 0; i < chains; ++i)
      e.storeV(e.b.CreateLoad(e.vf, acc[i]), e.at(e.weights(), (int64_t)i * e.VL));
    e.b.CreateRetVoid();
    optimize(*js.mod, *js.tm);
    jit = js.jit();
    fn = check(jit->lookup("peak"), "looking up the peak loop").toPtr<KernelFn>();
    accs.assign(chains * VL, 1.f);
    xy.assign(2 * VL, 0.5f);
    sample(1); // warms up and calibrates
  }

  double sample(double ms) override {
    int64_t iters = std::max<int64_t>(1000, (int64_t)(ms * itersPerMs));
    auto t0 = std::chrono::steady_clock::now();
    fn(accs.data(), xy.data(), 0, iters, nullptr);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    itersPerMs = std::max(itersPerMs, iters / (s * 1e3));
    return 2.0 * chains * VL * iters / s / 1e9;
  }

private:
  int VL, chains;
  double itersPerMs = 100000;
  std::unique_ptr<orc::LLJIT> jit;
  KernelFn fn;
  std::vector<float> accs, xy;
};

} // namespace

std::unique_ptr<FmaLoop> compileFmaLoop(const TargetInfo &t) {
  return std::make_unique<FmaLoopImpl>(t);
}

} // namespace cnnc

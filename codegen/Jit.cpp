// codegen/Jit.cpp - builds the LLVM module (a kernel per node, an entry that
// calls them in order), plans the packed weights, optimises at O3 for the
// target CPU and JIT-compiles with ORC's LLJIT.
#include "codegen/Emitter.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <mutex>

namespace cnnc {

using namespace llvm;

namespace {

struct Jit final : JitModel {
  std::unique_ptr<orc::LLJIT> lljit;
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

/// Where each node's packed weights go, appended to `out`.
struct WeightSlots {
  int64_t weight = -1, bias = -1;
};

WeightSlots planWeights(const Graph &g, const Node &n, int VL, JitModel &out) {
  WeightSlots s;
  auto shapes = weightShapes(g, n);
  if (shapes.empty())
    return s;
  auto add = [&](PackSpec p) {
    p.offset = out.weightFloats;
    out.weightFloats += (packedSize(p) + 15) / 16 * 16;
    out.packs.push_back(p);
    return p.offset;
  };
  int64_t units = shapes[0].second[0];
  int64_t padded = (units + VL - 1) / VL * VL;
  PackSpec w{PackSpec::ConvHWIO, shapes[0].first, shapes[0].second};
  if (n.op == OpKind::Dense) {
    int64_t group = std::min<int64_t>(4, padded / VL) * VL;
    padded = (units + group - 1) / group * group;
    w.kind = PackSpec::DenseBlocked;
    w.padTo = group;
    w.outPad = padded;
    // Dense after flatten of an image: the weights index PyTorch's CHW order.
    // Element-wise ops and flattens of vectors keep the order; look through them.
    ValueId src = n.inputs[0];
    auto orderPreserving = [&](const Node &x) {
      return hasTrait(x.op, Elementwise) ||
             (x.op == OpKind::Flatten && g.nodes[x.inputs[0]].type.dims.size() == 1);
    };
    while (orderPreserving(g.nodes[src]))
      src = g.nodes[src].inputs[0];
    const Node &f = g.nodes[src];
    if (f.op == OpKind::Flatten && g.nodes[f.inputs[0]].type.dims.size() == 3) {
      const auto &d = g.nodes[f.inputs[0]].type.dims;
      w.flatH = d[0], w.flatW = d[1], w.flatC = d[2];
    }
  } else {
    w.padTo = padded;
  }
  s.weight = add(w);
  if (shapes.size() > 1)
    s.bias = add(PackSpec{PackSpec::Bias, shapes[1].first, shapes[1].second, 0, padded});
  return s;
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
  if (tm.addPassesToEmitFile(pm, os, nullptr, CGFT_AssemblyFile))
    return "(this target cannot emit assembly)\n";
  pm.run(*copy);
  return std::string(buf.str());
}

} // namespace

std::unique_ptr<JitModel> compileGraph(const Graph &g, const CodegenOptions &opts) {
  initLLVM();
  const TargetInfo &t = opts.target;
  auto jtmb = check(orc::JITTargetMachineBuilder::detectHost(), "detecting the host");
  jtmb.setCPU(t.cpu);
  jtmb.getFeatures() = SubtargetFeatures(t.features);
  jtmb.setCodeGenOptLevel(CodeGenOpt::Aggressive);
  std::unique_ptr<TargetMachine> tm =
      check(jtmb.createTargetMachine(), "creating the target machine");

  auto ctx = std::make_unique<LLVMContext>();
  auto mod = std::make_unique<Module>(g.name, *ctx);
  mod->setDataLayout(tm->createDataLayout());
  mod->setTargetTriple(tm->getTargetTriple().str());
  Type *ptr = PointerType::get(*ctx, 0);
  FunctionType *fty = FunctionType::get(Type::getVoidTy(*ctx), {ptr, ptr}, false);

  auto jm = std::make_unique<Jit>();
  Function *entry = Function::Create(fty, Function::ExternalLinkage, "cnnc_entry", *mod);
  setAttributes(entry, t);
  std::vector<Function *> kernels;
  std::vector<ValueId> kernelNodes;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    if (n.dead || n.op == OpKind::Input || n.op == OpKind::Flatten)
      continue;
    WeightSlots slots = planWeights(g, n, t.vectorWidth, *jm);
    Function *f = Function::Create(fty, Function::ExternalLinkage, kernelName((ValueId)i, n), *mod);
    setAttributes(f, t);
    f->addFnAttr(Attribute::NoInline);
    for (unsigned a = 0; a < 2; ++a)
      f->addParamAttr(a, Attribute::NoAlias);
    Emitter e(*mod, f, t.vectorWidth);
    emitKernel(e, g, n, slots.weight, slots.bias);
    kernels.push_back(f);
    kernelNodes.push_back((ValueId)i);
  }
  IRBuilder<> b(BasicBlock::Create(*ctx, "entry", entry));
  for (Function *k : kernels)
    b.CreateCall(k, {entry->getArg(0), entry->getArg(1)});
  b.CreateRetVoid();

  std::string err;
  raw_string_ostream es(err);
  if (verifyModule(*mod, &es))
    throw cnnc::Error("internal compiler error: invalid LLVM IR for model '" + g.name +
                      "': " + es.str());
  optimize(*mod, *tm);
  if (opts.llvmIR) {
    raw_string_ostream os(*opts.llvmIR);
    mod->print(os, nullptr);
  }
  if (opts.assembly)
    *opts.assembly = assemble(*mod, *tm);

  jm->lljit = check(orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create(),
                    "creating the JIT");
  // memcpy/memset calls resolve to the process's C library.
  jm->lljit->getMainJITDylib().addGenerator(
      check(orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
                jm->lljit->getDataLayout().getGlobalPrefix()),
            "looking up the C library"));
  if (llvm::Error e = jm->lljit->addIRModule(orc::ThreadSafeModule(std::move(mod), std::move(ctx))))
    throw cnnc::Error("internal compiler error: adding the module: " + toString(std::move(e)));
  jm->entry = check(jm->lljit->lookup("cnnc_entry"), "looking up the entry").toPtr<EntryFn>();
  for (ValueId id : kernelNodes)
    jm->kernels.push_back(
        {id, check(jm->lljit->lookup(kernelName(id, g.nodes[id])), "looking up a kernel")
                 .toPtr<EntryFn>()});
  return jm;
}

} // namespace cnnc

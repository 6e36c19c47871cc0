// codegen/Target.cpp - the host CPU, or a forced narrower target so every
// code path can be tested on one machine.
#include "codegen/Codegen.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/Host.h>

namespace cnnc {

Target parseTarget(const std::string &name) {
  if (name == "host")
    return Target::Host;
  if (name == "avx512")
    return Target::AVX512;
  if (name == "avx2")
    return Target::AVX2;
  if (name == "sse4")
    return Target::SSE4;
  if (name == "generic")
    return Target::Generic;
  throw Error("unknown target '" + name + "' (expected host, avx512, avx2, sse4 or generic)");
}

static std::string hostFeatures() {
  llvm::StringMap<bool> features;
  std::string s;
  if (!llvm::sys::getHostCPUFeatures(features))
    return s;
  for (auto &f : features)
    s += (s.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
  return s;
}

// A forced target must still run here: refuse one the host cannot execute
// (unless the code is for an object file, which runs elsewhere).
static TargetInfo requireHost(TargetInfo t, const std::string &feature, bool here) {
  if (here && hostFeatures().find(feature) == std::string::npos)
    throw Error("target " + t.name + " needs " + feature.substr(1) + ", which this CPU (" +
                llvm::sys::getHostCPUName().str() + ") does not have");
  return t;
}

static TargetInfo select(Target target, bool here) {
  switch (target) {
  case Target::Host: {
    TargetInfo t{"host", llvm::sys::getHostCPUName().str(), hostFeatures(), 4, 16};
    if (t.features.find("+avx512f") != std::string::npos)
      t.vectorWidth = 16, t.vectorRegisters = 32, t.name = "avx512";
    else if (t.features.find("+avx2") != std::string::npos &&
             t.features.find("+fma") != std::string::npos)
      t.vectorWidth = 8, t.name = "avx2";
    else
      t.name = "sse4";
    return t;
  }
  case Target::AVX512:
    return requireHost({"avx512", "skylake-avx512", "", 16, 32}, "+avx512f", here);
  case Target::AVX2:
    return requireHost({"avx2", "haswell", "", 8, 16}, "+avx2", here);
  case Target::SSE4:
    return requireHost({"sse4", "nehalem", "", 4, 16}, "+sse4.2", here);
  case Target::Generic: // any x86-64: SSE2, multiply and add without FMA
    return requireHost({"generic", "x86-64", "", 4, 16}, "+sse2", here);
  }
  return {"sse4", "nehalem", "", 4, 16};
}

TargetInfo selectTarget(Target target) { return select(target, true); }

TargetInfo selectObjectTarget(Target target, const std::string &triple) {
  const std::string arch = triple.substr(0, triple.find('-'));
  if (arch == "aarch64" || arch == "arm64") {
    if (target != Target::Host && target != Target::Generic)
      throw Error("targets avx512, avx2 and sse4 are x86-64's; for " + triple +
                  " use host or generic (NEON: 4 floats per register, 32 registers)");
    return {"neon", "generic", "+neon", 4, 32};
  }
  if (!triple.empty() && arch != "x86_64")
    throw Error("unsupported target triple '" + triple +
                "': cnnc generates code for x86_64-linux-gnu and aarch64-linux-gnu");
  return select(target, false);
}

} // namespace cnnc

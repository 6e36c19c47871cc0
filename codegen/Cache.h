// codegen/Cache.h - the JIT's compile cache: a model's machine code, keyed
// by its LLVM module before optimisation (so by every kernel as emitted),
// the target CPU and features and the LLVM version, is kept in a directory
// and loaded instead of optimising and compiling again.
#pragma once

#include "codegen/Codegen.h"

#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>

namespace cnnc {

class ObjectFileCache final : public llvm::ObjectCache {
public:
  /// Looks `m` up in `dir` (empty: no cache, never a hit). An entry that is
  /// truncated or corrupt is not a hit (and is rewritten after compiling).
  ObjectFileCache(const std::string &dir, const llvm::Module &m, const TargetInfo &t);
  /// A verified object is there: the module need not be optimised.
  bool hit() const { return obj_ != nullptr; }
  /// Writes the entry: a temporary file renamed into place, so concurrent
  /// processes never see half of one.
  void notifyObjectCompiled(const llvm::Module *m, llvm::MemoryBufferRef obj) override;
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module *m) override;

private:
  std::string path_; // empty: no cache
  std::unique_ptr<llvm::MemoryBuffer> obj_;
};

} // namespace cnnc

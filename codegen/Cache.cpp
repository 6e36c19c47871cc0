// codegen/Cache.cpp - the compile cache's entries: DIR/<key>.o holding a
// magic, the object's length and hash, then the object (verified on load).
#include "codegen/Cache.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Support/xxhash.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace cnnc {

namespace {

constexpr char Magic[8] = {'C', 'N', 'N', 'C', 'O', 'B', 'J', '1'};
constexpr size_t Header = sizeof(Magic) + 16; // magic, length, hash

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

} // namespace

ObjectFileCache::ObjectFileCache(const std::string &dir, const llvm::Module &m,
                                 const TargetInfo &t) {
  if (dir.empty())
    return;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "cnnc object cache 1\n"
     << LLVM_VERSION_STRING << '\n'
     << t.cpu << '\n'
     << t.features << '\n';
  m.print(os, nullptr);
  os.flush();
  path_ = dir + "/" + hex(llvm::xxHash64(text)) + ".o";
  std::ifstream f(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < Header || std::memcmp(bytes.data(), Magic, sizeof Magic) != 0)
    return;
  uint64_t length, hash;
  std::memcpy(&length, bytes.data() + sizeof Magic, 8);
  std::memcpy(&hash, bytes.data() + sizeof Magic + 8, 8);
  llvm::StringRef obj(bytes.data() + Header, bytes.size() - Header);
  if (length != obj.size() || hash != llvm::xxHash64(obj))
    return; // truncated or corrupt: compiled again, then rewritten
  obj_ = llvm::MemoryBuffer::getMemBufferCopy(obj, path_);
}

void ObjectFileCache::notifyObjectCompiled(const llvm::Module *, llvm::MemoryBufferRef obj) {
  if (path_.empty() || obj_)
    return;
  std::error_code ec;
  const std::filesystem::path target(path_);
  std::filesystem::create_directories(target.parent_path(), ec);
  const std::string tmp = path_ + ".tmp" + std::to_string(std::random_device{}());
  {
    std::ofstream f(tmp, std::ios::binary);
    const uint64_t length = obj.getBufferSize(), hash = llvm::xxHash64(obj.getBuffer());
    f.write(Magic, sizeof Magic);
    f.write((const char *)&length, 8).write((const char *)&hash, 8);
    f.write(obj.getBufferStart(), (std::streamsize)length);
    if (!f.good()) { // a full disk or no permission: the cache is only an optimisation
      f.close();
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec)
    std::filesystem::remove(tmp, ec);
}

std::unique_ptr<llvm::MemoryBuffer> ObjectFileCache::getObject(const llvm::Module *) {
  if (!obj_)
    return nullptr;
  return llvm::MemoryBuffer::getMemBufferCopy(obj_->getBuffer(), obj_->getBufferIdentifier());
}

} // namespace cnnc

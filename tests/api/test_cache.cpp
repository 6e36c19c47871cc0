// tests/api/test_cache.cpp - the compile cache (Options::cacheDir,
// codegen/Cache.cpp): an identical compilation loads its machine code from
// the directory, with the same outputs; another target or other kernels
// miss; a truncated or corrupt entry is compiled again and rewritten;
// concurrent compilations of one model share the directory.
#include "cnnc/cnnc.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace fs = std::filesystem;

namespace {

const std::string Lenet = CNNC_SOURCE_DIR "/examples/seed/lenet.cnn";

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("cnnc-cache-" + std::to_string(std::random_device{}()));
  ~TempDir() { fs::remove_all(path); }
};

std::vector<fs::path> entries(const fs::path &dir) {
  std::vector<fs::path> out;
  for (const auto &e : fs::directory_iterator(dir))
    out.push_back(e.path());
  return out;
}

cnnc::Tensor output(cnnc::Model &m) {
  m.randomWeights(3);
  cnnc::Tensor x(m.inputShape());
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = float(i % 13) / 13;
  return m.run(x);
}

} // namespace

TEST_CASE("an identical compilation loads its machine code from the cache", "[api][cache]") {
  TempDir dir;
  cnnc::Options o;
  o.cacheDir = dir.path.string();
  cnnc::Model first = cnnc::Model::compileFile(Lenet, o);
  CHECK_FALSE(first.fromCache());
  REQUIRE(entries(dir.path).size() == 1);
  cnnc::Model second = cnnc::Model::compileFile(Lenet, o);
  CHECK(second.fromCache());
  const cnnc::Tensor a = output(first), b = output(second);
  REQUIRE(a.shape() == b.shape());
  for (int64_t i = 0; i < a.size(); ++i)
    CHECK(a[i] == b[i]);
  // Another target, or other kernels (no Winograd changes nothing in LeNet;
  // a batch of 2 does), are other entries.
  o.target = cnnc::Target::Generic;
  CHECK_FALSE(cnnc::Model::compileFile(Lenet, o).fromCache());
  o.batch = 2;
  CHECK_FALSE(cnnc::Model::compileFile(Lenet, o).fromCache());
  CHECK(entries(dir.path).size() == 3);
  // No cache at all.
  o.cacheDir = "";
  CHECK_FALSE(cnnc::Model::compileFile(Lenet, o).fromCache());
}

TEST_CASE("a truncated or corrupt cache entry is compiled again and rewritten", "[api][cache]") {
  TempDir dir;
  cnnc::Options o;
  o.cacheDir = dir.path.string();
  cnnc::Model first = cnnc::Model::compileFile(Lenet, o);
  const fs::path entry = entries(dir.path).at(0);
  const auto size = fs::file_size(entry);
  for (int damage : {0, 1}) {
    if (damage == 0) { // truncated
      fs::resize_file(entry, size / 2);
    } else { // one byte of the object flipped
      std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp((std::streamoff)size - 7);
      f.put('\x5a');
    }
    cnnc::Model m = cnnc::Model::compileFile(Lenet, o);
    CHECK_FALSE(m.fromCache());
    CHECK(fs::file_size(entry) == size);
    CHECK(cnnc::Model::compileFile(Lenet, o).fromCache());
    const cnnc::Tensor a = output(first), b = output(m);
    for (int64_t i = 0; i < a.size(); ++i)
      CHECK(a[i] == b[i]);
  }
}

TEST_CASE("concurrent compilations share the cache directory", "[api][cache]") {
  TempDir dir;
  cnnc::Options o;
  o.cacheDir = dir.path.string();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      cnnc::Model m = cnnc::Model::compileFile(Lenet, o);
      ok[t] = output(m).size() == 10;
    });
  for (std::thread &t : threads)
    t.join();
  CHECK(ok == std::vector<int>(4, 1));
  REQUIRE(entries(dir.path).size() == 1); // no temporary file left
  CHECK(cnnc::Model::compileFile(Lenet, o).fromCache());
}

// tests/runtime/test_npz.cpp - saveNpz's zip, read back entry by entry with
// the .npy reader (numpy.load reads it in tests/cli/run_multi_io.cmake).
#include "cnnc/Io.h"
#include "runtime/Io.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

uint64_t le(const std::string &b, size_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i)
    v = v << 8 | (unsigned char)b[at + i];
  return v;
}

} // namespace

TEST_CASE("saveNpz writes a stored zip of NAME.npy entries", "[runtime][npz]") {
  const std::string path = (std::filesystem::temp_directory_path() / "cnnc_test.npz").string();
  cnnc::Tensor a({2, 3}, {1, 2, 3, 4, 5, 6}), b({1}, {-7.5f});
  cnnc::saveNpz(path, {{"head1", a}, {"layer1.0.out", b}});
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string z = ss.str();
  // The end-of-directory record: two entries, the directory right after the data.
  const size_t end = z.size() - 22;
  REQUIRE(le(z, end, 4) == 0x06054b50);
  CHECK(le(z, end + 10, 2) == 2);
  size_t dir = le(z, end + 16, 4);
  CHECK(dir + le(z, end + 12, 4) == end);
  size_t at = 0;
  for (const cnnc::Tensor *want : {&a, &b}) {
    REQUIRE(le(z, at, 4) == 0x04034b50); // a local header, stored (method 0)
    CHECK(le(z, at + 8, 2) == 0);
    const size_t size = le(z, at + 18, 4), nameLen = le(z, at + 26, 2);
    CHECK(size == le(z, at + 22, 4));
    const std::string entry = z.substr(at + 30, nameLen);
    CHECK(entry == (want == &a ? "head1.npy" : "layer1.0.out.npy"));
    cnnc::Tensor t = cnnc::parseNpy(z.substr(at + 30 + nameLen, size), entry);
    CHECK(t.shape() == want->shape());
    for (int64_t i = 0; i < t.size(); ++i)
      CHECK(t[i] == (*want)[i]);
    CHECK(le(z, at + 14, 4) != 0); // a CRC-32 (numpy's zipfile checks it)
    // The directory entry points back at this header.
    REQUIRE(le(z, dir, 4) == 0x02014b50);
    CHECK(le(z, dir + 42, 4) == at);
    CHECK(le(z, dir + 16, 4) == le(z, at + 14, 4));
    dir += 46 + le(z, dir + 28, 2);
    at += 30 + nameLen + size;
  }
  CHECK(at == le(z, end + 16, 4));
  CHECK_THROWS_WITH(cnnc::saveNpz(path, {{"x", a}, {"x", b}}),
                    Catch::Contains("two arrays are named 'x'"));
  std::filesystem::remove(path);
}

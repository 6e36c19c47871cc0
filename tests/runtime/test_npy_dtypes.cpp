// tests/runtime/test_npy_dtypes.cpp - .npy arrays of every dtype cnnc reads,
// written by numpy (scripts/npy_fixtures.py), against numpy's astype(float32).
#include "runtime/Io.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

using namespace cnnc;

TEST_CASE("npy: numpy's dtypes and Fortran order read as float32", "[runtime][npy]") {
  const std::filesystem::path dir = std::string(CNNC_SOURCE_DIR) + "/tests/fixtures/npy_dtypes";
  int arrays = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (file.ends_with(".want.npy"))
      continue;
    const std::string stem = file.substr(0, file.size() - 4);
    INFO(file);
    std::string note;
    const Tensor got = readNpy(entry.path().string(), &note);
    const Tensor want = readNpy((dir / (stem + ".want.npy")).string());
    REQUIRE(got.shape() == want.shape());
    for (int64_t i = 0; i < got.size(); ++i) // bit for bit: NaN and -0 included
      REQUIRE(std::memcmp(got.data() + i, want.data() + i, 4) == 0);
    const bool fortran = stem.starts_with("fortran_");
    const std::string type = stem.substr(stem.find('_') + 1);
    if (type != "float32")
      REQUIRE(note.starts_with(
          (fortran || stem.starts_with("bigendian_") ? type.substr(0, type.find('_')) : stem) +
          " converted to float32"));
    REQUIRE((note.find("Fortran-order array transposed to C order") != std::string::npos) ==
            fortran);
    ++arrays;
  }
  REQUIRE(arrays >= 15);
}

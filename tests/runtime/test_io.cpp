// tests/runtime/test_io.cpp - Tensor, safetensors and .npy I/O (round trips and one case per
// kind of malformed input), and golden values of the deterministic weight generator.
#include "runtime/Guard.h"
#include "runtime/Io.h"
#include "runtime/Random.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace cnnc;
using Catch::Contains;

namespace {

std::string littleEndian(uint64_t value, int width) {
  std::string out;
  for (int i = 0; i < width; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::string floatBytes(const std::vector<float> &values) {
  std::string out(values.size() * sizeof(float), '\0');
  if (!values.empty())
    std::memcpy(out.data(), values.data(), out.size());
  return out;
}

/// A safetensors image: 8-byte header length, the header text, the data.
std::string safetensors(const std::string &header, const std::string &data = "") {
  return littleEndian(header.size(), 8) + header + data;
}

/// Parses "w.safetensors" holding one tensor 't' whose entry fields are `fields`.
WeightMap parseOne(const std::string &fields, const std::string &data = "") {
  return parseSafetensors(safetensors(R"({"t": {)" + fields + "}}", data), "w.safetensors");
}

/// A .npy image with the given header dict (no padding; the reader does not require it).
std::string npy(const std::string &dict, const std::string &data, int major = 1, int minor = 0) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  out += littleEndian(dict.size() + 1, major == 1 ? 2 : 4);
  return out + dict + "\n" + data;
}

std::string npyDict(const std::string &shape, const std::string &descr = "<f4") {
  return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

std::string readBytes(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A fresh directory under the system temp dir, removed with its contents afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device random;
    path = std::filesystem::temp_directory_path() /
           ("cnnc_test_io_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string file(const std::string &name) const { return (path / name).string(); }
};

void requireSame(const Tensor &a, const Tensor &b) {
  REQUIRE(a.shape() == b.shape());
  REQUIRE(a.size() == b.size());
  for (int64_t i = 0; i < a.size(); ++i)
    REQUIRE(a[i] == b[i]);
}

Tensor iota(const Shape &shape) {
  Tensor t(shape);
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = 0.5f * static_cast<float>(i) - 3.25f;
  return t;
}

} // namespace

// ---- Tensor and shapes -------------------------------------------------------------------------

TEST_CASE("numElements and shapeToString", "[runtime]") {
  REQUIRE(numElements({28, 28, 1}) == 784);
  REQUIRE(numElements({}) == 1);
  REQUIRE(numElements({3, 0, 5}) == 0);
  REQUIRE(shapeToString({28, 28, 1}) == "[28, 28, 1]");
  REQUIRE(shapeToString({}) == "[]");
  REQUIRE_THROWS_WITH(numElements({2, -1}), Contains("negative dimension -1"));
  REQUIRE_THROWS_WITH(numElements({int64_t(1) << 32, int64_t(1) << 32}),
                      Contains("[4294967296, 4294967296] has too many elements (overflows int64)"));
  const int64_t max = std::numeric_limits<int64_t>::max();
  REQUIRE(numElements({max}) == max);
  REQUIRE_THROWS_WITH(numElements({max, 2}), Contains("overflows int64"));
  REQUIRE(numElements({max, 0}) == 0);
}

TEST_CASE("Tensor storage is zeroed and aligned and deep-copied", "[runtime]") {
  Tensor t({3, 5});
  REQUIRE(t.size() == 15);
  REQUIRE(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  for (int64_t i = 0; i < t.size(); ++i)
    REQUIRE(t[i] == 0.0f);
  t[4] = 2.5f;
  Tensor copy(t);
  copy[4] = -1.0f;
  REQUIRE(t[4] == 2.5f);
  Tensor assigned;
  assigned = t;
  assigned = assigned; // Self-assignment keeps the data.
  REQUIRE(assigned[4] == 2.5f);
  REQUIRE(assigned.data() != t.data());

  Tensor flat = t.reshaped({15});
  REQUIRE(flat.shape() == Shape{15});
  REQUIRE(flat[4] == 2.5f);
  REQUIRE_THROWS_WITH(t.reshaped({4, 4}), Contains("cannot reshape"));
  REQUIRE_THROWS_WITH(Tensor({2, 2}, {1.0f, 2.0f}), Contains("needs 4 values, got 2"));
  REQUIRE(Tensor({2}, {1.0f, 2.0f})[1] == 2.0f);
}

TEST_CASE("Empty tensors are safe to make and copy and reshape", "[runtime]") {
  Tensor none;
  REQUIRE(none.size() == 0);
  Tensor empty({4, 0});
  Tensor copy = empty;
  REQUIRE(copy.size() == 0);
  REQUIRE(empty.reshaped({0}).shape() == Shape{0});
  Tensor copyOfDefault(none);
  REQUIRE(copyOfDefault.shape().empty());
}

// ---- safetensors round trip
// ----------------------------------------------------------------------

TEST_CASE("safetensors round trip", "[runtime]") {
  TempDir dir;
  WeightMap weights;
  weights["dense.weight"] = iota({3, 4});
  weights["conv2d.weight"] = iota({6, 1, 5, 5});
  weights["conv2d.bias"] = iota({6});
  weights["scalar"] = iota({});
  weights["empty"] = Tensor({0, 3});
  const std::string path = dir.file("weights.safetensors");
  writeSafetensors(path, weights);

  WeightMap back = readSafetensors(path);
  REQUIRE(back.size() == weights.size());
  for (const auto &[key, tensor] : weights) {
    INFO(key);
    REQUIRE(back.count(key) == 1);
    requireSame(back.at(key), tensor);
  }

  const std::string bytes = readBytes(path);
  uint64_t headerSize = 0;
  std::memcpy(&headerSize, bytes.data(), 8);
  REQUIRE(headerSize % 8 == 0);
  const std::string header = bytes.substr(8, headerSize);
  REQUIRE(header.find("\"conv2d.bias\"") < header.find("\"conv2d.weight\""));
  REQUIRE(header.find("\"conv2d.weight\"") < header.find("\"dense.weight\""));
  // Contiguous data: the file is exactly header + all elements.
  REQUIRE(bytes.size() == 8 + headerSize + 4 * (12 + 150 + 6 + 1));
}

TEST_CASE("safetensors ignores __metadata__ and accepts adjacent tensors", "[runtime]") {
  WeightMap weights = parseSafetensors(safetensors(R"({"__metadata__": {"format": "pt"},
                      "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
                      "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                      "z": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}}   )",
                                                   floatBytes({1.5f, -2.0f})),
                                       "w.safetensors");
  REQUIRE(weights.size() == 3);
  REQUIRE(weights.at("a")[0] == 1.5f);
  REQUIRE(weights.at("b")[0] == -2.0f);
  REQUIRE(weights.at("z").size() == 0);
}

TEST_CASE("safetensors file errors", "[runtime]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(readSafetensors(dir.file("missing.safetensors")),
                      Contains("missing.safetensors: cannot open file"));
  REQUIRE_THROWS_WITH(readSafetensors(dir.path.string()), Contains("cannot read file"));
  REQUIRE_THROWS_WITH(writeSafetensors(dir.file("no/such/dir/w.safetensors"), {}),
                      Contains("cannot open file for writing"));
}

// ---- safetensors: one case per malformed input
// ---------------------------------------------------

TEST_CASE("safetensors: file shorter than 8 bytes", "[runtime]") {
  REQUIRE_THROWS_WITH(parseSafetensors("abcde", "w.safetensors"),
                      Contains("w.safetensors: file is too short (5 bytes)"));
}

TEST_CASE("safetensors: header length past the end of the file", "[runtime]") {
  REQUIRE_THROWS_WITH(
      parseSafetensors(littleEndian(100, 8) + "{}", "w.safetensors"),
      Contains("header length 100 extends past the end of the file (8 + 100 > 10 bytes)"));
}

TEST_CASE("safetensors: absurdly large header length", "[runtime]") {
  REQUIRE_THROWS_WITH(parseSafetensors(littleEndian(~uint64_t(0), 8) + "{}", "w.safetensors"),
                      Contains("is absurdly large"));
  REQUIRE_THROWS_WITH(parseSafetensors(littleEndian(200'000'000, 8) + "{}", "w.safetensors"),
                      Contains("header length 200000000 is absurdly large"));
}

TEST_CASE("safetensors: header is not valid JSON", "[runtime]") {
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors("{not json"), "w.safetensors"),
                      Contains("w.safetensors: header is not valid JSON: parse error"));
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors(""), "w.safetensors"),
                      Contains("header is not valid JSON"));
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors("{\"\xff\": 1}"), "w.safetensors"),
                      Contains("header is not valid JSON"));
}

TEST_CASE("safetensors: header is not an object", "[runtime]") {
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors("[1, 2]"), "w.safetensors"),
                      Contains("header is not a JSON object"));
}

TEST_CASE("safetensors: header nested too deeply", "[runtime]") {
  std::string deep = R"({"t": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors(deep), "w.safetensors"),
                      Contains("nested too deeply"));
}

TEST_CASE("safetensors: entry is not an object", "[runtime]") {
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors(R"({"t": 5})"), "w.safetensors"),
                      Contains("tensor 't': entry must be a JSON object"));
}

TEST_CASE("safetensors: entry missing a field", "[runtime]") {
  REQUIRE_THROWS_WITH(parseOne(R"("shape": [1], "data_offsets": [0, 4])", floatBytes({1})),
                      Contains("w.safetensors: tensor 't': missing 'dtype'"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "data_offsets": [0, 4])"),
                      Contains("tensor 't': missing 'shape'"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [1])"),
                      Contains("tensor 't': missing 'data_offsets'"));
}

TEST_CASE("safetensors: fields of the wrong JSON type", "[runtime]") {
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": 32, "shape": [1], "data_offsets": [0, 4])"),
                      Contains("'dtype' must be a string"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": 1, "data_offsets": [0, 4])"),
                      Contains("'shape' must be an array"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [1], "data_offsets": [0])"),
                      Contains("'data_offsets' must be an array of two non-negative integers"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [1], "data_offsets": ["0", 4])"),
                      Contains("'data_offsets' must be an array of two non-negative integers"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [1], "data_offsets": [-4, 4])"),
                      Contains("'data_offsets' must be an array of two non-negative integers"));
}

TEST_CASE("safetensors: dtype other than F32", "[runtime]") {
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "F64", "shape": [1], "data_offsets": [0, 8])", std::string(8, '\0')),
      Contains("tensor 't': unsupported dtype F64 (parameters must be F32; integer tensors are "
               "skipped)"));
}

TEST_CASE("safetensors skips integer tensors such as num_batches_tracked", "[runtime]") {
  std::string data = floatBytes({1.5f}) + std::string(8, '\x07') + std::string(3, '\x01');
  std::vector<std::string> skipped;
  WeightMap weights = parseSafetensors(
      safetensors(R"({"bn.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "bn.num_batches_tracked": {"dtype": "I64", "shape": [], "data_offsets": [4, 12]},
          "mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [12, 15]}})",
                  data),
      "w.safetensors", &skipped);
  REQUIRE(weights.size() == 1);
  CHECK(weights.at("bn.weight")[0] == 1.5f);
  std::sort(skipped.begin(), skipped.end());
  CHECK(skipped == std::vector<std::string>{"bn.num_batches_tracked (I64)", "mask (BOOL)"});
  // A skipped tensor's size is still checked against its dtype.
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "I64", "shape": [2], "data_offsets": [0, 8])", std::string(8, '\0')),
      Contains("do not match dtype I64 and shape [2] (16 bytes)"));
}

TEST_CASE("safetensors: negative or non-integer dimensions", "[runtime]") {
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [2, -3], "data_offsets": [0, 0])"),
                      Contains("shape dimension -3 is negative"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [2.5], "data_offsets": [0, 0])"),
                      Contains("shape dimension 2.5 is not an integer"));
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": ["3"], "data_offsets": [0, 0])"),
                      Contains("is not an integer"));
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 0])"),
      Contains("shape dimension 18446744073709551615 is too large"));
}

TEST_CASE("safetensors: shape overflow", "[runtime]") {
  REQUIRE_THROWS_WITH(parseOne(R"("dtype": "F32", "shape": [4294967296, 4294967296],
                                    "data_offsets": [0, 0])"),
                      Contains("overflows int64"));
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 0])"),
      Contains("byte size overflows"));
}

TEST_CASE("safetensors: data_offsets reversed", "[runtime]") {
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "F32", "shape": [1], "data_offsets": [8, 4])", floatBytes({1, 2})),
      Contains("data_offsets [8, 4] are reversed"));
}

TEST_CASE("safetensors: data_offsets beyond the data section", "[runtime]") {
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "F32", "shape": [2], "data_offsets": [4, 12])", floatBytes({1, 2})),
      Contains("data_offsets [4, 12] extend past the end of the data section (8 bytes)"));
}

TEST_CASE("safetensors: data_offsets do not match the shape", "[runtime]") {
  const std::string image = safetensors(R"({"conv2d.weight": {"dtype": "F32", "shape": [6, 1, 5, 5],
                                        "data_offsets": [0, 96]}})",
                                        std::string(96, '\0'));
  REQUIRE_THROWS_WITH(parseSafetensors(image, "weights.safetensors"),
                      "weights.safetensors: tensor 'conv2d.weight': data_offsets [0, 96] do not "
                      "match dtype F32 and shape [6, 1, 5, 5] (600 bytes)");
}

TEST_CASE("safetensors: overlapping tensors", "[runtime]") {
  const std::string image =
      safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                  floatBytes({1, 2, 3}));
  REQUIRE_THROWS_WITH(parseSafetensors(image, "w"),
                      Contains("tensors 'a' [0, 8] and 'b' [4, 12] overlap"));
}

TEST_CASE("safetensors: duplicate keys", "[runtime]") {
  const std::string tensor = R"({"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  REQUIRE_THROWS_WITH(parseSafetensors(safetensors("{\"a\": " + tensor + ", \"a\": " + tensor + "}",
                                                   floatBytes({1})),
                                       "w.safetensors"),
                      Contains("w.safetensors: header has duplicate key 'a'"));
  REQUIRE_THROWS_WITH(
      parseOne(R"("dtype": "F32", "dtype": "F64", "shape": [1], "data_offsets": [0, 4])",
               floatBytes({1})),
      Contains("duplicate key 'dtype'"));
}

// ---- .npy --------------------------------------------------------------------------------------

TEST_CASE("npy round trip", "[runtime]") {
  TempDir dir;
  for (const Shape &shape : {Shape{3, 4}, Shape{5}, Shape{}, Shape{2, 0, 3}, Shape{1, 28, 28, 1}}) {
    INFO(shapeToString(shape));
    const std::string path = dir.file("x.npy");
    Tensor tensor = iota(shape);
    writeNpy(path, tensor);
    requireSame(readNpy(path), tensor);

    const std::string bytes = readBytes(path);
    REQUIRE(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t headerSize =
        static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    REQUIRE((10 + headerSize) % 64 == 0);
    REQUIRE(bytes[10 + headerSize - 1] == '\n');
    REQUIRE(bytes.size() == 10 + headerSize + 4 * static_cast<std::size_t>(tensor.size()));
  }
  const std::string header = readBytes(dir.file("x.npy")).substr(10);
  REQUIRE(header.find("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28, 1), }") == 0);
}

TEST_CASE("npy writes the tuple forms numpy writes", "[runtime]") {
  TempDir dir;
  writeNpy(dir.file("a.npy"), iota({7}));
  REQUIRE(readBytes(dir.file("a.npy")).find("'shape': (7,), }") != std::string::npos);
  writeNpy(dir.file("b.npy"), iota({}));
  REQUIRE(readBytes(dir.file("b.npy")).find("'shape': (), }") != std::string::npos);
}

TEST_CASE("npy reads versions 1.0 to 3.0 and numpy's header variants", "[runtime]") {
  const std::string data = floatBytes({1, 2, 3, 4, 5, 6});
  for (int major : {1, 2, 3}) {
    Tensor t = parseNpy(npy(npyDict("(2, 3)"), data, major), "x.npy");
    REQUIRE(t.shape() == Shape{2, 3});
    REQUIRE(t[5] == 6.0f);
  }
  Tensor scalar = parseNpy(npy(npyDict("()"), floatBytes({42})), "x.npy");
  REQUIRE(scalar.shape().empty());
  REQUIRE(scalar.size() == 1);
  REQUIRE(scalar[0] == 42.0f);
  // Keys in another order, double quotes, no trailing comma, Python 2 longs.
  Tensor t = parseNpy(npy(R"({"shape": (2L, 3L), 'descr': "<f4", 'fortran_order': False})", data),
                      "x.npy");
  REQUIRE(t.shape() == Shape{2, 3});
}

TEST_CASE("npy file errors", "[runtime]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(readNpy(dir.file("missing.npy")), Contains("missing.npy: cannot open file"));
  REQUIRE_THROWS_WITH(writeNpy(dir.file("no/such/x.npy"), Tensor({1})),
                      Contains("cannot open file for writing"));
}

// ---- .npy: one case per malformed input
// ----------------------------------------------------------

TEST_CASE("npy: too short and bad magic", "[runtime]") {
  REQUIRE_THROWS_WITH(parseNpy("\x93NUM", "x.npy"), Contains("x.npy: file is too short (4 bytes)"));
  REQUIRE_THROWS_WITH(parseNpy("PK\x03\x04 this is a zip file", "x.npy"),
                      Contains("not a .npy file (bad magic"));
}

TEST_CASE("npy: unsupported version", "[runtime]") {
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("(1,)"), floatBytes({1}), 4), "x.npy"),
                      Contains("unsupported .npy version 4.0"));
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("(1,)"), floatBytes({1}), 1, 1), "x.npy"),
                      Contains("unsupported .npy version 1.1"));
}

TEST_CASE("npy: header length past the end of the file", "[runtime]") {
  std::string bytes = npy(npyDict("(1,)"), "");
  bytes[8] = '\xff';
  bytes[9] = '\xff';
  REQUIRE_THROWS_WITH(
      parseNpy(bytes, "x.npy"),
      Contains("header length 65535 extends past the end of the file (10 + 65535 >"));
  std::string v2 = npy(npyDict("(1,)"), "", 2);
  v2[11] = '\x7f';
  REQUIRE_THROWS_WITH(parseNpy(v2, "x.npy"), Contains("extends past the end of the file"));
}

TEST_CASE("npy: unsupported dtype", "[runtime]") {
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("(1,)", "<c8"), std::string(8, '\0')), "x.npy"),
                      "x.npy: unsupported dtype '<c8' (float16/32/64, int8/16/32/64, "
                      "uint8/16/32/64 and bool are read, as float32)");
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("(1,)", "<U3"), std::string(12, 'a')), "x.npy"),
                      Contains("unsupported dtype '<U3'"));
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("(1,)", "|O"), std::string(8, 'a')), "x.npy"),
                      Contains("unsupported dtype '|O'"));
  // The data size follows the dtype: 3 float64 need 24 bytes.
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("(3,)", "<f8"), std::string(12, '\0')), "x.npy"),
                      Contains("truncated: shape [3] needs 24 data bytes, the file has 12"));
}

TEST_CASE("npy: fortran_order True is transposed to C order", "[runtime]") {
  std::string note;
  // numpy.asfortranarray([[1, 2, 3], [4, 5, 6]]): column by column.
  Tensor t = parseNpy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                          floatBytes({1, 4, 2, 5, 3, 6})),
                      "x.npy", &note);
  REQUIRE(t.shape() == Shape{2, 3});
  for (int i = 0; i < 6; ++i)
    REQUIRE(t[i] == float(i + 1));
  REQUIRE(note == "Fortran-order array transposed to C order");
}

TEST_CASE("npy: data truncated or with trailing bytes", "[runtime]") {
  REQUIRE_THROWS_WITH(
      parseNpy(npy(npyDict("(3, 4)"), floatBytes({1, 2, 3})), "x.npy"),
      Contains("x.npy: truncated: shape [3, 4] needs 48 data bytes, the file has 12"));
  REQUIRE_THROWS_WITH(
      parseNpy(npy(npyDict("(1,)"), floatBytes({1, 2})), "x.npy"),
      Contains("x.npy: trailing bytes: shape [1] needs 4 data bytes, the file has 8"));
  REQUIRE_THROWS_WITH(parseNpy(npy(npyDict("()"), ""), "x.npy"), Contains("truncated"));
}

TEST_CASE("npy: malformed header dict", "[runtime]") {
  auto parse = [](const std::string &dict) { return parseNpy(npy(dict, ""), "x.npy"); };
  REQUIRE_THROWS_WITH(parse("hello"), Contains("x.npy: bad .npy header: expected '{'"));
  REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'fortran_order': False}"),
                      Contains("missing key 'shape'"));
  REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"),
                      Contains("unexpected key 'x'"));
  REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False}"),
                      Contains("duplicate key 'descr'"));
  REQUIRE_THROWS_WITH(parse("{'descr': '<f4"), Contains("unterminated string"));
  REQUIRE_THROWS_WITH(parse("{'descr': '<f4', 'fortran_order': Nope, 'shape': ()}"),
                      Contains("expected True or False"));
  REQUIRE_THROWS_WITH(parse("{'descr': ['<f4'], 'fortran_order': False, 'shape': ()}"),
                      Contains("expected a quoted string"));
  REQUIRE_THROWS_WITH(parse(npyDict("(3 4)")), Contains("expected ',' or ')'"));
  REQUIRE_THROWS_WITH(parse(npyDict("(3, 4")), Contains("expected an integer dimension"));
  REQUIRE_THROWS_WITH(parse(npyDict("()") + " extra"),
                      Contains("unexpected text after the header dict"));
  REQUIRE_THROWS_WITH(parse(npyDict("()").substr(0, 30)), Contains("bad .npy header"));
  REQUIRE_THROWS_WITH(parse(std::string("{\0}", 3)), Contains("bad .npy header"));
}

TEST_CASE("npy: bad shape", "[runtime]") {
  auto parse = [](const std::string &shape) { return parseNpy(npy(npyDict(shape), ""), "x.npy"); };
  REQUIRE_THROWS_WITH(parse("(3, -4)"), Contains("negative dimension in shape"));
  REQUIRE_THROWS_WITH(parse("(3.5,)"), Contains("expected ',' or ')'"));
  REQUIRE_THROWS_WITH(parse("(99999999999999999999,)"), Contains("dimension too large"));
  REQUIRE_THROWS_WITH(parse("(4294967296, 4294967296)"), Contains("overflows int64"));
  REQUIRE_THROWS_WITH(parse("(4611686018427387904,)"), Contains("byte size overflows"));
  REQUIRE_THROWS_WITH(parse("[3, 4]"), Contains("expected '(' to start the shape tuple"));
}

// ---- The deterministic weight generator
// ------------------------------------------------------------ Golden values from an independent
// Python 3 implementation of Random.h's formulas (integers masked with & (2**64 - 1), floats
// rounded with struct.pack('<f', ...)), so the C++ generator and scripts/make_fixtures.py provably
// agree.

TEST_CASE("splitmix64 and fnv1a64 golden values", "[runtime]") {
  REQUIRE(splitmix64(0) == 0xE220A8397B1DCDAFULL);
  REQUIRE(splitmix64(1) == 0x910A2DEC89025CC1ULL);
  REQUIRE(fnv1a64("conv2d.weight") == 0xB8E358845FF5C5E1ULL);
  REQUIRE(fnv1a64("") == 0xCBF29CE484222325ULL);
}

TEST_CASE("randomTensor golden values", "[runtime]") {
  Tensor dense = randomTensor({4}, 42, "dense.weight", 1.0);
  REQUIRE(dense.shape() == Shape{4});
  REQUIRE(dense[0] == 0x1.a09c2p-3f);  // 0.20342278
  REQUIRE(dense[1] == 0x1.640924p-1f); // 0.69538224
  REQUIRE(dense[2] == 0x1.f3685p-1f);  // 0.97540522
  REQUIRE(dense[3] == 0x1.bccd2p-3f);  // 0.21718812

  // A bound that is not a power of two: the product is rounded in double, then to float.
  Tensor conv = randomTensor({6, 1, 5, 5}, 7, "conv2d.weight", std::sqrt(6.0 / 25.0));
  REQUIRE(conv[0] == 0x1.178ad6p-2f);
  REQUIRE(conv[1] == 0x1.c218fep-2f);
  REQUIRE(conv[2] == 0x1.72c6c8p-2f);
  for (int64_t i = 0; i < conv.size(); ++i)
    REQUIRE(std::fabs(conv[i]) <= std::sqrt(6.0 / 25.0));

  // Deterministic per (seed, key); different seeds and keys give different streams.
  requireSame(randomTensor({4}, 42, "dense.weight", 1.0), dense);
  REQUIRE(randomTensor({4}, 43, "dense.weight", 1.0)[0] != dense[0]);
  REQUIRE(randomTensor({4}, 42, "dense.bias", 1.0)[0] != dense[0]);
}

TEST_CASE("randomInit", "[runtime]") {
  auto bound = [](const std::string &k, const Shape &s) { return randomInit(k, s).bound; };
  REQUIRE(bound("conv2d.weight", {6, 1, 5, 5}) == std::sqrt(6.0 / 25.0));
  REQUIRE(bound("dense.weight", {10, 84}) == std::sqrt(6.0 / 84.0));
  REQUIRE(bound("dense.weight", {}) == std::sqrt(6.0));
  REQUIRE(bound("dense.bias", {10}) == 0.1);
  REQUIRE(bound("bn.running_mean", {10}) == 0.1);
  REQUIRE(randomInit("conv2d.weight", {6, 1, 5, 5}).center == 0);
  // A batchnorm: scale 1 +- 0.1, variance 1 +- 0.5 (always positive).
  REQUIRE(randomInit("bn.weight", {10}).center == 1.0);
  REQUIRE(bound("bn.weight", {10}) == 0.1);
  REQUIRE(randomInit("bn.running_var", {10}).center == 1.0);
  REQUIRE(bound("bn.running_var", {10}) == 0.5);
  Tensor var = randomTensor({1000}, 3, "bn.running_var", 0.5, 1.0);
  for (int64_t i = 0; i < var.size(); ++i)
    REQUIRE((var[i] >= 0.5f && var[i] < 1.5f));
}

TEST_CASE("arena guard zones: the canary is checked bit for bit", "[runtime]") {
  std::vector<float> zone(100);
  cnnc::fillGuard(zone.data(), 100);
  CHECK(cnnc::firstClobbered(zone.data(), 100) == -1);
  zone[37] = 0.f;
  CHECK(cnnc::firstClobbered(zone.data(), 100) == 37);
  cnnc::fillGuard(zone.data(), 100);
  zone[99] = std::numeric_limits<float>::quiet_NaN(); // another NaN is still a write
  CHECK(cnnc::firstClobbered(zone.data(), 100) == 99);
}

// runtime/Io.cpp - safetensors and .npy readers and writers.
//
// These files come from strangers: every field is checked before it is used, sizes are
// checked for overflow before any allocation, and every problem is a cnnc::Error that
// names the file (and the tensor key), never a crash or a silent misread.
#include "runtime/Io.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cnnc {

static_assert(std::endian::native == std::endian::little,
              "safetensors and '<f4' .npy data are little-endian; this reader copies bytes as is");

namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxSafetensorsHeader = 100'000'000; // As the reference implementation.
constexpr int kMaxJsonDepth = 32;                       // A valid header nests 3 deep.
constexpr int64_t kMaxElements = std::numeric_limits<int64_t>::max() / 4;

// ---- Shared helpers --------------------------------------------------------------------------

[[noreturn]] void fail(const std::string &name, const std::string &message) {
  throw Error(name + ": " + message);
}

/// Text from a file, made safe to print: control and non-ASCII bytes become \xNN.
std::string printable(std::string_view text, std::size_t maxLength = 200) {
  std::string out;
  for (unsigned char c : text.substr(0, maxLength)) {
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
    out += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : escaped;
  }
  if (text.size() > maxLength)
    out += "...";
  return out;
}

std::string quote(std::string_view key) { return "'" + printable(key) + "'"; }

std::string readFile(const std::string &path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path.c_str(), "rb"),
                                                        &std::fclose);
  if (!file)
    fail(path, std::string("cannot open file: ") + std::strerror(errno));
  std::string bytes;
  std::vector<char> buffer(1 << 16);
  std::size_t count;
  while ((count = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0)
    bytes.append(buffer.data(), count);
  if (std::ferror(file.get()))
    fail(path, std::string("cannot read file: ") + std::strerror(errno));
  return bytes;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    fail(path, std::string("cannot open file for writing: ") + std::strerror(errno));
  errno = 0;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  int writeErrno = errno;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok)
    fail(path, std::string("cannot write file: ") + std::strerror(writeErrno ? writeErrno : errno));
}

uint64_t loadLittleEndian(std::string_view bytes, std::size_t offset, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

void storeLittleEndian(std::string &out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xff);
}

/// Bytes of a tensor of this shape; throws (with `context`) on a bad or huge shape.
uint64_t shapeBytes(const Shape &shape, const std::string &context, int bytesPerElement = 4) {
  int64_t count;
  try {
    count = numElements(shape);
  } catch (const Error &e) {
    throw Error(context + e.what());
  }
  if (count > kMaxElements)
    throw Error(context + "shape " + shapeToString(shape) + " is too large (byte size overflows)");
  return static_cast<uint64_t>(count) * bytesPerElement;
}

Tensor tensorFromBytes(Shape shape, const char *bytes) {
  Tensor tensor(std::move(shape));
  if (tensor.size() > 0)
    std::memcpy(tensor.data(), bytes, static_cast<std::size_t>(tensor.size()) * sizeof(float));
  return tensor;
}

void appendTensorBytes(std::string &out, const Tensor &tensor) {
  if (tensor.size() > 0)
    out.append(reinterpret_cast<const char *>(tensor.data()),
               static_cast<std::size_t>(tensor.size()) * sizeof(float));
}

// ---- safetensors -----------------------------------------------------------------------------

struct Entry {
  std::string key;
  Shape shape;
  uint64_t begin = 0, end = 0;
  std::string dtype; // F32, or an integer type that loading skips
};

/// Bytes per element of the dtypes a safetensors file may hold and cnnc
/// reads: F32, and the integer ones a PyTorch state_dict carries besides its
/// parameters (batchnorm's num_batches_tracked is I64), which are skipped.
int dtypeBytes(const std::string &dtype) {
  static const std::pair<const char *, int> known[] = {
      {"F32", 4}, {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}};
  for (auto &[name, bytes] : known)
    if (dtype == name)
      return bytes;
  return 0;
}

/// Parses the JSON header, rejecting duplicate keys (at any level) and absurd nesting.
json parseHeader(std::string_view text, const std::string &name) {
  std::vector<std::set<std::string>> openObjects;
  std::string duplicate;
  auto callback = [&](int depth, json::parse_event_t event, json &parsed) {
    if (depth > kMaxJsonDepth)
      fail(name,
           "header is nested too deeply (more than " + std::to_string(kMaxJsonDepth) + " levels)");
    if (event == json::parse_event_t::object_start) {
      openObjects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      openObjects.pop_back();
    } else if (event == json::parse_event_t::key && !openObjects.empty()) {
      const auto &key = parsed.get_ref<const std::string &>();
      if (!openObjects.back().insert(key).second && duplicate.empty())
        duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception &e) {
    std::string what = e.what();
    if (auto pos = what.find("] "); what.starts_with("[json.exception") && pos != what.npos)
      what = what.substr(pos + 2);
    fail(name, "header is not valid JSON: " + printable(what, 300));
  }
  if (!duplicate.empty())
    fail(name, "header has duplicate key " + quote(duplicate));
  if (!header.is_object())
    fail(name, "header is not a JSON object");
  return header;
}

/// Why a JSON value is not a non-negative integer, or null when it is one.
const char *notACount(const json &value) {
  if (value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0))
    return nullptr; // (nlohmann parses "-0" as a signed zero.)
  return value.is_number_integer() ? "is negative" : "is not an integer";
}

const json &field(const json &entry, const char *key, const std::string &context) {
  auto it = entry.find(key);
  if (it == entry.end())
    throw Error(context + "missing '" + key + "'");
  return *it;
}

Shape parseShape(const json &value, const std::string &context) {
  if (!value.is_array())
    throw Error(context + "'shape' must be an array of non-negative integers");
  Shape shape;
  for (const json &dim : value) {
    if (const char *why = notACount(dim))
      throw Error(context + "shape dimension " + printable(dim.dump(), 40) + " " + why);
    auto count = dim.get<uint64_t>();
    if (count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(context + "shape dimension " + std::to_string(count) + " is too large");
    shape.push_back(static_cast<int64_t>(count));
  }
  return shape;
}

std::pair<uint64_t, uint64_t> parseOffsets(const json &value, const std::string &context) {
  const std::string expected = "'data_offsets' must be an array of two non-negative integers";
  if (!value.is_array() || value.size() != 2 || notACount(value[0]) || notACount(value[1]))
    throw Error(context + expected + ", got " + printable(value.dump(), 80));
  return {value[0].get<uint64_t>(), value[1].get<uint64_t>()};
}

std::string offsetsText(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

Entry parseEntry(const std::string &key, const json &value, uint64_t dataSize,
                 const std::string &name) {
  const std::string context = name + ": tensor " + quote(key) + ": ";
  if (!value.is_object())
    throw Error(context + "entry must be a JSON object");
  const json &dtype = field(value, "dtype", context);
  if (!dtype.is_string())
    throw Error(context + "'dtype' must be a string");
  const std::string &type = dtype.get_ref<const std::string &>();
  if (!dtypeBytes(type))
    throw Error(context + "unsupported dtype " + printable(type) +
                " (parameters must be F32; integer tensors are skipped)");
  Entry entry{key, parseShape(field(value, "shape", context), context), 0, 0, type};
  uint64_t bytes = shapeBytes(entry.shape, context, dtypeBytes(type));
  std::tie(entry.begin, entry.end) = parseOffsets(field(value, "data_offsets", context), context);
  const std::string offsets = "data_offsets " + offsetsText(entry.begin, entry.end);
  if (entry.begin > entry.end)
    throw Error(context + offsets + " are reversed (begin > end)");
  if (entry.end > dataSize)
    throw Error(context + offsets + " extend past the end of the data section (" +
                std::to_string(dataSize) + " bytes)");
  if (entry.end - entry.begin != bytes)
    throw Error(context + offsets + " do not match dtype " + type + " and shape " +
                shapeToString(entry.shape) + " (" + std::to_string(bytes) + " bytes)");
  return entry;
}

/// Rejects tensors whose byte ranges share a byte. Holes between tensors are allowed.
void checkOverlaps(std::vector<Entry> entries, const std::string &name) {
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  const Entry *last = nullptr; // The non-empty entry reaching furthest so far.
  for (const Entry &entry : entries) {
    if (entry.begin == entry.end)
      continue;
    if (last && entry.begin < last->end)
      fail(name, "tensors " + quote(last->key) + " " + offsetsText(last->begin, last->end) +
                     " and " + quote(entry.key) + " " + offsetsText(entry.begin, entry.end) +
                     " overlap");
    if (!last || entry.end > last->end)
      last = &entry;
  }
}

// ---- .npy ------------------------------------------------------------------------------------

struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  Shape shape;
};

/// Parses the python-literal header dict, e.g.
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
/// It accepts exactly the keys 'descr' (a string), 'fortran_order' (True/False) and 'shape'
/// (a tuple of non-negative ints), each once, in any order, then only whitespace.
class NpyDictParser {
public:
  NpyDictParser(std::string_view text, const std::string &name) : text_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    std::set<std::string> seen;
    expect('{', "'{' to start the header dict");
    while (!consume('}')) {
      std::string key = parseString();
      if (!seen.insert(key).second)
        error("duplicate key " + quote(key));
      expect(':', "':' after a key");
      if (key == "descr")
        header.descr = parseString();
      else if (key == "fortran_order")
        header.fortranOrder = parseBool();
      else if (key == "shape")
        header.shape = parseTuple();
      else
        error("unexpected key " + quote(key));
      if (!consume(',')) {
        expect('}', "',' or '}' after a value");
        break;
      }
    }
    skipSpace();
    if (pos_ != text_.size())
      error("unexpected text after the header dict");
    for (const char *key : {"descr", "fortran_order", "shape"})
      if (!seen.count(key))
        error(std::string("missing key '") + key + "'");
    return header;
  }

private:
  [[noreturn]] void error(const std::string &message) const {
    fail(name_, "bad .npy header: " + message + " (at header offset " + std::to_string(pos_) + ")");
  }

  /// The next character, or '\0' at the end (a NUL in the text matches nothing either).
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool atDigit() const { return peek() >= '0' && peek() <= '9'; }

  void skipSpace() {
    while (peek() != '\0' && std::string_view(" \t\r\n").find(peek()) != std::string_view::npos)
      ++pos_;
  }

  bool consume(char c) {
    skipSpace();
    if (peek() != c || c == '\0')
      return false;
    ++pos_;
    return true;
  }

  void expect(char c, const char *what) {
    if (!consume(c))
      error(std::string("expected ") + what);
  }

  std::string parseString() {
    skipSpace();
    if (peek() != '\'' && peek() != '"')
      error("expected a quoted string");
    char quote = text_[pos_++];
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size())
        ++pos_;
      value += text_[pos_++];
    }
    if (pos_ >= text_.size())
      error("unterminated string");
    ++pos_;
    return value;
  }

  bool parseBool() {
    skipSpace();
    for (std::string_view word : {"True", "False"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return word == "True";
      }
    }
    error("expected True or False");
  }

  int64_t parseDim() {
    skipSpace();
    if (peek() == '-')
      error("negative dimension in shape");
    if (!atDigit())
      error("expected an integer dimension in shape");
    int64_t value = 0;
    for (; atDigit(); ++pos_) {
      int digit = text_[pos_] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
        error("dimension too large in shape");
      value = value * 10 + digit;
    }
    if (peek() == 'L' || peek() == 'l')
      ++pos_; // Python 2 long literal, as old numpy wrote it.
    return value;
  }

  Shape parseTuple() {
    expect('(', "'(' to start the shape tuple");
    Shape shape;
    while (!consume(')')) {
      shape.push_back(parseDim());
      if (!consume(',')) {
        expect(')', "',' or ')' in the shape tuple");
        break;
      }
    }
    return shape;
  }

  std::string_view text_;
  const std::string &name_;
  std::size_t pos_ = 0;
};

/// A .npy dtype cnnc converts to float32: kind 'f', 'i', 'u' or 'b' and bytes per element.
struct NpyType {
  char kind;
  int bytes;
  bool swap; // big-endian ('>')
  std::string name;
};

NpyType npyType(const std::string &descr, const std::string &name) {
  static const std::pair<std::string_view, const char *> known[] = {
      {"f2", "float16"}, {"f4", "float32"}, {"f8", "float64"}, {"i1", "int8"},
      {"i2", "int16"},   {"i4", "int32"},   {"i8", "int64"},   {"u1", "uint8"},
      {"u2", "uint16"},  {"u4", "uint32"},  {"u8", "uint64"},  {"b1", "bool"}};
  const std::string_view d(descr);
  if (d.size() == 3 && std::string_view("<>|=").find(d[0]) != std::string_view::npos)
    for (const auto &[code, typeName] : known)
      if (d.substr(1) == code)
        return {code[0], code[1] - '0', d[0] == '>' && code[1] != '1', typeName};
  fail(name, "unsupported dtype " + quote(descr) +
                 " (float16/32/64, int8/16/32/64, uint8/16/32/64 and bool are read, as float32)");
}

/// IEEE half to float, subnormals, infinities and NaNs included.
float halfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f,
                 mantissa = h & 0x3ff;
  if (exponent == 0) // zero or subnormal: mantissa * 2^-24
    return std::bit_cast<float>(sign) + (sign ? -1.f : 1.f) * std::ldexp(float(mantissa), -24);
  if (exponent == 31)
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// The raw element at `p` (its bytes little-endian once swapped) as a float.
float elementValue(const NpyType &type, const char *p) {
  unsigned char b[8];
  std::memcpy(b, p, type.bytes);
  if (type.swap)
    std::reverse(b, b + type.bytes);
  uint64_t bits = 0;
  std::memcpy(&bits, b, type.bytes); // little-endian host (static_assert above)
  const int shift = 64 - 8 * type.bytes;
  switch (type.kind) {
  case 'f':
    return type.bytes == 2   ? halfToFloat(static_cast<uint16_t>(bits))
           : type.bytes == 4 ? std::bit_cast<float>(static_cast<uint32_t>(bits))
                             : static_cast<float>(std::bit_cast<double>(bits));
  case 'i': // sign-extend
    return static_cast<float>(static_cast<int64_t>(bits << shift) >> shift);
  case 'u':
    return static_cast<float>(bits);
  }
  return bits ? 1.f : 0.f; // bool
}

void convertElements(const NpyType &type, const char *data, float *out, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = elementValue(type, data + i * type.bytes);
}

/// A tensor whose data is in Fortran order (the first index fastest), in C order.
Tensor fromFortranOrder(const Tensor &f) {
  const Shape &shape = f.shape();
  Tensor c(shape);
  const size_t rank = shape.size();
  std::vector<int64_t> strides(rank, 1), index(rank, 0);
  for (size_t k = rank; k-- > 1;)
    strides[k - 1] = strides[k] * shape[k];
  int64_t at = 0; // the C-order offset of `index`
  for (int64_t i = 0; i < f.size(); ++i) {
    c[at] = f[i];
    for (size_t k = 0; k < rank; ++k) { // advance the first index fastest
      at += strides[k];
      if (++index[k] < shape[k])
        break;
      at -= strides[k] * shape[k];
      index[k] = 0;
    }
  }
  return c;
}

std::string shapeTuple(const Shape &shape) {
  if (shape.size() == 1)
    return "(" + std::to_string(shape[0]) + ",)";
  std::string text = shapeToString(shape);
  text.front() = '(';
  text.back() = ')';
  return text;
}

} // namespace

// ---- Public API ------------------------------------------------------------------------------

/// The tensors of a safetensors image, checked; their data starts at `*dataStart`.
static std::vector<Entry> safetensorsEntries(std::string_view bytes, const std::string &name,
                                             uint64_t *dataStart) {
  if (bytes.size() < 8)
    fail(name, "file is too short (" + std::to_string(bytes.size()) +
                   " bytes) to be safetensors: it needs an 8-byte header length");
  uint64_t headerSize = loadLittleEndian(bytes, 0, 8);
  if (headerSize > kMaxSafetensorsHeader)
    fail(name, "header length " + std::to_string(headerSize) + " is absurdly large (limit " +
                   std::to_string(kMaxSafetensorsHeader) + " bytes); is this a safetensors file?");
  if (headerSize > bytes.size() - 8)
    fail(name, "header length " + std::to_string(headerSize) +
                   " extends past the end of the file (8 + " + std::to_string(headerSize) + " > " +
                   std::to_string(bytes.size()) + " bytes)");
  json header = parseHeader(bytes.substr(8, headerSize), name);
  *dataStart = 8 + headerSize;
  std::vector<Entry> entries;
  for (const auto &[key, value] : header.items()) {
    if (key != "__metadata__")
      entries.push_back(parseEntry(key, value, bytes.size() - *dataStart, name));
  }
  checkOverlaps(entries, name);
  return entries;
}

WeightMap parseSafetensors(const std::string &bytes, const std::string &name,
                           std::vector<std::string> *skipped) {
  uint64_t dataStart = 0;
  WeightMap weights;
  for (Entry &entry : safetensorsEntries(bytes, name, &dataStart)) {
    if (entry.dtype != "F32") {
      if (skipped)
        skipped->push_back(entry.key + " (" + entry.dtype + ")");
      continue;
    }
    weights.emplace(
        entry.key, tensorFromBytes(std::move(entry.shape), bytes.data() + dataStart + entry.begin));
  }
  return weights;
}

MappedSafetensors::MappedSafetensors(const std::string &path, std::vector<std::string> *skipped) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail(path, std::string("cannot open file: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { // a pipe or device: read it whole
    ::close(fd);
    copy_ = std::make_unique<WeightMap>(readSafetensors(path, skipped));
    views_ = viewsOf(*copy_);
    return;
  }
  size_ = (size_t)st.st_size;
  base_ = size_ ? ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  ::close(fd);
  if (base_ == MAP_FAILED)
    fail(path, std::string("cannot map file: ") + std::strerror(errno));
  const std::string_view bytes(static_cast<const char *>(base_), size_);
  uint64_t dataStart = 0;
  copy_ = std::make_unique<WeightMap>(); // tensors whose data is not 4-byte aligned
  for (Entry &entry : safetensorsEntries(bytes, path, &dataStart)) {
    if (entry.dtype != "F32") {
      if (skipped)
        skipped->push_back(entry.key + " (" + entry.dtype + ")");
      continue;
    }
    const char *at = bytes.data() + dataStart + entry.begin;
    if (reinterpret_cast<uintptr_t>(at) % alignof(float) != 0)
      at = reinterpret_cast<const char *>(
          copy_->emplace(entry.key, tensorFromBytes(entry.shape, at)).first->second.data());
    views_.emplace(entry.key, TensorView{reinterpret_cast<const float *>(at), entry.shape});
  }
}

MappedSafetensors::~MappedSafetensors() {
  if (base_ && base_ != MAP_FAILED)
    ::munmap(base_, size_);
}

void MappedSafetensors::release(const float *data, int64_t floats) const {
  if (!base_)
    return;
  // Whole pages inside the range only: a neighbour may still be read.
  const uintptr_t page = (uintptr_t)::sysconf(_SC_PAGESIZE), from = (uintptr_t)data;
  const uintptr_t to = from + floats * sizeof(float);
  const uintptr_t lo = (from + page - 1) / page * page, hi = to / page * page;
  if (from >= (uintptr_t)base_ && to <= (uintptr_t)base_ + size_ && lo < hi)
    ::madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

WeightMap readSafetensors(const std::string &path, std::vector<std::string> *skipped) {
  return parseSafetensors(readFile(path), path, skipped);
}

void writeSafetensors(const std::string &path, const WeightMap &weights) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto &[key, tensor] : weights) { // std::map: keys in sorted order.
    if (key == "__metadata__")
      fail(path, "cannot write a tensor named '__metadata__' (the name is reserved)");
    uint64_t bytes = static_cast<uint64_t>(tensor.size()) * sizeof(float);
    header[key] = {
        {"dtype", "F32"}, {"shape", tensor.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception &e) {
    fail(path, std::string("cannot write the header: a key is not valid UTF-8 (") + e.what() + ")");
  }
  text.append((8 - text.size() % 8) % 8, ' '); // Keeps the data 8-byte aligned in the file.

  std::string out;
  out.reserve(8 + text.size() + offset);
  storeLittleEndian(out, text.size(), 8);
  out += text;
  for (const auto &entry : weights)
    appendTensorBytes(out, entry.second);
  writeFile(path, out);
}

Tensor parseNpy(const std::string &bytes, const std::string &name, std::string *note) {
  static constexpr std::string_view magic = "\x93NUMPY";
  if (bytes.size() < 12) // Magic, version, header length and at least "{}".
    fail(name, "file is too short (" + std::to_string(bytes.size()) + " bytes) to be a .npy array");
  if (std::string_view(bytes).substr(0, magic.size()) != magic)
    fail(name, "not a .npy file (bad magic; expected \"\\x93NUMPY\")");
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (minor != 0 || major < 1 || major > 3)
    fail(name, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (only 1.0, 2.0 and 3.0 are supported)");
  const std::size_t lengthWidth = major == 1 ? 2 : 4;
  const uint64_t headerSize = loadLittleEndian(bytes, 8, static_cast<int>(lengthWidth));
  const uint64_t headerStart = 8 + lengthWidth;
  if (headerSize > bytes.size() - headerStart)
    fail(name, "header length " + std::to_string(headerSize) +
                   " extends past the end of the file (" + std::to_string(headerStart) + " + " +
                   std::to_string(headerSize) + " > " + std::to_string(bytes.size()) + " bytes)");

  auto text = std::string_view(bytes).substr(headerStart, headerSize);
  NpyHeader header = NpyDictParser(text, name).parse();
  const NpyType type = npyType(header.descr, name);
  const uint64_t expected = shapeBytes(header.shape, name + ": ", type.bytes);
  const uint64_t actual = bytes.size() - headerStart - headerSize;
  const std::string what =
      "shape " + shapeToString(header.shape) + " needs " + std::to_string(expected) + " data bytes";
  if (actual < expected)
    fail(name, "truncated: " + what + ", the file has " + std::to_string(actual));
  if (actual > expected)
    fail(name, "trailing bytes: " + what + ", the file has " + std::to_string(actual));
  const char *data = bytes.data() + headerStart + headerSize;
  if (note)
    note->clear();
  if (type.kind == 'f' && type.bytes == 4 && !type.swap && !header.fortranOrder)
    return tensorFromBytes(std::move(header.shape), data);
  Tensor tensor(header.shape);
  convertElements(type, data, tensor.data(), tensor.size());
  if (header.fortranOrder)
    tensor = fromFortranOrder(tensor);
  if (note) {
    if (!(type.kind == 'f' && type.bytes == 4))
      *note = type.name + " converted to float32";
    if (header.fortranOrder)
      *note +=
          (note->empty() ? "" : "; ") + std::string("Fortran-order array transposed to C order");
  }
  return tensor;
}

Tensor readNpy(const std::string &path, std::string *note) {
  return parseNpy(readFile(path), path, note);
}

std::string npyBytes(const Tensor &tensor) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeTuple(tensor.shape()) + ", }";
  // Version 1.0 has a 2-byte header length; only an absurd rank needs 2.0's 4 bytes.
  const bool version1 = header.size() + 64 <= 0xffff;
  const std::size_t preamble = version1 ? 10 : 12;
  // Pad with spaces so that magic + version + length + header is a multiple of 64 bytes,
  // the header ending in '\n' as numpy writes it.
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';

  std::string out = "\x93NUMPY";
  out += static_cast<char>(version1 ? 1 : 2);
  out += '\0';
  storeLittleEndian(out, header.size(), version1 ? 2 : 4);
  out += header;
  appendTensorBytes(out, tensor);
  return out;
}

void writeNpy(const std::string &path, const Tensor &tensor) { writeFile(path, npyBytes(tensor)); }

namespace {

uint32_t crc32(const std::string &bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes)
    c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/// The fields a zip's local header and its central directory entry share
/// (version 2.0, no flags, stored, 1980-01-01 00:00): from "version needed" on.
std::string zipEntryFields(uint32_t crc, uint64_t size, const std::string &name) {
  std::string out;
  for (uint64_t v : {20, 0, 0, 0, 0x21})
    storeLittleEndian(out, v, 2);
  storeLittleEndian(out, crc, 4);
  storeLittleEndian(out, size, 4); // compressed = uncompressed: stored
  storeLittleEndian(out, size, 4);
  storeLittleEndian(out, name.size(), 2);
  storeLittleEndian(out, 0, 2); // no extra field
  return out;
}

} // namespace

void writeNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &arrays) {
  std::string out, directory;
  std::set<std::string> names;
  for (const auto &[key, tensor] : arrays) {
    const std::string name = key + ".npy", data = npyBytes(tensor);
    if (!names.insert(name).second)
      fail(path, "two arrays are named " + quote(key));
    // Plain zip has 32-bit sizes and offsets (numpy writes zip64 only past them).
    if (data.size() > 0xFFFFFFFFu || out.size() + data.size() + 1024 > 0xFFFFFFFFu)
      fail(path, "too large for a .npz without zip64 (4 GiB); save each array as a .npy");
    const std::string fields = zipEntryFields(crc32(data), data.size(), name);
    storeLittleEndian(directory, 0x02014b50, 4);
    storeLittleEndian(directory, 20, 2); // made by version 2.0
    directory += fields;
    for (int v : {0, 0, 0}) // comment length, disk number, internal attributes
      storeLittleEndian(directory, v, 2);
    storeLittleEndian(directory, 0, 4); // external attributes
    storeLittleEndian(directory, out.size(), 4);
    directory += name;
    storeLittleEndian(out, 0x04034b50, 4);
    out += fields + name + data;
  }
  const uint64_t directoryAt = out.size();
  out += directory;
  storeLittleEndian(out, 0x06054b50, 4);
  storeLittleEndian(out, 0, 2); // this disk
  storeLittleEndian(out, 0, 2); // the directory's disk
  storeLittleEndian(out, arrays.size(), 2);
  storeLittleEndian(out, arrays.size(), 2);
  storeLittleEndian(out, directory.size(), 4);
  storeLittleEndian(out, directoryAt, 4);
  storeLittleEndian(out, 0, 2); // no comment
  writeFile(path, out);
}

} // namespace cnnc

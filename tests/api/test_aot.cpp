// tests/api/test_aot.cpp - cnnc compile's objects (Model::writeObject,
// runtime/Aot.cpp): linked into a shared object and loaded here, they give the
// JIT's outputs bit for bit on every target, with weights embedded or loaded;
// their headers compile as C and C++; bad weights and a bad descriptor fail
// with a message; an aarch64 object is an AArch64 ELF.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "cnnc/runtime.h"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("cnnc-aot-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void sh(const std::string &command) {
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

/// The object at `obj` as a loaded shared object; closed on destruction.
struct Loaded {
  void *handle = nullptr;
  Loaded(const fs::path &obj, const fs::path &so) {
    sh("c++ -shared -o " + so.string() + " " + obj.string());
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    INFO((handle ? "" : dlerror()));
    REQUIRE(handle);
  }
  ~Loaded() {
    if (handle)
      dlclose(handle);
  }
  const cnnc_model *model(const std::string &prefix) const {
    return (const cnnc_model *)dlsym(handle, ("cnnc_model_" + prefix).c_str());
  }
};

std::vector<cnnc::Tensor> inputsFor(const cnnc::Model &m) {
  std::vector<cnnc::Tensor> xs;
  for (cnnc::Shape s : m.inputShapes()) {
    s.insert(s.begin(), m.batch());
    xs.push_back(cnnc::randomInput(s, 11, "x" + std::to_string(xs.size())));
  }
  return xs;
}

/// Runs the object's model through the C API: outputs in the JIT's shapes.
std::vector<cnnc::Tensor> runObject(const cnnc_model *desc, const char *weights,
                                    const std::vector<cnnc::Tensor> &xs,
                                    const std::vector<cnnc::Tensor> &like) {
  cnnc_context *c = cnnc_create(desc, weights, 2);
  INFO(cnnc_last_error());
  REQUIRE(c);
  std::vector<const float *> in;
  for (const cnnc::Tensor &x : xs)
    in.push_back(x.data());
  std::vector<cnnc::Tensor> ys;
  std::vector<float *> out;
  for (const cnnc::Tensor &y : like)
    ys.emplace_back(y.shape()), out.push_back(ys.back().data());
  int rc = cnnc_run(c, in.data(), out.data());
  cnnc_destroy(c);
  INFO(cnnc_last_error());
  REQUIRE(rc == 0);
  return ys;
}

void checkEqual(const std::vector<cnnc::Tensor> &a, const std::vector<cnnc::Tensor> &b) {
  REQUIRE(a.size() == b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    REQUIRE(a[k].shape() == b[k].shape());
    CHECK(std::memcmp(a[k].data(), b[k].data(), a[k].size() * 4) == 0);
  }
}

void checkModel(const std::string &path, cnnc::Target target, int batch, bool embed) {
  TempDir dir;
  cnnc::Options o;
  o.target = target, o.batch = batch, o.cacheDir = "";
  cnnc::Model jit = cnnc::Model::compileFile(path, o);
  cnnc::WeightMap w = jit.randomWeights(5);
  const std::vector<cnnc::Tensor> xs = inputsFor(jit);
  const std::vector<cnnc::Tensor> want = jit.runAll(xs);
  o.objectCode = true;
  cnnc::Model obj = cnnc::Model::compileFile(path, o);
  if (embed)
    obj.loadWeights(w);
  obj.writeObject((dir.path / "m.o").string(), (dir.path / "m.h").string(), embed, "m");
  const std::string weights = (dir.path / "w.safetensors").string();
  cnnc::saveSafetensors(weights, w);
  Loaded lib(dir.path / "m.o", dir.path / "m.so");
  REQUIRE(lib.model("m"));
  checkEqual(runObject(lib.model("m"), embed ? nullptr : weights.c_str(), xs, want), want);
  if (embed) // the file's weights replace the embedded ones: the same here
    checkEqual(runObject(lib.model("m"), weights.c_str(), xs, want), want);
}

const std::string Seeds = CNNC_SOURCE_DIR "/examples/seed/";
const std::string Models = CNNC_SOURCE_DIR "/tests/models/";

} // namespace

TEST_CASE("aot: LeNet's object equals the JIT bit for bit on every target", "[aot]") {
  for (cnnc::Target t :
       {cnnc::Target::Host, cnnc::Target::AVX2, cnnc::Target::SSE4, cnnc::Target::Generic}) {
    INFO("target " << (int)t);
    checkModel(Seeds + "lenet.cnn", t, 1, true);
    checkModel(Seeds + "lenet.cnn", t, 1, false);
  }
}

TEST_CASE("aot: every op's object equals the JIT batched on host and sse4", "[aot]") {
  checkModel(Models + "ops.cnn", cnnc::Target::Host, 2, false);
  checkModel(Models + "ops.cnn", cnnc::Target::SSE4, 1, true);
}

TEST_CASE("aot: two inputs and three outputs and a batched dense", "[aot]") {
  checkModel(Models + "heads.cnn", cnnc::Target::Host, 3, true);
  checkModel(Seeds + "mnist_pool.cnn", cnnc::Target::AVX2, 4, false);
}

TEST_CASE("aot: the header compiles as C and as C++", "[aot]") {
  TempDir dir;
  cnnc::Options o;
  o.objectCode = true, o.cacheDir = "";
  cnnc::Model m = cnnc::Model::compileFile(Models + "heads.cnn", o);
  m.writeObject((dir.path / "h.o").string(), (dir.path / "heads.h").string(), false);
  std::ofstream(dir.path / "use.c") << "#include \"heads.h\"\n"
                                       "int f(cnnc_context *c, const float *a, const float *b,\n"
                                       "      float *x, float *y, float *z) {\n"
                                       "  return heads_run(c, a, b, x, y, z) + HEADS_INPUT1_SIZE;\n"
                                       "}\n";
  std::ofstream(dir.path / "use.cpp") << "#include \"heads.h\"\n"
                                         "void g(float *o) { heads::Model m(\"w.safetensors\");\n"
                                         "  m.run(o, o, o, o, o); }\n";
  const std::string inc = " -I" CNNC_SOURCE_DIR "/include -I" + dir.path.string();
  sh("cc -std=c99 -Wall -Werror -c -o " + (dir.path / "c.o").string() + inc + " " +
     (dir.path / "use.c").string());
  sh("c++ -std=c++17 -Wall -Werror -c -o " + (dir.path / "cpp.o").string() + inc + " " +
     (dir.path / "use.cpp").string());
  std::ifstream h(dir.path / "heads.h");
  std::string text((std::istreambuf_iterator<char>(h)), {});
  CHECK(text.find("#define HEADS_INPUT0_SIZE 1440") != std::string::npos);
  CHECK(text.find("#define HEADS_WEIGHTS_EMBEDDED 0") != std::string::npos);
}

TEST_CASE("aot: missing or bad weights and a bad descriptor are errors", "[aot]") {
  TempDir dir;
  cnnc::Options o;
  o.objectCode = true, o.cacheDir = "";
  cnnc::Model m = cnnc::Model::compileFile(Seeds + "lenet.cnn", o);
  m.writeObject((dir.path / "m.o").string(), "", false, "m");
  Loaded lib(dir.path / "m.o", dir.path / "m.so");
  const cnnc_model *desc = lib.model("m");
  REQUIRE(desc);
  CHECK(cnnc_create(desc, nullptr, 1) == nullptr);
  CHECK(std::string(cnnc_last_error()).find("no weights in its object") != std::string::npos);
  const std::string bad = (dir.path / "bad.safetensors").string();
  cnnc::saveSafetensors(bad, {{"conv2d.weight", cnnc::Tensor({6, 1, 3, 3})}});
  CHECK(cnnc_create(desc, bad.c_str(), 1) == nullptr);
  const std::string err = cnnc_last_error();
  CHECK(err.find("bad.safetensors") != std::string::npos);
  CHECK(err.find("weight 'conv2d.weight' has shape [6, 1, 3, 3], expected [6, 1, 5, 5]") !=
        std::string::npos);
  CHECK(err.find("missing weight 'dense.bias'") != std::string::npos);
  CHECK(cnnc_create(desc, (dir.path / "none.safetensors").c_str(), 1) == nullptr);
  cnnc_model other = *desc;
  other.abi = 99;
  CHECK(cnnc_create(&other, nullptr, 1) == nullptr);
  CHECK(std::string(cnnc_last_error()).find("runtime ABI 99") != std::string::npos);
  other = *desc;
  other.program_bytes = 10; // a truncated schedule
  CHECK(cnnc_create(&other, bad.c_str(), 1) == nullptr);
  CHECK(std::string(cnnc_last_error()).find("malformed program") != std::string::npos);
  CHECK(cnnc_run(nullptr, nullptr, nullptr) == -1);
  cnnc_destroy(nullptr);
}

TEST_CASE("aot: a JIT model writes no object and an object model does not run", "[aot]") {
  cnnc::Options o;
  o.cacheDir = "";
  cnnc::Model jit = cnnc::Model::compileFile(Seeds + "lenet.cnn", o);
  CHECK_THROWS_WITH(jit.writeObject("/tmp/x.o", "", false),
                    Catch::Contains("not compiled for an object file"));
  o.objectCode = true;
  cnnc::Model obj = cnnc::Model::compileFile(Seeds + "lenet.cnn", o);
  obj.randomWeights(1);
  CHECK_THROWS_WITH(obj.run(cnnc::Tensor(obj.inputShape())),
                    Catch::Contains("compiled for an object file"));
  CHECK_THROWS_WITH(obj.writeObject("/tmp/x.o", "", false, "3d"),
                    Catch::Contains("not a C identifier"));
  o.triple = "mips-linux-gnu";
  CHECK_THROWS_WITH(cnnc::Model::compileFile(Seeds + "lenet.cnn", o),
                    Catch::Contains("unsupported target triple 'mips-linux-gnu'"));
  o.triple = "aarch64-linux-gnu", o.target = cnnc::Target::AVX2;
  CHECK_THROWS_WITH(cnnc::Model::compileFile(Seeds + "lenet.cnn", o), Catch::Contains("x86-64's"));
}

TEST_CASE("aot: --triple aarch64-linux-gnu writes an AArch64 object", "[aot]") {
  TempDir dir;
  cnnc::Options o;
  o.objectCode = true, o.cacheDir = "", o.triple = "aarch64-linux-gnu";
  cnnc::Model m = cnnc::Model::compileFile(Seeds + "mnist_pool.cnn", o);
  m.writeObject((dir.path / "m.o").string(), "", false);
  std::ifstream f(dir.path / "m.o", std::ios::binary);
  unsigned char elf[20] = {};
  f.read((char *)elf, sizeof elf);
  CHECK(std::memcmp(elf,
                    "\x7f"
                    "ELF",
                    4) == 0);
  CHECK((elf[18] | elf[19] << 8) == 183); // EM_AARCH64
}

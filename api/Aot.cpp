// api/Aot.cpp - cnnc compile: the object file (codegen writes it) and the C
// header that declares its API, with a C++ wrapper, under the model's name.
#include "api/ModelImpl.h"
#include "cnnc/runtime.h"

#include <fstream>
#include <sstream>

namespace cnnc {

namespace {

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), (std::streamsize)bytes.size());
  if (!f.flush())
    throw Error("cannot write '" + path + "'");
}

/// The model's name as a C identifier: "resnet-18" -> "resnet_18", "3d" -> "m3d".
std::string identifier(const std::string &name) {
  std::string s;
  for (char c : name)
    s += std::isalnum((unsigned char)c) ? (char)std::tolower((unsigned char)c) : '_';
  if (s.empty() || std::isdigit((unsigned char)s[0]))
    s = "m" + s;
  return s;
}

bool isIdentifier(const std::string &s) {
  if (s.empty() || std::isdigit((unsigned char)s[0]))
    return false;
  for (char c : s)
    if (!std::isalnum((unsigned char)c) && c != '_')
      return false;
  return true;
}

std::string upper(std::string s) {
  for (char &c : s)
    c = (char)std::toupper((unsigned char)c);
  return s;
}

/// "{1, 32, 32, 1}": the batch, then one image's shape.
std::string dims(int batch, const Shape &shape) {
  std::string s = "{" + std::to_string(batch);
  for (int64_t d : shape)
    s += ", " + std::to_string(d);
  return s + "}";
}

/// The C part: sizes and shapes as constants, create / run / destroy.
void writeC(std::ostream &h, const Program &p, const std::string &id, bool embedded) {
  const std::string ID = upper(id);
  h << "#define " << ID << "_BATCH " << p.batch << "\n"
    << "#define " << ID << "_WEIGHTS_EMBEDDED " << (embedded ? 1 : 0) << "\n";
  auto ports = [&](const std::vector<Port> &ps, const char *kind, const char *KIND) {
    for (size_t k = 0; k < ps.size(); ++k) {
      const std::string n = std::to_string(k);
      h << "/* " << kind << " " << k << ", '" << ps[k].name << "': " << dims(p.batch, ps[k].shape)
        << " floats, channels last */\n"
        << "#define " << ID << "_" << KIND << n << "_SIZE " << p.batch * numElements(ps[k].shape)
        << "\n"
        << "static const int64_t " << id << "_" << kind << n << "_shape[" << ps[k].shape.size() + 1
        << "] = " << dims(p.batch, ps[k].shape) << ";\n";
    }
    if (ps.size() == 1)
      h << "#define " << ID << "_" << KIND << "_SIZE " << ID << "_" << KIND << "0_SIZE\n";
  };
  ports(p.inputs, "input", "INPUT");
  ports(p.outputs, "output", "OUTPUT");
  std::string params, ins, outs;
  for (size_t k = 0; k < p.inputs.size(); ++k)
    params += "const float *input" + std::to_string(k) + ", ",
        ins += (k ? ", input" : "input") + std::to_string(k);
  for (size_t k = 0; k < p.outputs.size(); ++k)
    params += "float *output" + std::to_string(k) + (k + 1 < p.outputs.size() ? ", " : ""),
        outs += (k ? ", output" : "output") + std::to_string(k);
  h << "\nextern const cnnc_model cnnc_model_" << id << ";\n\n"
    << "/* weights_path: a safetensors file (PyTorch keys and layouts), or NULL"
    << (embedded ? " for the weights embedded in the object" : " (this object embeds none)")
    << ";\n * threads: 0 for one per CPU. NULL on error: see cnnc_last_error(). */\n"
    << "static inline cnnc_context *" << id
    << "_create(const char *weights_path, int threads) {\n  return cnnc_create(&cnnc_model_" << id
    << ", weights_path, threads);\n}\n\n"
    << "/* 0, or -1 with cnnc_last_error() set. One run at a time per context. */\n"
    << "static inline int " << id << "_run(cnnc_context *context, " << params << ") {\n"
    << "  const float *const in[] = {" << ins << "};\n"
    << "  float *const out[] = {" << outs << "};\n"
    << "  return cnnc_run(context, in, out);\n}\n\n"
    << "static inline void " << id
    << "_destroy(cnnc_context *context) { cnnc_destroy(context); }\n";
}

/// The C++ part: namespace `id`, class Model (RAII, throws on error).
void writeCpp(std::ostream &h, const Program &p, const std::string &id, bool embedded) {
  const std::string ID = upper(id);
  std::string params, args;
  for (size_t k = 0; k < p.inputs.size(); ++k)
    params += "const float *input" + std::to_string(k) + ", ",
        args += "input" + std::to_string(k) + ", ";
  for (size_t k = 0; k < p.outputs.size(); ++k)
    params += "float *output" + std::to_string(k) + (k + 1 < p.outputs.size() ? ", " : ""),
        args += "output" + std::to_string(k) + (k + 1 < p.outputs.size() ? ", " : "");
  h << "\n#ifdef __cplusplus\n#include <stdexcept>\n#include <vector>\n\nnamespace " << id
    << " {\n\nconstexpr int batch = " << ID << "_BATCH;\n";
  for (size_t k = 0; k < p.inputs.size(); ++k)
    h << "constexpr int64_t input" << k << "_size = " << ID << "_INPUT" << k << "_SIZE;\n";
  for (size_t k = 0; k < p.outputs.size(); ++k)
    h << "constexpr int64_t output" << k << "_size = " << ID << "_OUTPUT" << k << "_SIZE;\n";
  h << "\nclass Model {\npublic:\n"
    << "  /// weights_path: a safetensors file, or nullptr"
    << (embedded ? " for the embedded weights" : " (none are embedded: give one)")
    << "; threads: 0 for one per CPU.\n"
    << "  explicit Model(const char *weights_path = nullptr, int threads = 1)\n"
    << "      : context_(" << id << "_create(weights_path, threads)) {\n"
    << "    if (!context_)\n      throw std::runtime_error(cnnc_last_error());\n  }\n"
    << "  ~Model() { " << id << "_destroy(context_); }\n"
    << "  Model(const Model &) = delete;\n  Model &operator=(const Model &) = delete;\n\n"
    << "  void run(" << params << ") {\n"
    << "    if (" << id << "_run(context_, " << args << ") != 0)\n"
    << "      throw std::runtime_error(cnnc_last_error());\n  }\n";
  if (p.inputs.size() == 1 && p.outputs.size() == 1)
    h << "  std::vector<float> run(const std::vector<float> &input) {\n"
      << "    if ((int64_t)input.size() != input0_size)\n"
      << "      throw std::invalid_argument(\"" << id << "::Model::run: the input must have \" +\n"
      << "                                  std::to_string(input0_size) + \" floats\");\n"
      << "    std::vector<float> output(output0_size);\n"
      << "    run(input.data(), output.data());\n    return output;\n  }\n";
  h << "\nprivate:\n  cnnc_context *context_;\n};\n\n} // namespace " << id << "\n#endif\n";
}

} // namespace

void Model::writeObject(const std::string &objectPath, const std::string &headerPath,
                        bool embedWeights, const std::string &prefix) const {
  const Program &p = impl_->program;
  if (!impl_->jit || (!p.steps.empty() && p.steps[0].fn))
    throw Error("model '" + name() + "' was not compiled for an object file (Options::objectCode)");
  const std::string id = prefix.empty() ? identifier(name()) : prefix;
  if (!isIdentifier(id))
    throw Error("the prefix '" + id + "' is not a C identifier (letters, digits, _)");
  const bool embed = embedWeights && !p.weightShapes.empty();
  if (embed && !impl_->weightsLoaded)
    throw Error("model '" + name() + "' has no weights loaded to embed in the object");
  impl_->jit->writeObject(objectPath, "cnnc_model_" + id, p.toJson(),
                          embed ? impl_->weightArena.data() : nullptr, p.weightFloats);
  if (headerPath.empty())
    return;
  std::ostringstream h;
  const std::string guard = "CNNC_MODEL_" + upper(id) + "_H";
  h << "/* Written by cnnc compile for model '" << name() << "' (" << impl_->target.name
    << "); do not edit.\n * Link its object with libcnnc_runtime (find_package(cnnc): "
       "cnnc::runtime).\n * Inputs and outputs are float arrays, channels last (H, W, C), the "
       "batch's\n * images one after another. */\n"
    << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <cnnc/runtime.h>\n\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  const bool embedded = embed || p.weightShapes.empty();
  writeC(h, p, id, embedded);
  h << "\n#ifdef __cplusplus\n}\n#endif\n";
  writeCpp(h, p, id, embedded);
  h << "\n#endif /* " << guard << " */\n";
  writeBytes(headerPath, h.str());
}

} // namespace cnnc

// runtime/Aot.cpp - the C API of include/cnnc/runtime.h: a context holds the
// program read from the object's descriptor, the packed weights (the object's
// own, or a safetensors file packed here), one arena and a thread pool.
#include "cnnc/runtime.h"
#include "runtime/Io.h"
#include "runtime/Program.h"

#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <thread>

struct cnnc_context {
  cnnc::Program program;
  cnnc::Tensor ownWeights; // packed from a file, when the object embeds none
  const float *weights = nullptr;
  cnnc::Tensor arena;
  std::unique_ptr<cnnc::ThreadPool> pool;
};

namespace {

thread_local std::string lastError;

/// Runs `body`, turning any exception into lastError and `failed`.
template <class T, class F> T guarded(T failed, F &&body) {
  try {
    lastError.clear();
    return body();
  } catch (const std::bad_alloc &) {
    lastError = "out of memory";
  } catch (const std::exception &e) {
    lastError = e.what();
  }
  return failed;
}

cnnc_context *create(const cnnc_model *m, const char *path, int threads) {
  using cnnc::Error;
  if (!m)
    throw Error("cnnc_create: no model (a null pointer)");
  if (m->abi != CNNC_RUNTIME_ABI)
    throw Error("the model was compiled for runtime ABI " + std::to_string(m->abi) +
                ", this libcnnc_runtime has ABI " + std::to_string(CNNC_RUNTIME_ABI) +
                ": recompile it with this cnnc");
  if (threads < 0 || threads > 1024)
    throw Error("cnnc_create: threads must be between 0 (one per CPU) and 1024, got " +
                std::to_string(threads));
  auto c = std::make_unique<cnnc_context>();
  c->program = cnnc::Program::fromJson(std::string(m->program, m->program_bytes), m->kernels,
                                       m->kernel_count);
  const cnnc::Program &p = c->program;
  const bool embedded = m->weights && (int64_t)m->weight_floats == p.weightFloats;
  if (!path && !embedded && !p.weightShapes.empty())
    throw Error("model '" + p.name +
                "' has no weights in its object: give cnnc_create a safetensors file "
                "(or compile with cnnc compile --weights)");
  if (path || !embedded) { // a model without parameters still packs its zero biases
    c->ownWeights = cnnc::Tensor({std::max<int64_t>(p.weightFloats, 1)});
    try {
      if (path) {
        cnnc::MappedSafetensors file(path);
        p.packWeights(file.views(), c->ownWeights.data(),
                      [&](const float *data, int64_t n) { file.release(data, n); });
      } else {
        p.packWeights(cnnc::WeightMap{}, c->ownWeights.data());
      }
    } catch (const Error &e) {
      std::string msg = e.what();
      throw Error(!path || msg.rfind(path, 0) == 0 ? msg : std::string(path) + ": " + msg);
    }
    c->weights = c->ownWeights.data();
  } else {
    c->weights = m->weights;
  }
  c->arena = cnnc::Tensor({p.arenaFloats()});
  c->pool = std::make_unique<cnnc::ThreadPool>(
      threads ? threads : std::max(1, (int)std::thread::hardware_concurrency()));
  return c.release();
}

} // namespace

extern "C" {

cnnc_context *cnnc_create(const cnnc_model *model, const char *weights_path, int threads) {
  return guarded<cnnc_context *>(nullptr, [&] { return create(model, weights_path, threads); });
}

int cnnc_run(cnnc_context *c, const float *const *inputs, float *const *outputs) {
  return guarded(-1, [&] {
    if (!c || !inputs || !outputs)
      throw cnnc::Error("cnnc_run: a null context, inputs or outputs");
    const cnnc::Program &p = c->program;
    for (size_t k = 0; k < p.inputs.size(); ++k)
      if (!inputs[k])
        throw cnnc::Error("cnnc_run: input " + std::to_string(k) + " is a null pointer");
    for (size_t k = 0; k < p.outputs.size(); ++k)
      if (!outputs[k])
        throw cnnc::Error("cnnc_run: output " + std::to_string(k) + " is a null pointer");
    p.copyIn(inputs, c->arena.data());
    p.run(c->weights, c->arena.data(), *c->pool);
    p.copyOut(c->arena.data(), outputs);
    return 0;
  });
}

void cnnc_destroy(cnnc_context *c) { delete c; }

const char *cnnc_last_error(void) { return lastError.c_str(); }

} // extern "C"

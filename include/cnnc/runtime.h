/* cnnc/runtime.h - the C API of libcnnc_runtime, which runs the models that
 * `cnnc compile` wrote as object files. It needs no LLVM. A model's own
 * header (cnnc compile --header NAME.h) wraps these calls with its name and
 * shapes; most programs include that header rather than this one. */
#ifndef CNNC_RUNTIME_H
#define CNNC_RUNTIME_H

#include <stdint.h>

#define CNNC_RUNTIME_ABI 1

#ifdef __cplusplus
extern "C" {
#endif

/* A compiled model, as the object file defines it (`cnnc compile` writes it;
 * never filled in by hand). */
typedef struct cnnc_model {
  uint32_t abi; /* CNNC_RUNTIME_ABI of the cnnc that wrote it */
  uint32_t reserved;
  const char *program; /* the schedule, as JSON (runtime/Program.h) */
  uint64_t program_bytes;
  void (*const *kernels)(const float *, float *, int64_t, int64_t, float *);
  uint64_t kernel_count;
  const float *weights; /* packed weights, or NULL: loaded at cnnc_create */
  uint64_t weight_floats;
} cnnc_model;

/* A model ready to run: its weights, activations and threads. One run at a
 * time per context; use a context per thread to run concurrently. */
typedef struct cnnc_context cnnc_context;

/* Creates a context. `weights_path`: a safetensors file with the model's
 * weights (PyTorch keys and layouts), packed here; NULL when the object embeds
 * them (cnnc compile --weights). `threads`: 0 for one per CPU. Returns NULL on
 * error; cnnc_last_error() says why. */
cnnc_context *cnnc_create(const cnnc_model *model, const char *weights_path, int threads);

/* Runs the model: inputs[k] and outputs[k] each hold a batch of the k-th
 * input or output, in the model's order and shapes (channels last). Returns 0,
 * or -1 with cnnc_last_error() set. */
int cnnc_run(cnnc_context *context, const float *const *inputs, float *const *outputs);

/* Frees a context (NULL is fine). */
void cnnc_destroy(cnnc_context *context);

/* The calling thread's last error message ("" if none). */
const char *cnnc_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* CNNC_RUNTIME_H */

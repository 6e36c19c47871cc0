// fuzz/onnx.cpp - the ONNX importer (protobuf parse, onnx::checker, shape
// inference, translation) on arbitrary bytes. Every malformed model must be
// reported in the Diag; an exception escaping, a crash or a sanitizer report is a bug.
#include "frontend/onnx/Onnx.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cnnc::Diag diag("fuzz.onnx", "");
  cnnc::OnnxImport out;
  bool ok = cnnc::importOnnx(std::string(reinterpret_cast<const char *>(data), size), diag, out);
  if (ok == diag.hasErrors()) // success without errors, failure with at least one
    __builtin_trap();
  return 0;
}

// runtime/Pack.h - weight repacking, decided by codegen at compile time and
// done by the runtime when weights are loaded: PyTorch layouts in, the layouts
// the generated kernels read out. Padded lanes are zero, so results stay exact.
#pragma once

#include "cnnc/Tensor.h"

#include <string>
#include <vector>

namespace cnnc {

struct PackSpec {
  enum Kind {
    /// OIHW -> [kh][kw][ic][ocPad]: one contiguous vector row of output channels per tap.
    ConvHWIO,
    /// [out, in] -> [out / group][in][group]: each group of `group` outputs
    /// streams its weights contiguously. With flatH > 0 the input index is
    /// permuted from PyTorch's CHW flatten order to cnnc's HWC order.
    DenseBlocked,
    /// [n] -> [nPad], zero-padded.
    Bias,
  } kind;
  std::string key;    // "conv2d.weight"
  Shape shape;        // the PyTorch shape the file must hold
  int64_t offset = 0; // destination, in floats from the start of the weight arena
  int64_t padTo = 0;  // ConvHWIO: ocPad; DenseBlocked: group; Bias: nPad
  int64_t outPad = 0; // DenseBlocked: padded output count (a multiple of group)
  int64_t flatH = 0, flatW = 0, flatC = 0;
};

/// Floats the packed form of `spec` occupies.
int64_t packedSize(const PackSpec &spec);
/// Writes `src` (of shape spec.shape) into `arena + spec.offset`.
void pack(const PackSpec &spec, const Tensor &src, float *arena);

} // namespace cnnc

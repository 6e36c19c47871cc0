// runtime/Pack.h - weight repacking, decided by codegen at compile time and
// done by the runtime when weights are loaded: PyTorch layouts in, the layouts
// the generated kernels read out. Padded lanes are zero, so results stay exact.
// A batchnorm folded into a conv or dense is applied here, on the loaded
// weights: w' = w * s, b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps).
#pragma once

#include "cnnc/Tensor.h"

#include <functional>
#include <string>
#include <vector>

namespace cnnc {

struct PackSpec {
  enum Kind {
    /// OIHW -> [group][ocPad / block][kh][kw][ic / groups][block]: each block of
    /// `block` output channels streams its weights contiguously, one row of
    /// `block` floats per (tap, input channel) (padTo = ocPad per group).
    ConvHWIO,
    /// A transposed conv's [in, out / groups, kh, kw] (PyTorch's ConvTranspose2d)
    /// -> ConvHWIO's layout, [group][ocPad / block][kh][kw][in / groups][block]
    /// (padTo = ocPad per group); a folded batchnorm scales output channels.
    ConvTransposeHWIO,
    /// A 3x3 conv's OIHW weights in Winograd's F(2x2, 3x3) domain, U = G g G^T
    /// per (output, input) channel: [16][ocPad / block][ic][block] (padTo = ocPad).
    ConvWinograd,
    /// [out, in] -> [out / group][in][group]: each group of `group` outputs
    /// streams its weights contiguously. With `image` = {H, W, C}, `in` is
    /// reordered from PyTorch's flatten order (c, h, w) to the image's (h, w, c).
    DenseBlocked,
    /// [n] -> [nPad], zero-padded; no key: zeros (a bias only a folded batchnorm makes).
    Bias,
    /// A standalone batchnorm (key = its name): [2][nPad], scale then shift.
    Affine,
    /// ConvWinograd's layout in F(4x4, 3x3)'s domain: [36][ocPad / block][ic][block].
    ConvWinograd4,
  } kind;
  std::string key;    // "conv2d.weight"
  Shape shape;        // the PyTorch shape the file holds ([n] for Bias and Affine)
  int64_t offset = 0; // destination, in floats from the start of the weight arena
  int64_t padTo = 0;  // ConvHWIO, ConvTransposeHWIO: ocPad; DenseBlocked: group; Bias, Affine: nPad
  int64_t outPad = 0; // DenseBlocked: padded output count (a multiple of group)
  int64_t groups = 1; // ConvHWIO, ConvTransposeHWIO
  int64_t block = 0;  // ConvHWIO, ConvTransposeHWIO: output channels per block (0: padTo)
  Shape image;        // DenseBlocked: the HWC image a dense reads unflattened, or empty
  std::string bn;     // a folded batchnorm's name, or empty
  double eps = 0;
};

/// Floats the packed form of `spec` occupies.
int64_t packedSize(const PackSpec &spec);
/// Writes the packed form of `spec` into `arena + spec.offset`, reading the
/// tensors it names from `weights` (their shapes already checked).
/// Told of input memory the packing will not read again (a mapped file
/// drops those pages: MappedSafetensors::release).
using Release = std::function<void(const float *data, int64_t floats)>;
void pack(const PackSpec &spec, const WeightViews &weights, float *arena,
          const Release &release = {});

} // namespace cnnc

// cnnc/Io.h - arrays (.npy) and weights (.safetensors) from and to files, and
// deterministic random inputs. Every malformed file is a cnnc::Error naming it.
#pragma once

#include "cnnc/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc {

/// Reads a .npy array (versions 1.0-3.0, C or Fortran order) as float32: dtypes
/// '<f4', '<f8', '<f2', '|u1', '|i1', '<u2', '<i2', '<u4', '<i4', '<u8', '<i8' and '|b1'
/// are converted (a Fortran-order array is transposed to C order). When `note` is given,
/// it receives what was converted ("float64 converted to float32"), or "".
Tensor loadNpy(const std::string &path, std::string *note = nullptr);
/// Writes a .npy array (dtype '<f4', C order).
void saveNpy(const std::string &path, const Tensor &tensor);
/// Writes a .npz (an uncompressed zip of KEY.npy files; numpy.load reads it as
/// {KEY: array}): cnnc run --output y.npz, one entry per output name.
void saveNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &arrays);

/// Reads a safetensors file (PyTorch key names and layouts). F32 tensors are
/// read; integer ones (a state_dict's counters such as batchnorm's
/// num_batches_tracked) are skipped and listed in `skipped` ("key (I64)").
WeightMap loadSafetensors(const std::string &path, std::vector<std::string> *skipped = nullptr);
void saveSafetensors(const std::string &path, const WeightMap &weights);

/// How an image becomes a model's input (cnnc run --image): torchvision's
/// Resize(resize) (PIL's antialiased bilinear), CenterCrop(crop), ToTensor()
/// (pixel * scale) and Normalize(mean, std), laid out [H, W, C].
/// The crop is always the model's input size H x W; resize/crop is the ratio,
/// so the shorter side goes to floor(min(H, W) * resize / crop): exactly
/// torchvision's numbers for a 224 x 224 input, and timm's crop_pct = crop /
/// resize for other sizes. resize = 0 resizes straight to H x W (no crop).
/// mean and std have one value per channel, or one for all.
struct Preprocess {
  int resize = 256, crop = 224;
  std::vector<float> mean{0.485f, 0.456f, 0.406f}, std{0.229f, 0.224f, 0.225f};
  float scale = 1.f / 255;
  /// The defaults for an input of `channels` channels: ImageNet's above for 3;
  /// otherwise (a 1-channel digit model) resize = 0, mean 0 and std 1, so the
  /// input is the pixels scaled to [0, 1].
  static Preprocess defaults(int channels);
};

/// Decodes a JPEG or PNG (libjpeg-turbo, libpng), converts it to the channel
/// count of `hwc` ([H, W, C], C = 1, 3 or 4) as PIL's Image.convert does, then
/// resizes, crops and normalises it per `p`: an [H, W, C] tensor. Corrupt,
/// truncated, empty, CMYK and oversized (more than 100 megapixels) images are
/// errors. When `note` is given, it receives what was done, for --verbose.
Tensor loadImage(const std::string &path, const Preprocess &p, const Shape &hwc,
                 std::string *note = nullptr);

/// Images as one batch: loadImage of each into [N, H, W, C], or with
/// `channelsFirst` [N, C, H, W] (an ONNX model's layout). `notes`, when given,
/// receives each image's note.
Tensor loadImageBatch(const std::vector<std::string> &paths, const Preprocess &p, const Shape &hwc,
                      bool channelsFirst = false, std::vector<std::string> *notes = nullptr);

/// A random input in [0, 1), like an image scaled to unit range: the generator
/// of Model::randomWeights under `key`, so the same seed gives the same values.
/// cnnc run --random-input uses the keys "input", "input_1", ... for a model's inputs.
Tensor randomInput(const Shape &shape, uint64_t seed, const std::string &key = "input");

} // namespace cnnc

// tools/cnnc/Inputs.h - what `cnnc run` feeds a model (--input arrays, --image
// files and their preprocessing) and how it names classes (--labels).
#pragma once

#include "cnnc/Io.h"
#include "cnnc/cnnc.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace cli {

/// --image, --labels and the preprocessing flags; an option left out keeps
/// cnnc::Preprocess::defaults(channels) of the model's input.
struct ImageArgs {
  std::vector<std::string> images;
  std::string labels;
  int resize = 0, crop = 0;
  std::vector<float> mean, std;
  float scale = 0;
  CLI::Option *resizeOpt = nullptr, *cropOpt = nullptr, *meanOpt = nullptr, *stdOpt = nullptr,
              *scaleOpt = nullptr;
};

void addImageOptions(CLI::App &run, ImageArgs &a);

/// The files of the --image arguments: a directory gives its .jpg, .jpeg and
/// .png files (any case), in name order; an empty one is an error.
std::vector<std::string> imageFiles(const std::vector<std::string> &args);

/// The images as the model's only input ([H, W, C]; [N, H, W, C] for a batch;
/// an ONNX model's [N, C, H, W]). --verbose prints what was done to each.
cnnc::Tensor readImages(const cnnc::Model &m, const std::vector<std::string> &files,
                        const ImageArgs &a, bool verbose);

/// --input arrays; --verbose says which were converted to float32.
std::vector<cnnc::Tensor> readArrays(const std::vector<std::string> &paths, bool verbose);

/// One class name a line (ImageNet's: data/imagenet_classes.txt).
std::vector<std::string> readLabels(const std::string &path);

/// The k largest of v[0, n) (NaN last): "  class I  VALUE" lines, or with labels
/// "  RANK  class I  VALUE  NAME" (labels must have n names).
void printTopK(const float *v, int64_t n, int64_t k, const std::vector<std::string> &labels);

} // namespace cli

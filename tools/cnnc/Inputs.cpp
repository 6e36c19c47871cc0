// tools/cnnc/Inputs.cpp - cnnc run's inputs: arrays, images, labels.
#include "Inputs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

namespace cli {

namespace fs = std::filesystem;

void addImageOptions(CLI::App &run, ImageArgs &a) {
  run.add_option("--image", a.images,
                 "An image (JPEG or PNG) as the model's input: decoded, converted to its "
                 "channel count, resized, centre-cropped and normalised (--resize, --crop, "
                 "--mean, --std, --scale). Several --image, or a directory (its .jpg/.jpeg/.png "
                 "files in name order), run as one batch")
      ->type_name("FILE|DIR")
      ->allow_extra_args(false);
  run.add_option("--labels", a.labels,
                 "Class names, one a line (e.g. data/imagenet_classes.txt): the top-5 is printed "
                 "with rank, class index, value and name")
      ->type_name("FILE");
  a.resizeOpt = run.add_option("--resize", a.resize,
                               "Image input: the shorter side goes to RESIZE (torchvision's "
                               "Resize, antialiased bilinear), scaled by input/crop for an input "
                               "other than crop; 0: straight to the input size, no crop. Default "
                               "256 for 3 channels, 0 otherwise")
                    ->check(CLI::Range(0, 65536));
  a.cropOpt = run.add_option("--crop", a.crop,
                             "Image input: the crop RESIZE refers to (default 224); the centre "
                             "crop is always the model's input size")
                  ->check(CLI::Range(1, 65536));
  a.meanOpt = run.add_option("--mean", a.mean,
                             "Image input: per-channel means subtracted after --scale, as "
                             "0.485,0.456,0.406 (the default for 3 channels; 0 otherwise)")
                  ->delimiter(',')
                  ->allow_extra_args(false);
  a.stdOpt = run.add_option("--std", a.std,
                            "Image input: per-channel standard deviations divided by, as "
                            "0.229,0.224,0.225 (the default for 3 channels; 1 otherwise)")
                 ->delimiter(',')
                 ->allow_extra_args(false);
  a.scaleOpt = run.add_option("--scale", a.scale,
                              "Image input: pixel values (0-255) are multiplied by SCALE before "
                              "the mean and std (default 1/255, torchvision's ToTensor)");
}

std::vector<std::string> imageFiles(const std::vector<std::string> &args) {
  std::vector<std::string> files;
  for (const std::string &arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    for (const fs::directory_entry &e : fs::directory_iterator(arg, ec)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      if (e.is_regular_file(ec) && (ext == ".jpg" || ext == ".jpeg" || ext == ".png"))
        found.push_back(e.path().string());
    }
    if (ec)
      throw cnnc::Error(arg + ": cannot read the directory: " + ec.message());
    if (found.empty())
      throw cnnc::Error(arg + ": the directory has no .jpg, .jpeg or .png files");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

namespace {

std::string listed(const std::vector<float> &v) {
  std::ostringstream out;
  for (size_t i = 0; i < v.size(); ++i)
    out << (i ? "," : "") << v[i];
  return out.str();
}

/// The model's image input as [H, W, C], whatever its layout.
cnnc::Shape imageShape(const cnnc::Model &m) {
  const std::vector<cnnc::Shape> shapes = m.sourceInputShapes();
  if (shapes.size() != 1)
    throw cnnc::Error("--image feeds a model with one input; '" + m.name() + "' has " +
                      std::to_string(shapes.size()) + " (give --input FILE.npy per input)");
  const cnnc::Shape &s = shapes[0];
  if (m.channelsFirst() && s.size() == 4)
    return {s[2], s[3], s[1]};
  if (!m.channelsFirst() && s.size() == 3)
    return s;
  throw cnnc::Error("--image needs an image input [H, W, C]; the input of '" + m.name() + "' is " +
                    cnnc::shapeToString(s));
}

} // namespace

cnnc::Tensor readImages(const cnnc::Model &m, const std::vector<std::string> &files,
                        const ImageArgs &a, bool verbose) {
  const cnnc::Shape hwc = imageShape(m);
  cnnc::Preprocess p = cnnc::Preprocess::defaults(static_cast<int>(hwc[2]));
  if (a.resizeOpt->count())
    p.resize = a.resize;
  if (a.cropOpt->count())
    p.crop = a.crop;
  if (a.meanOpt->count())
    p.mean = a.mean;
  if (a.stdOpt->count())
    p.std = a.std;
  if (a.scaleOpt->count())
    p.scale = a.scale;
  for (float s : p.std)
    if (s == 0 || !std::isfinite(s))
      throw cnnc::Error("--std " + listed(p.std) + ": every std must be finite and non-zero");
  std::vector<std::string> notes;
  cnnc::Tensor x = cnnc::loadImageBatch(files, p, hwc, m.channelsFirst(), &notes);
  if (verbose) {
    std::cerr << "preprocess: "
              << (p.resize
                      ? "resize " + std::to_string(p.resize) + ", crop " + std::to_string(p.crop)
                      : std::string("resize to the input"))
              << ", scale " << p.scale << ", mean " << listed(p.mean) << ", std " << listed(p.std)
              << " into " << cnnc::shapeToString(hwc) << "\n";
    for (size_t i = 0; i < files.size(); ++i)
      std::cerr << files[i] << ": " << notes[i] << "\n";
  }
  if (!m.channelsFirst() && files.size() == 1)
    return x.reshaped(hwc);
  return x;
}

std::vector<cnnc::Tensor> readArrays(const std::vector<std::string> &paths, bool verbose) {
  std::vector<cnnc::Tensor> xs;
  for (const std::string &path : paths) {
    std::string note;
    xs.push_back(cnnc::loadNpy(path, &note));
    if (verbose && !note.empty())
      std::cerr << path << ": " << note << "\n";
  }
  return xs;
}

std::vector<std::string> readLabels(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw cnnc::Error(path + ": cannot open the labels file");
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    labels.push_back(line);
  }
  if (labels.empty())
    throw cnnc::Error(path + ": the labels file is empty (one class name a line)");
  return labels;
}

void printTopK(const float *v, int64_t n, int64_t k, const std::vector<std::string> &labels) {
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, n);
  // Largest first; NaN sorts last (a strict weak order even then).
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    return !std::isnan(v[a]) && (std::isnan(v[b]) || v[a] > v[b]);
  });
  for (int64_t i = 0; i < k; ++i) {
    if (labels.empty())
      std::printf("  class %lld  %.6f\n", (long long)idx[i], v[idx[i]]);
    else
      std::printf("  %lld  class %lld  %.6f  %s\n", (long long)i + 1, (long long)idx[i], v[idx[i]],
                  labels[idx[i]].c_str());
  }
}

} // namespace cli

// runtime/PublicImage.cpp - the public image loading (include/cnnc/Io.h:
// loadImage, loadImageBatch), in libcnnc_images: decoding (Image.cpp) and
// Highway's preprocessing (Preprocess.cpp, Simd.cpp).
#include "cnnc/Io.h"
#include "runtime/Image.h"
#include "runtime/Preprocess.h"
#include "runtime/Simd.h"

#include <algorithm>

namespace cnnc {

Tensor loadImage(const std::string &path, const Preprocess &p, const Shape &hwc,
                 std::string *note) {
  if (hwc.size() != 3 || hwc[0] < 1 || hwc[1] < 1 || hwc[0] > 1 << 16 || hwc[1] > 1 << 16)
    throw Error(path + ": an image is read into an [H, W, C] input; the model's is " +
                shapeToString(hwc));
  const int height = static_cast<int>(hwc[0]), width = static_cast<int>(hwc[1]);
  const int channels = static_cast<int>(hwc[2]);
  Image image = readImage(path);
  const int decoded = image.channels, h = image.height, w = image.width;
  image = toChannels(std::move(image), channels, path);
  Tensor x(hwc);
  preprocessInto(image, p, height, width, path, x.data());
  if (note) {
    const ResizePlan plan = planResize(h, w, p, height, width, path);
    *note = std::to_string(w) + "x" + std::to_string(h) + " " + channelsName(decoded);
    if (decoded != channels)
      *note += std::string(" converted to ") + channelsName(channels);
    *note += ", resized to " + std::to_string(plan.resizedWidth) + "x" +
             std::to_string(plan.resizedHeight);
    if (p.resize != 0)
      *note += ", centre " + std::to_string(width) + "x" + std::to_string(height) + " from (" +
               std::to_string(plan.left) + ", " + std::to_string(plan.top) + ")";
  }
  return x;
}

Tensor loadImageBatch(const std::vector<std::string> &paths, const Preprocess &p, const Shape &hwc,
                      bool channelsFirst, std::vector<std::string> *notes) {
  Shape shape = hwc;
  shape.insert(shape.begin(), static_cast<int64_t>(paths.size()));
  Tensor batch(shape);
  const int64_t each = batch.size() / std::max<int64_t>(1, shape[0]);
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string note;
    const Tensor x = loadImage(paths[i], p, hwc, notes ? &note : nullptr);
    std::copy(x.data(), x.data() + each, batch.data() + i * each);
    if (notes)
      notes->push_back(note);
  }
  if (!channelsFirst)
    return batch;
  Tensor nchw(Shape{shape[0], hwc[2], hwc[0], hwc[1]});
  simd::nhwcToNchw(batch.data(), nchw.data(), shape[0], hwc[0] * hwc[1], hwc[2]);
  return nchw;
}

} // namespace cnnc

// examples/aot/classify.cpp - classifies the input it is given with a model
// compiled ahead of time (cnnc_add_model in CMakeLists.txt), then prints the
// top-5 scores and optionally saves the whole output.
//   classify INPUT.npy [--weights W.safetensors] [--output Y.npy] [--threads N]
// INPUT holds the model's input shape (H, W, C), with or without a leading 1.
#include "cnnc/Io.h"
#include "model.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <numeric>
#include <string>

int main(int argc, char **argv) {
  std::string input, weights, output;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--weights" || a == "--output" || a == "--threads") && i + 1 < argc)
      (a == "--weights" ? weights : a == "--output" ? output : a) = argv[++i];
    else if (a[0] != '-' && input.empty())
      input = a;
    else {
      std::fprintf(stderr, "usage: %s INPUT.npy [--weights W] [--output Y.npy] [--threads N]\n",
                   argv[0]);
      return 2;
    }
    if (a == "--threads")
      threads = std::atoi(argv[i]);
  }
  if (input.empty()) {
    std::fprintf(stderr, "usage: %s INPUT.npy [--weights W] [--output Y.npy] [--threads N]\n",
                 argv[0]);
    return 2;
  }
  try {
    cnnc::Tensor x = cnnc::loadNpy(input);
    if (x.size() != model::input0_size)
      throw std::runtime_error(input + " has " + std::to_string(x.size()) +
                               " floats, the model takes " + std::to_string(model::input0_size));
    model::Model m(weights.empty() ? nullptr : weights.c_str(), threads);
    cnnc::Tensor y({model::output0_size});
    m.run(x.data(), y.data());
    std::vector<int64_t> order(y.size());
    std::iota(order.begin(), order.end(), 0);
    const int64_t k = std::min<int64_t>(5, y.size());
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return y[a] > y[b]; });
    for (int64_t i = 0; i < k; ++i)
      std::printf("%lld %.6f\n", (long long)order[i], y[order[i]]);
    if (!output.empty()) // the output's shape, as cnnc run writes it for one image
      cnnc::saveNpy(output, y.reshaped(cnnc::Shape(std::begin(model_output0_shape) + 1,
                                                   std::end(model_output0_shape))));
  } catch (const std::exception &e) {
    std::fprintf(stderr, "classify: %s\n", e.what());
    return 1;
  }
  return 0;
}

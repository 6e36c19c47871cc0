// examples/aot/classify.cpp - classifies the input it is given with a model
// compiled ahead of time (cnnc_add_model in CMakeLists.txt), then prints the
// top-5 scores and optionally saves the whole output.
//   classify INPUT.npy [--weights W.safetensors] [--output Y.npy] [--threads N] [--runs N]
// --runs N: also time N more runs and print their median (bench/aot.py).
// INPUT holds the model's input shape (H, W, C), with or without a leading 1.
#include "cnnc/Io.h"
#include "model.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <numeric>
#include <string>

int main(int argc, char **argv) {
  std::string input, weights, output;
  int threads = 1, runs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i], value = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--weights" && !value.empty())
      weights = value, ++i;
    else if (a == "--output" && !value.empty())
      output = value, ++i;
    else if (a == "--threads" && !value.empty())
      threads = std::atoi(value.c_str()), ++i;
    else if (a == "--runs" && !value.empty())
      runs = std::atoi(value.c_str()), ++i;
    else if (a[0] != '-' && input.empty())
      input = a;
    else
      input.clear(), i = argc; // usage
  }
  if (input.empty()) {
    std::fprintf(stderr,
                 "usage: %s INPUT.npy [--weights W] [--output Y.npy] [--threads N] [--runs N]\n",
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
    if (runs > 0) {
      std::vector<double> ms;
      for (int r = 0; r < runs; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        m.run(x.data(), y.data());
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      std::nth_element(ms.begin(), ms.begin() + runs / 2, ms.end());
      std::printf("median %.3f ms over %d runs\n", ms[runs / 2], runs);
    }
    if (!output.empty()) // the output's shape, as cnnc run writes it for one image
      cnnc::saveNpy(output, y.reshaped(cnnc::Shape(std::begin(model_output0_shape) + 1,
                                                   std::end(model_output0_shape))));
  } catch (const std::exception &e) {
    std::fprintf(stderr, "classify: %s\n", e.what());
    return 1;
  }
  return 0;
}

// examples/api/main.cpp - compile a model with the C++ API, give it random
// weights, run it on a random image and print the most likely class.
//   api_example examples/seed/lenet.cnn
#include "cnnc/cnnc.h"

#include <cstdio>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "examples/seed/lenet.cnn";
  try {
    cnnc::Model model = cnnc::Model::compileFile(path);
    model.randomWeights(/*seed=*/42);
    cnnc::Tensor x(model.inputShape());
    for (int64_t i = 0; i < x.size(); ++i)
      x[i] = float(i % 17) / 17.f;
    cnnc::Tensor y = model.run(x);
    int64_t best = 0;
    for (int64_t i = 1; i < y.size(); ++i)
      best = y[i] > y[best] ? i : best;
    std::printf("%s: %lld parameters, compiled in %.3f s; class %lld (p=%.4f)\n",
                model.name().c_str(), (long long)model.totalParams(), model.compileSeconds(),
                (long long)best, y[best]);
  } catch (const cnnc::Error &e) {
    std::fprintf(stderr, "%s", e.what());
    return 1;
  }
  return 0;
}

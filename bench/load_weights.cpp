// bench/load_weights.cpp - loading and packing a model's weights against
// reading the same file (issue 15's targets: at most 2x the read time, and
// peak memory while loading at most 1.2x the packed size).
//   bench_load_weights MODEL.cnn WEIGHTS.safetensors [ROUNDS]
// Each round reads the file (fread into a buffer, the page cache warm) and
// loads it into the compiled model (Model::loadWeights: mapped, packed
// straight from the mapping), alternating; medians. Peak memory is the
// process's high-water mark over the load, reset just before it
// (/proc/self/clear_refs), minus what the process held before.
#include "cnnc/cnnc.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

/// "VmHWM" or "VmRSS" of this process, in bytes.
long long status(const char *field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0)
      return std::stoll(line.substr(line.find(':') + 1)) * 1024;
  return 0;
}

double seconds(const std::function<void()> &f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL WEIGHTS.safetensors [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  try {
    cnnc::Options o;
    o.cacheDir = "";
    cnnc::Model m = cnnc::Model::compileFile(argv[1], o);
    std::vector<double> read, load;
    long long packed = 0, peak = 0;
    for (int r = 0; r < rounds; ++r) {
      read.push_back(seconds([&] {
        std::ifstream f(argv[2], std::ios::binary | std::ios::ate);
        std::vector<char> all(f.tellg()); // one read into a buffer of the file's size
        f.seekg(0).read(all.data(), (std::streamsize)all.size());
        if (!f)
          throw cnnc::Error(std::string("cannot read ") + argv[2]);
      }));
      std::ofstream("/proc/self/clear_refs") << "5"; // resets VmHWM to VmRSS
      const long long before = status("VmRSS");
      load.push_back(seconds([&] { m.loadWeights(std::string(argv[2])); }));
      peak = std::max(peak, status("VmHWM") - before);
      if (r == 0) // the packed arena is allocated by the first load and kept
        packed = status("VmRSS") - before;
    }
    std::printf("%s: read %.3f s, load+pack %.3f s (%.2fx the read); peak while loading %.0f MB, "
                "packed %.0f MB (%.2fx); medians of %d rounds\n",
                m.name().c_str(), median(read), median(load), median(load) / median(read),
                peak / 1e6, packed / 1e6, (double)peak / packed, rounds);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}

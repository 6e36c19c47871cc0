// Per-layer benchmark: the same convolution in cnnc and in oneDNN, f32, one thread.
//
//   build/bench/bench_layers [--rounds 5] [--ms 50] [--table-only] [--direct] [MODEL.cnn ...]
//
// Layers: the table (named below) and every conv layer of the example
// models (default examples/vgg16.cnn, resnet18.cnn, mobilenet_v1.cnn and
// examples/seed/alexnet.cnn), read from each model's final IR, so as cnnc runs them
// (zero padding folded in), deduplicated by shape. Each layer is a one-layer model
// on the cnnc side: input + conv2d (bias, no activation), compiled through the API
// with threads=1 and timed by Model::profileKernels (the kernel alone; its input,
// the model's, sits inside the conv's zero border as a producer's output would,
// and the small kernel that zeroes the border is part of the time).
// oneDNN times convolution_forward (forward_inference, bias) with format_tag::any
// for src, weights and dst, so it picks its own blocked layouts (the reorders into
// them happen before timing), for algorithm::convolution_direct and
// convolution_auto (which may choose Winograd), on one OpenMP thread. Every round
// alternates cnnc, oneDNN direct and oneDNN auto; the table shows the median over
// rounds of each round's median. --direct: cnnc without Winograd (Options::winograd
// false), every conv direct as oneDNN's. GFLOP/s count the direct convolution's
// multiply-adds (2 flops each) for every implementation, Winograd included.
// ratio = oneDNN's best time / cnnc's time: above 1, cnnc is faster.
//
// A benchmark peer, built only when oneDNN (Debian: libdnnl-dev) is found; never a
// dependency of cnnc.
#include "cnnc/Io.h"
#include "cnnc/cnnc.h"
#include "ir/Diag.h"
#include "ir/IR.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// One convolution: input [h, w, c], `f` filters of kh x kw, in `g` groups.
struct ConvSpec {
  int h, w, c, f, kh, kw, sh = 1, sw = 1, pt = 0, pb = 0, pl = 0, pr = 0, dh = 1, dw = 1, g = 1;
  int oh() const { return (h + pt + pb - (dh * (kh - 1) + 1)) / sh + 1; }
  int ow() const { return (w + pl + pr - (dw * (kw - 1) + 1)) / sw + 1; }
  double flops() const { return 2.0 * oh() * ow() * f * (c / g) * kh * kw; }
  auto key() const { return std::tie(h, w, c, f, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, g); }
  bool operator==(const ConvSpec &o) const { return key() == o.key(); }
  std::string str() const {
    char b[160];
    int n = std::snprintf(b, sizeof b, "%dx%dx%d>%d %dx%d/%d", h, w, c, f, kh, kw, sh);
    if (sw != sh)
      n += std::snprintf(b + n, sizeof b - n, ",%d", sw);
    if (pt + pb + pl + pr)
      n += pt == pb && pl == pr && pt == pl
               ? std::snprintf(b + n, sizeof b - n, " p%d", pt)
               : std::snprintf(b + n, sizeof b - n, " p%d,%d,%d,%d", pt, pb, pl, pr);
    if (dh != 1 || dw != 1)
      n += std::snprintf(b + n, sizeof b - n, " d%d", dh);
    if (g != 1)
      std::snprintf(b + n, sizeof b - n, g == c && g == f ? " dw" : " g%d", g);
    return b;
  }
};

struct Layer {
  std::string label; // "resnet18 layer4 3x3" or "vgg16: block1_conv2 (+1)"
  ConvSpec spec;
  int count = 1; // layers of this shape in its model
};

ConvSpec same3x3(int hw, int c, int f) { return {hw, hw, c, f, 3, 3, 1, 1, 1, 1, 1, 1}; }

/// The table (issue 16). AlexNet's are the notes' (examples/seed/alexnet.cnn).
std::vector<Layer> tableLayers() {
  ConvSpec down{56, 56, 64, 128, 1, 1, 2, 2}, pw1{112, 112, 32, 64, 1, 1};
  ConvSpec dw112 = same3x3(112, 32, 32), dw7 = same3x3(7, 1024, 1024);
  dw112.g = 32, dw7.g = 1024;
  return {{"resnet18 layer4 3x3", same3x3(7, 512, 512)},
          {"alexnet conv3", same3x3(13, 256, 384)},
          {"alexnet conv4", same3x3(13, 384, 384)},
          {"alexnet conv5", same3x3(13, 384, 256)},
          {"vgg16 conv1_1", same3x3(224, 3, 64)},
          {"mobilenet pw1 1x1", pw1},
          {"resnet18 1x1/2 downsample", down},
          {"mobilenet dw 112x112x32", dw112},
          {"mobilenet dw 7x7x1024", dw7}};
}

/// The conv layers of a model as cnnc runs it: its final IR (after zero-padding
/// folding and fusion), read back with the IR parser. Fused epilogues (batchnorm,
/// residual, activation, pool) and a squeeze-and-excitation prologue are left out:
/// the benchmark times the convolution itself.
std::vector<Layer> modelLayers(const std::string &path) {
  cnnc::Options o;
  o.generateCode = false;
  cnnc::Model m = cnnc::Model::compileFile(path, o);
  cnnc::Diag diag(path + " (final IR)", m.ir());
  cnnc::Graph g;
  if (!cnnc::parseGraph(diag, g))
    throw cnnc::Error(diag.text());
  std::vector<Layer> out;
  for (const cnnc::Node &n : g.nodes) {
    if (n.dead || n.op != cnnc::OpKind::Conv2D)
      continue;
    const auto &a = cnnc::attrs<cnnc::ConvAttrs>(n);
    const std::vector<int64_t> &in = g.nodes[n.inputs[0]].type.dims;
    ConvSpec s{(int)in[0], (int)in[1],   (int)in[2], a.filters,   a.kh, a.kw, a.sh,    a.sw,
               a.pad.top,  a.pad.bottom, a.pad.left, a.pad.right, a.dh, a.dw, a.groups};
    auto same = std::find_if(out.begin(), out.end(), [&](const Layer &l) { return l.spec == s; });
    if (same != out.end())
      ++same->count;
    else
      out.push_back({m.name() + ": " + n.name, s});
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? NAN : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// The cnnc side: a one-layer model, threads=1, random weights and input.
struct CnncConv {
  cnnc::Model model;
  cnnc::Tensor input;
  std::string plan;

  static CnncConv make(const ConvSpec &s, bool winograd) {
    char src[512];
    std::snprintf(src, sizeof src,
                  "model layer {\n  input x: f32[%d, %d, %d]\n"
                  "  conv2d(filters=%d, kernel=(%d, %d), stride=(%d, %d), padding=(%d, %d, %d, "
                  "%d), dilation=(%d, %d), groups=%d)\n}\n",
                  s.h, s.w, s.c, s.f, s.kh, s.kw, s.sh, s.sw, s.pt, s.pb, s.pl, s.pr, s.dh, s.dw,
                  s.g);
    cnnc::Options o;
    o.threads = 1;
    o.winograd = winograd;
    cnnc::Model m = cnnc::Model::compileString(src, "layer", o);
    m.randomWeights(1);
    cnnc::Tensor x = cnnc::randomInput(m.inputShape(), 2);
    return {std::move(m), std::move(x), ""};
  }
  /// The median time of `runs` runs of the kernel (ms).
  double time(int runs) {
    double ms = 0;
    for (const cnnc::KernelProfile &p : model.profileKernels(input, runs)) {
      ms += p.medianMs; // one kernel: a one-layer model has no other
      plan = p.plan;
    }
    return ms;
  }
};

void fillRandom(dnnl::memory &m, std::mt19937 &rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  float *p = static_cast<float *>(m.get_data_handle());
  const size_t n = m.get_desc().get_size() / sizeof(float);
  for (size_t i = 0; i < n; ++i)
    p[i] = u(rng);
}

/// A memory in oneDNN's chosen layout `want`, holding random data written in the
/// plain layout `plain` and reordered (outside any timing).
dnnl::memory randomIn(const dnnl::memory::desc &plain, const dnnl::memory::desc &want,
                      dnnl::engine &eng, dnnl::stream &st, std::mt19937 &rng) {
  dnnl::memory user(plain, eng), mem(want, eng);
  fillRandom(user, rng);
  dnnl::reorder(user, mem).execute(st, user, mem);
  st.wait();
  return mem;
}

/// The oneDNN side: one convolution_forward primitive and its arguments.
struct DnnlConv {
  dnnl::convolution_forward prim;
  std::unordered_map<int, dnnl::memory> args;
  std::string impl;

  static DnnlConv make(const ConvSpec &s, dnnl::algorithm alg, dnnl::engine &eng, dnnl::stream &st);
  /// The median time of `runs` runs (ms), each waited for.
  double time(dnnl::stream &st, int runs) {
    std::vector<double> t(runs);
    for (double &ms : t) {
      auto start = Clock::now();
      prim.execute(st, args);
      st.wait();
      ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    }
    return median(t);
  }
};

DnnlConv DnnlConv::make(const ConvSpec &s, dnnl::algorithm alg, dnnl::engine &eng,
                        dnnl::stream &st) {
  using md = dnnl::memory::desc;
  using tag = dnnl::memory::format_tag;
  const auto f32 = dnnl::memory::data_type::f32;
  const dnnl::memory::dims src{1, s.c, s.h, s.w}, dst{1, s.f, s.oh(), s.ow()}, bias{s.f};
  const dnnl::memory::dims wts = s.g == 1
                                     ? dnnl::memory::dims{s.f, s.c, s.kh, s.kw}
                                     : dnnl::memory::dims{s.g, s.f / s.g, s.c / s.g, s.kh, s.kw};
  const dnnl::memory::dims strides{s.sh, s.sw}, dilates{s.dh - 1, s.dw - 1}, padL{s.pt, s.pl},
      padR{s.pb, s.pr};
  const auto fwd = dnnl::prop_kind::forward_inference;
#if DNNL_VERSION_MAJOR >= 3
  dnnl::convolution_forward::primitive_desc pd(
      eng, fwd, alg, md(src, f32, tag::any), md(wts, f32, tag::any), md(bias, f32, tag::x),
      md(dst, f32, tag::any), strides, dilates, padL, padR);
#else
  dnnl::convolution_forward::desc d(fwd, alg, md(src, f32, tag::any), md(wts, f32, tag::any),
                                    md(bias, f32, tag::x), md(dst, f32, tag::any), strides, dilates,
                                    padL, padR);
  dnnl::convolution_forward::primitive_desc pd(d, eng);
#endif
  std::mt19937 rng(3);
  DnnlConv c{dnnl::convolution_forward(pd), {}, pd.impl_info_str()};
  c.args[DNNL_ARG_SRC] = randomIn(md(src, f32, tag::nchw), pd.src_desc(), eng, st, rng);
  c.args[DNNL_ARG_WEIGHTS] =
      randomIn(md(wts, f32, s.g == 1 ? tag::oihw : tag::goihw), pd.weights_desc(), eng, st, rng);
  c.args[DNNL_ARG_BIAS] = randomIn(md(bias, f32, tag::x), pd.bias_desc(), eng, st, rng);
  c.args[DNNL_ARG_DST] = dnnl::memory(pd.dst_desc(), eng);
  return c;
}

struct Args {
  int rounds = 5;
  double ms = 50; // per measurement: runs are chosen to take about this long
  bool tableOnly = false;
  bool direct = false; // cnnc without Winograd (Options::winograd = false)
  std::vector<std::string> models;
};

Args parseArgs(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if ((s == "--rounds" || s == "--ms") && i + 1 < argc) {
      double v = std::atof(argv[++i]);
      if (v <= 0) {
        std::fprintf(stderr, "%s takes a positive number\n", s.c_str());
        std::exit(2);
      }
      (s == "--rounds" ? (void)(a.rounds = (int)v) : (void)(a.ms = v));
    } else if (s == "--table-only") {
      a.tableOnly = true;
    } else if (s == "--direct") {
      a.direct = true;
    } else if (!s.empty() && s[0] != '-') {
      a.models.push_back(s);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--rounds N] [--ms MS] [--table-only] [--direct] "
                   "[MODEL.cnn ...]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (a.models.empty() && !a.tableOnly)
    for (const char *m : {"examples/vgg16.cnn", "examples/resnet18.cnn",
                          "examples/mobilenet_v1.cnn", "examples/seed/alexnet.cnn"})
      a.models.push_back(std::string(CNNC_SOURCE_DIR) + "/" + m);
  return a;
}

/// Runs for about `ms` milliseconds of a layer that took `once` ms, at least 3.
int runsFor(double ms, double once) {
  return (int)std::clamp(std::ceil(ms / std::max(once, 1e-3)), 3.0, 2000.0);
}

struct Result {
  double cnnc, direct, autoAlg; // ms
  std::string plan, directImpl, autoImpl;
};

/// Alternates cnnc, oneDNN direct and oneDNN auto, `rounds` times.
Result measure(const ConvSpec &s, const Args &a, dnnl::engine &eng, dnnl::stream &st) {
  CnncConv c = CnncConv::make(s, !a.direct);
  DnnlConv d = DnnlConv::make(s, dnnl::algorithm::convolution_direct, eng, st);
  DnnlConv au = DnnlConv::make(s, dnnl::algorithm::convolution_auto, eng, st);
  const bool sameImpl = au.impl == d.impl; // auto chose the direct kernel: time it once
  const int runs = runsFor(a.ms, std::max(c.time(3), d.time(st, 3)));
  if (!sameImpl)
    au.time(st, 3);
  std::vector<double> tc, td, ta;
  for (int r = 0; r < a.rounds; ++r) {
    tc.push_back(c.time(runs));
    td.push_back(d.time(st, runs));
    if (!sameImpl)
      ta.push_back(au.time(st, runs));
  }
  const double direct = median(td);
  return {median(tc), direct, sameImpl ? direct : median(ta),
          c.plan,     d.impl, sameImpl ? "=" : au.impl};
}

std::string cpuName() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

void printHeader(const Args &a) {
  const dnnl_version_t *v = dnnl::version();
  const cnnc::Model probe =
      cnnc::Model::compileString("model p {\n  input x: f32[1, 1, 1]\n  relu()\n}\n");
  std::printf("%s; cnnc %s, Winograd %s, peak %.1f GFLOP/s per thread\n", cpuName().c_str(),
              probe.targetDescription().c_str(), a.direct ? "off" : "on",
              cnnc::measurePeakGflops(cnnc::Target::Host, 10));
  std::printf("oneDNN %d.%d.%d (%s), %d OpenMP thread; %d rounds of ~%.0f ms each side; medians\n",
              v->major, v->minor, v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other",
              omp_get_max_threads(), a.rounds, a.ms);
  std::printf("columns cnnc, direct, auto: GFLOP/s; ratio: oneDNN's best time / cnnc's\n");
  std::printf("%-34s %-30s %7s %8s %8s %8s %6s  %-30s %s\n", "layer", "shape (HxWxC>F k/s)",
              "MFLOP", "cnnc", "direct", "auto", "ratio", "cnnc plan",
              "oneDNN impl (direct; auto)");
}

void printRow(const Layer &l, const Result &r) {
  const double gf = l.spec.flops() / 1e9, best = std::min(r.direct, r.autoAlg);
  std::string label = l.count > 1 ? l.label + " (x" + std::to_string(l.count) + ")" : l.label;
  std::printf("%-34s %-30s %7.1f %8.1f %8.1f %8.1f %6.2f  %-30s %s; %s\n", label.c_str(),
              l.spec.str().c_str(), gf * 1e3, gf / r.cnnc * 1e3, gf / r.direct * 1e3,
              gf / r.autoAlg * 1e3, best / r.cnnc, r.plan.c_str(), r.directImpl.c_str(),
              r.autoImpl.c_str());
  std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
  Args a = parseArgs(argc, argv);
  omp_set_num_threads(1); // oneDNN's OpenMP runtime: one thread, as cnnc's threads=1
  try {
    std::vector<Layer> layers = tableLayers();
    for (const std::string &path : a.models)
      for (Layer &l : modelLayers(path))
        if (std::none_of(layers.begin(), layers.end(),
                         [&](const Layer &o) { return o.spec == l.spec; }))
          layers.push_back(std::move(l));
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream st(eng);
    printHeader(a);
    std::vector<double> logs;
    for (const Layer &l : layers) {
      Result r = measure(l.spec, a, eng, st);
      printRow(l, r);
      logs.push_back(std::log(std::min(r.direct, r.autoAlg) / r.cnnc));
    }
    double mean = 0;
    for (double x : logs)
      mean += x / logs.size();
    std::printf("geometric mean ratio over %zu layers: %.2f\n", logs.size(), std::exp(mean));
  } catch (const std::exception &e) {
    std::cerr << "bench_layers: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

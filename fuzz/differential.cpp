// fuzz/differential.cpp - differential fuzzing of the whole compiler: the input bytes
// are decoded into a small *valid* graph model (input [H, W, C] with H, W in 1..12 and
// C in 1..20, one in six times H, W in 24..30 and C in 16..20 (Winograd F(4x4)'s reach),
// or a vector; up to 8 layers chosen from conv2d with random kernel, stride,
// padding, dilation, groups and activation, pools, batchnorm, activations, zeropad2d, dropout,
// add/sub/mul/div (by a clipped divisor) of earlier values of one shape or an image and a channel
// vector (either order), concat, flatten, globalavgpool2d, globalmaxpool2d (keepdims too), dense;
// pools with ceil_mode and count_include_pad; upsample2d by a scale or to a size, nearest or
// bilinear; prelu, lrn, channel_shuffle, slice and split; conv2d_transpose with random
// kernel, stride, crops, output_padding, dilation, groups and activation), which is compiled with
// Model::compileString for the host target and 1 to 3 threads, given randomWeights and
// run on a random input. The output must match tests/Reference.h's double-precision
// kernels within the kernel tests' tolerance: max |got - want| <= 1e-4 * max(1, max |want|).
// The bytes left after the layers may name up to two earlier layers as further outputs
// (`output last, lK, ...`), which fusion and memory planning must then keep; each
// output is compared.
//
// A flatten of an image is in PyTorch's (C, H, W) order, in cnnc and in the reference.
// A mismatch, a compile error (the decoder builds only valid models) or a crash is a
// finding. CNNC_FUZZ_PRINT=1 prints each decoded model (replay: fuzz_differential FILE).
#include "Reference.h"
#include "cnnc/cnnc.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>

namespace {

namespace ref = cnnc::ref;
using cnnc::Act;
using cnnc::ActFn;
using cnnc::Shape;
using ref::Array;
using ref::Pads;
using Weights = cnnc::WeightMap;

/// The fuzz input as a stream of choices; past its end every choice is the smallest.
struct Bytes {
  const uint8_t *p;
  size_t n;
  int pick(int lo, int hi) { // inclusive
    int b = n ? (--n, *p++) : 0;
    return lo + b % (hi - lo + 1);
  }
  bool coin() { return pick(0, 1); }
  template <class T> T of(std::initializer_list<T> list) {
    return list.begin()[pick(0, (int)list.size() - 1)];
  }
};

/// A value of the model: its name and shape, and for a layer its inputs (indices of
/// values) and reference function.
struct Value {
  std::string name;
  Shape shape;
  std::vector<int> inputs = {};
  std::function<Array(const std::vector<Array> &, const Weights &)> ref = {};
};

/// A random function for activation= (its parameters at their defaults).
ActFn epilogueAct(Bytes &in) {
  return ActFn::withDefaults(in.of({Act::Linear, Act::Relu, Act::Tanh, Act::Sigmoid, Act::Softmax,
                                    Act::Relu6, Act::LeakyRelu, Act::HardSigmoid, Act::HardSwish,
                                    Act::Silu, Act::Gelu, Act::Elu, Act::Softplus}));
}

/// A random activation's function and attributes ("alpha=0.3", "min=0, max=6" or "").
ActFn randomAct(Bytes &in, std::string &attrs) {
  ActFn a(in.of({Act::Linear, Act::Relu, Act::Tanh, Act::Sigmoid, Act::Softmax, Act::Relu6,
                 Act::Clip, Act::LeakyRelu, Act::HardSigmoid, Act::HardSwish, Act::Silu, Act::Gelu,
                 Act::Elu, Act::Softplus}));
  if (a.kind == Act::LeakyRelu || a.kind == Act::Elu)
    a.lo = in.of({0.01f, 0.3f, 2.0f}), attrs = "alpha=" + cnnc::numberString(a.lo);
  if (a.kind == Act::Gelu && in.coin())
    a.lo = (float)cnnc::GeluForm::Tanh, attrs = "approximate=tanh";
  if (a.kind == Act::Clip) {
    a.lo = in.of({-1.0f, -0.5f, 0.0f, 0.25f}), a.hi = std::max(a.lo, in.of({0.25f, 1.0f, 6.0f}));
    attrs = "min=" + cnnc::numberString(a.lo) + ", max=" + cnnc::numberString(a.hi);
  }
  return a;
}

std::string str(int a, int b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

/// Decodes one layer reading vals[src] (and maybe other values) into its statement and
/// reference; every choice is constrained so that the model stays valid.
Value decodeLayer(Bytes &in, const std::vector<Value> &vals, int src, std::string &dsl) {
  const Value &x = vals[src];
  Value y{"l" + std::to_string(vals.size()), x.shape, {src}};
  const std::string name = y.name;
  const bool image = x.shape.size() == 3;
  const int H = (int)x.shape[0], W = image ? (int)x.shape[1] : 1, C = (int)x.shape.back();
  // The previous statement's result may be left implicit (the sequential form).
  std::string args = src + 1 == (int)vals.size() && in.coin() ? "" : x.name;
  auto call = [&](const std::string &op, const std::string &attrs) {
    dsl =
        name + " = " + op + "(" + args + (args.empty() || attrs.empty() ? "" : ", ") + attrs + ")";
  };
  int op = in.pick(0, 13);
  if (!image && (op <= 1 || op == 4 || op == 8 || op == 10 || op == 13))
    op = 9; // image-only ops become dense on a vector
  if ((image && op == 9) || ((op == 4 || op == 10) && (H > 20 || W > 20)) ||
      (op == 13 && (H > 12 || W > 12)))
    op = 8;
  if ((op == 8 && H * W * C > 4096) || (op == 6 && C > (image ? 32 : 2048)))
    op = 3; // keeps tensors small
  auto padding = [&](int mode, Pads &p, int maxH, int maxW) {
    if (mode != 2)
      return std::string(mode ? "same" : "valid");
    p = {in.pick(0, maxH), in.pick(0, maxH), in.pick(0, maxW), in.pick(0, maxW)};
    return "(" + std::to_string(p.top) + ", " + std::to_string(p.bottom) + ", " +
           std::to_string(p.left) + ", " + std::to_string(p.right) + ")";
  };
  switch (op) {
  case 0: { // conv2d: groups 1, depthwise (x1 or x2) or a divisor of C
    int mode = in.pick(0, 3), groups = 1, filters = in.pick(1, 24);
    if (mode == 2)
      groups = C, filters = C * in.pick(1, 2);
    if (mode == 3) {
      for (groups = in.pick(1, C); C % groups;)
        --groups;
      filters = groups * in.pick(1, std::max(1, 24 / groups));
    }
    int kh = in.pick(1, 5), kw = in.pick(1, 5), sh = in.pick(1, 3), sw = in.pick(1, 3);
    int dh = in.coin() ? 1 : in.pick(1, 4), dw = in.coin() ? dh : in.pick(1, 4);
    int padMode = in.pick(0, 2);
    Pads p;
    std::string pad = padding(padMode, p, 2, 2);
    kh = std::min(kh, H + p.top + p.bottom), kw = std::min(kw, W + p.left + p.right);
    // The dilated kernel's span fits too: at most the padded input.
    dh = std::max(1, std::min(dh, (H + p.top + p.bottom - 1) / std::max(kh - 1, 1)));
    dw = std::max(1, std::min(dw, (W + p.left + p.right - 1) / std::max(kw - 1, 1)));
    bool bias = in.coin();
    ActFn act = epilogueAct(in);
    call("conv2d", "filters=" + std::to_string(filters) + ", kernel=" + str(kh, kw) +
                       ", stride=" + str(sh, sw) + ", padding=" + pad +
                       ", dilation=" + str(dh, dw) + ", groups=" + std::to_string(groups) +
                       ", use_bias=" + (bias ? "true" : "false") +
                       ", activation=" + cnnc::actName(act.kind));
    const int spanH = ref::dilatedSpan(kh, dh), spanW = ref::dilatedSpan(kw, dw);
    if (padMode == 1)
      p = ref::samePads(H, W, spanH, spanW, sh, sw);
    y.shape = {ref::windowOut(H, spanH, sh, p.top, p.bottom),
               ref::windowOut(W, spanW, sw, p.left, p.right), filters};
    y.ref = [=](const std::vector<Array> &a, const Weights &w) {
      const cnnc::Tensor *b = bias ? &w.at(name + ".bias") : nullptr;
      return ref::activate(ref::conv2d(a[0], w.at(name + ".weight"), b, sh, sw, p, groups, dh, dw),
                           act);
    };
    break;
  }
  case 1: { // max, min or average pooling; explicit padding at most half the window;
            // ceil_mode (not with same), count_include_pad=false (avg, not same)
    auto kind = in.of({ref::PoolKind::Max, ref::PoolKind::Min, ref::PoolKind::Avg});
    int kh = std::min(in.pick(1, 4), H), kw = std::min(in.pick(1, 4), W);
    bool strided = in.coin();
    int sh = strided ? in.pick(1, 3) : kh, sw = strided ? in.pick(1, 3) : kw;
    int padMode = in.pick(0, 2);
    Pads p;
    std::string pad = padding(padMode, p, kh / 2, kw / 2);
    const bool ceil = padMode != 1 && in.coin();
    const bool cip = kind != ref::PoolKind::Avg || padMode == 1 || in.coin();
    call(kind == ref::PoolKind::Max   ? "maxpool2d"
         : kind == ref::PoolKind::Min ? "minpool2d"
                                      : "avgpool2d",
         "size=" + str(kh, kw) + (strided ? ", stride=" + str(sh, sw) : "") + ", padding=" + pad +
             (ceil ? ", ceil_mode=true" : "") + (cip ? "" : ", count_include_pad=false"));
    if (padMode == 1)
      p = ref::samePads(H, W, kh, kw, sh, sw);
    y.shape = {ref::windowOut(H, kh, sh, p.top, p.bottom, ceil),
               ref::windowOut(W, kw, sw, p.left, p.right, ceil), C};
    y.ref = [=](const std::vector<Array> &a, const Weights &) {
      return ref::pool2d(a[0], kind, kh, kw, sh, sw, p, padMode != 1 && cip, ceil);
    };
    break;
  }
  case 2: { // batchnorm (on a flattened image its statistics index PyTorch's CHW order)
    double eps = in.of({1e-5, 1e-3, 0.1, 0.5});
    call("batchnorm", "epsilon=" + cnnc::numberString(eps));
    y.ref = [=](const std::vector<Array> &a, const Weights &w) {
      return ref::batchnorm(a[0], w.at(name + ".weight"), w.at(name + ".bias"),
                            w.at(name + ".running_mean"), w.at(name + ".running_var"), eps);
    };
    break;
  }
  case 3: { // an activation layer
    std::string attrs;
    ActFn f = randomAct(in, attrs);
    call(f == Act::Silu && in.coin() ? "swish" : cnnc::actName(f.kind), attrs);
    y.ref = [=](const std::vector<Array> &a, const Weights &) { return ref::activate(a[0], f); };
    break;
  }
  case 4: { // zeropad2d
    Pads p;
    call("zeropad2d", "padding=" + padding(2, p, 2, 2));
    y.shape = {H + p.top + p.bottom, W + p.left + p.right, C};
    y.ref = [=](const std::vector<Array> &a, const Weights &) { return ref::zeroPad(a[0], p); };
    break;
  }
  case 5: { // add, sub, mul or div of x and a value of its shape (maybe x itself) or, x an
            // image, a vector of its channels, [C] or [1, 1, C], in either order (a
            // squeeze-and-excitation mul fuses into a conv that reads it)
    std::vector<int> fit;
    for (int i = 0; i < (int)vals.size(); ++i)
      if (vals[i].shape == x.shape ||
          (image && (vals[i].shape == Shape{C} || vals[i].shape == Shape{1, 1, C})))
        fit.push_back(i);
    const int other = fit.empty() ? src : fit[in.pick(0, (int)fit.size() - 1)];
    const int kind = in.pick(0, 3);
    const bool swap = in.coin();
    y.inputs = swap ? std::vector<int>{other, src} : std::vector<int>{src, other};
    std::string divisor = vals[y.inputs[1]].name;
    if (kind == 3) { // a divisor near zero is ill-conditioned: clip it into [0.5, 2] first
      divisor = name + "_d";
      dsl = divisor + " = clip(" + vals[y.inputs[1]].name + ", min=0.5, max=2)\n";
    }
    args = vals[y.inputs[0]].name + ", " + divisor;
    const std::string clipped = kind == 3 ? dsl : "";
    call(kind == 0 ? "add" : kind == 1 ? "sub" : kind == 2 ? "mul" : "div", "");
    dsl = clipped + dsl;
    y.ref = [kind](const std::vector<Array> &a, const Weights &) {
      return kind == 0   ? ref::add(a[0], a[1])
             : kind == 1 ? ref::sub(a[0], a[1])
             : kind == 2 ? ref::mul(a[0], a[1])
                         : ref::div(a[0], ref::activate(a[1], {Act::Clip, 0.5f, 2.0f}));
    };
    break;
  }
  case 6: { // concat x and 1..2 values of the same height and width (C <= 64, N <= 4096)
    args = x.name;
    for (int k = in.pick(1, 2); k > 0; --k) {
      std::vector<int> fit;
      for (int i = 0; i < (int)vals.size(); ++i)
        if (vals[i].shape.size() == x.shape.size() &&
            std::equal(x.shape.begin(), x.shape.end() - 1, vals[i].shape.begin()) &&
            y.shape.back() + vals[i].shape.back() <= (image ? 64 : 4096))
          fit.push_back(i);
      int other = fit.empty() ? src : fit[in.pick(0, (int)fit.size() - 1)];
      y.inputs.push_back(other);
      args += ", " + vals[other].name;
      y.shape.back() += vals[other].shape.back();
    }
    call("concat", "");
    y.ref = [](const std::vector<Array> &a, const Weights &) { return ref::concat(a); };
    break;
  }
  case 7: // dropout: the identity
    call("dropout", in.coin() ? "rate=0.5" : "rate=0");
    y.ref = [](const std::vector<Array> &a, const Weights &) { return a[0]; };
    break;
  case 8: // flatten an image (PyTorch's CHW order), or globalavgpool2d/globalmaxpool2d it,
          // to [C] or (keepdims) [1, 1, C]
    if (int k = in.pick(0, 3); k % 2) {
      call("flatten", "");
      y.shape = {H * W * C};
      y.ref = [](const std::vector<Array> &a, const Weights &) { return ref::flattenCHW(a[0]); };
    } else {
      const bool keep = in.coin();
      call(k == 2 ? "globalmaxpool2d" : "globalavgpool2d", keep ? "keepdims=true" : "");
      y.shape = keep ? Shape{1, 1, C} : Shape{C};
      y.ref = [k, shape = y.shape](const std::vector<Array> &a, const Weights &) {
        Array g = k == 2 ? ref::globalMaxPool(a[0]) : ref::globalAvgPool(a[0]);
        g.shape = shape;
        return g;
      };
    }
    break;
  case 9: { // dense
    int units = in.pick(1, 32);
    bool bias = in.coin();
    ActFn act = epilogueAct(in);
    call("dense", "units=" + std::to_string(units) + ", use_bias=" + (bias ? "true" : "false") +
                      ", activation=" + cnnc::actName(act.kind));
    y.shape = {units};
    y.ref = [=](const std::vector<Array> &a, const Weights &w) {
      const cnnc::Tensor *b = bias ? &w.at(name + ".bias") : nullptr;
      return ref::activate(ref::dense(a[0], w.at(name + ".weight"), b), act);
    };
    break;
  }
  case 10: { // upsample2d: scale= or size= (down or up), nearest or bilinear
    const bool bilinear = in.coin(), corners = bilinear && in.coin(), bySize = in.coin();
    const int sh = in.pick(1, 3), sw = in.pick(1, 3);
    const int64_t oh = bySize ? in.pick(1, 24) : (int64_t)H * sh;
    const int64_t ow = bySize ? in.pick(1, 24) : (int64_t)W * sw;
    std::string attrs = bySize ? "size=" + str((int)oh, (int)ow) : "scale=" + str(sh, sw);
    attrs += std::string(", mode=") + (bilinear ? "bilinear" : "nearest");
    if (bilinear)
      attrs += std::string(", align_corners=") + (corners ? "true" : "false");
    call("upsample2d", attrs);
    y.shape = {oh, ow, C};
    y.ref = [=](const std::vector<Array> &a, const Weights &) {
      return ref::upsample2d(a[0], oh, ow, bilinear, corners, bySize ? 0 : sh, bySize ? 0 : sw);
    };
    break;
  }
  case 11: // prelu (per channel or shared) or lrn
    if (in.coin()) {
      const bool shared = in.coin();
      call("prelu", shared ? "shared=true" : "");
      y.ref = [=](const std::vector<Array> &a, const Weights &w) {
        return ref::prelu(a[0], w.at(name + ".weight"));
      };
    } else {
      const int size = in.pick(1, 7);
      const double alpha = in.of({1e-4, 0.5, 2.0}), beta = in.of({0.75, 0.5, 1.3});
      const double bias = in.of({1.0, 2.0});
      call("lrn", "size=" + std::to_string(size) + ", alpha=" + cnnc::numberString(alpha) +
                      ", beta=" + cnnc::numberString(beta) + ", bias=" + cnnc::numberString(bias));
      y.ref = [=](const std::vector<Array> &a, const Weights &) {
        return ref::lrn(a[0], size, alpha, beta, bias);
      };
    }
    break;
  case 12: { // channel_shuffle, slice (maybe negative indices) or a result of split
    int k = in.pick(1, C);
    while (C % k)
      --k; // a divisor of C
    const int kind = in.pick(0, 3);
    if (kind == 0) {
      call("channel_shuffle", "groups=" + std::to_string(k));
      y.ref = [=](const std::vector<Array> &a, const Weights &) {
        return ref::channelShuffle(a[0], k);
      };
      break;
    }
    int first = in.pick(0, C - 1), last = in.pick(first + 1, C);
    if (kind == 1) {
      const int start = in.coin() ? first - C : first,
                end = in.coin() && last < C ? last - C : last;
      call("slice", "start=" + std::to_string(start) + ", end=" + std::to_string(end));
    } else { // split: the value is its last result (what a statement after it reads),
             // channels [first, C); the others are dead
      std::string names, attrs;
      last = C;
      if (kind == 2) { // parts=k
        first = C - C / k;
        for (int part = 0; part + 1 < k; ++part)
          names += name + "_" + std::to_string(part) + ", ";
        attrs = "parts=" + std::to_string(k);
      } else { // sizes=(..., C - first): channels [0, first) in one or two parts
        const int cut = first > 1 && in.coin() ? in.pick(1, first - 1) : 0;
        if (cut)
          names += name + "_0, ", attrs += std::to_string(cut) + ", ";
        if (first)
          names += name + "_1, ", attrs += std::to_string(first - cut) + ", ";
        attrs = "sizes=(" + attrs + std::to_string(C - first) + ")";
      }
      dsl = names + name + " = split(" + args + (args.empty() ? "" : ", ") + attrs + ")";
    }
    y.shape.back() = last - first;
    y.ref = [=](const std::vector<Array> &a, const Weights &) {
      return ref::sliceChannels(a[0], first, last);
    };
    break;
  }
  case 13: { // conv2d_transpose: valid, same or (maybe asymmetric) numeric crops; output_padding
    int groups = 1, filters = in.pick(1, 24);
    if (in.coin()) {
      for (groups = in.pick(1, C); C % groups;)
        --groups;
      filters = groups * in.pick(1, std::max(1, 24 / groups));
    }
    const int kh = in.pick(1, 4), kw = in.pick(1, 4), sh = in.pick(1, 3), sw = in.pick(1, 3);
    const int dh = in.coin() ? 1 : 2, dw = in.coin() ? dh : in.pick(1, 2);
    const int padMode = in.pick(0, 2);
    ref::TransposeAxis ty, tx;
    if (padMode != 1) {
      ty.extra = in.pick(0, std::max(sh, dh) - 1), tx.extra = in.pick(0, std::max(sw, dw) - 1);
    }
    // Numeric crops leave at least one output row and column.
    const int fullH = (H - 1) * sh + ref::dilatedSpan(kh, dh) + ty.extra;
    const int fullW = (W - 1) * sw + ref::dilatedSpan(kw, dw) + tx.extra;
    Pads p;
    std::string pad =
        padding(padMode, p, std::min(3, (fullH - 1) / 2), std::min(3, (fullW - 1) / 2));
    if (padMode == 1)
      ty = ref::transposeSame(kh, sh, dh), tx = ref::transposeSame(kw, sw, dw);
    else
      ty.before = p.top, ty.after = p.bottom, tx.before = p.left, tx.after = p.right;
    const bool bias = in.coin();
    const ActFn act = epilogueAct(in);
    call("conv2d_transpose",
         "filters=" + std::to_string(filters) + ", kernel=" + str(kh, kw) +
             ", stride=" + str(sh, sw) + ", padding=" + pad +
             (padMode != 1 ? ", output_padding=" + str(ty.extra, tx.extra) : "") +
             ", dilation=" + str(dh, dw) + ", groups=" + std::to_string(groups) +
             ", use_bias=" + (bias ? "true" : "false") + ", activation=" + cnnc::actName(act.kind));
    y.shape = padMode == 1 ? Shape{(int64_t)H * sh, (int64_t)W * sw, filters}
                           : Shape{fullH - p.top - p.bottom, fullW - p.left - p.right, filters};
    y.ref = [=](const std::vector<Array> &a, const Weights &w) {
      const cnnc::Tensor *b = bias ? &w.at(name + ".bias") : nullptr;
      return ref::activate(
          ref::convTranspose2d(a[0], w.at(name + ".weight"), b, sh, sw, ty, tx, groups, dh, dw),
          act);
    };
    break;
  }
  }
  return y;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bytes in{data, size};
  const uint64_t seed = (uint64_t)in.pick(0, 255) << 8 | (uint64_t)in.pick(0, 255);
  std::vector<Value> vals;
  if (in.pick(0, 7) == 0)
    vals.push_back({"x", {in.pick(1, 64)}});
  else if (in.pick(0, 5))
    vals.push_back({"x", {in.pick(1, 12), in.pick(1, 12), in.pick(1, 20)}});
  else // large enough for Winograd F(4x4, 3x3)'s 32 4x4 tiles
    vals.push_back({"x", {in.pick(24, 30), in.pick(24, 30), in.pick(16, 20)}});
  std::vector<std::string> stmts;
  for (int n = in.pick(1, 8); n > 0 && (stmts.empty() || in.n > 0); --n) {
    // Mostly the previous value (a chain), sometimes an earlier one (a branch).
    int last = (int)vals.size() - 1, src = in.pick(0, 3) ? last : in.pick(0, last);
    vals.push_back(decodeLayer(in, vals, src, stmts.emplace_back()));
  }
  // Further outputs: earlier layers, each once, after the last one.
  std::vector<int> outs = {(int)vals.size() - 1};
  for (int extra = in.pick(0, 2); extra > 0 && vals.size() > 2; --extra) {
    int k = in.pick(1, (int)vals.size() - 2);
    if (std::find(outs.begin(), outs.end(), k) == outs.end())
      outs.push_back(k);
  }
  if (outs.size() > 1) {
    std::string list;
    for (int k : outs)
      list += (list.empty() ? "" : ", ") + vals[k].name;
    stmts.push_back("output " + list);
  }
  const std::string source = ref::modelSource(vals[0].shape, stmts);
  if (std::getenv("CNNC_FUZZ_PRINT")) // shows the decoded model of each input
    std::fputs(source.c_str(), stderr);

  std::mt19937 g((uint32_t)seed);
  std::uniform_real_distribution<double> u(-1, 1);
  cnnc::Tensor input(vals[0].shape);
  for (int64_t i = 0; i < input.size(); ++i)
    input[i] = (float)u(g);
  std::vector<cnnc::Tensor> got;
  Weights w;
  try {
    cnnc::Options opts; // the host target; 1 to 3 threads split every kernel's work
    opts.cacheDir = ""; // every model is new: no cache entries to write
    opts.threads = 1 + (int)(seed % 3);
    cnnc::Model m = cnnc::Model::compileString(source, "fuzz.cnn", opts);
    w = m.randomWeights(seed);
    got = m.runAll({input});
  } catch (const cnnc::Error &e) {
    std::fprintf(stderr, "valid model rejected:\n%s\n%s\n", source.c_str(), e.what());
    __builtin_trap();
  }

  std::vector<Array> arrays = {ref::fromTensor(input)};
  for (size_t k = 1; k < vals.size(); ++k) {
    std::vector<Array> ins;
    for (int i : vals[k].inputs)
      ins.push_back(arrays[i]);
    arrays.push_back(vals[k].ref(ins, w));
  }
  if (got.size() != outs.size())
    __builtin_trap();
  for (size_t o = 0; o < outs.size(); ++o) {
    const Array &want = arrays[outs[o]];
    const double tol = 1e-4 * std::max(1.0, ref::maxAbs(want));
    const double err = got[o].shape() == want.shape ? ref::maxAbsError(got[o], want) : INFINITY;
    if (!(err <= tol)) {
      int64_t i = got[o].shape() == want.shape ? ref::worstIndex(got[o], want) : 0;
      std::fprintf(stderr,
                   "mismatch: output %zu (%s) %s, reference %s, error %g > %g (worst [%lld])\n%s",
                   o, vals[outs[o]].name.c_str(), cnnc::shapeToString(got[o].shape()).c_str(),
                   cnnc::shapeToString(want.shape).c_str(), err, tol, (long long)i, source.c_str());
      __builtin_trap();
    }
  }
  return 0;
}

// tests/Reference.h - naive, obviously-correct reference kernels for testing
// the generated code. Everything is computed in double precision on plain
// row-major arrays with the same layouts cnnc uses at its API:
//   images are HWC (channels last), conv weights OIHW [F, C, kh, kw],
//   dense weights [units, in], and flatten of an image is in PyTorch's CHW
//   order (c*H*W + h*W + w), which is what dense weights after it index.
// Nothing here is clever: every output element is one explicit loop nest.
#pragma once

#include "cnnc/Tensor.h"
#include "ir/IR.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace cnnc::ref {

/// A double tensor: a shape ([H, W, C] or [N]) and its row-major values.
struct Array {
  Shape shape;
  std::vector<double> v;

  Array() = default;
  explicit Array(Shape s) : shape(std::move(s)), v((size_t)numel(shape), 0.0) {}

  static int64_t numel(const Shape &s) {
    int64_t n = 1;
    for (int64_t d : s)
      n *= d;
    return n;
  }
  int64_t size() const { return (int64_t)v.size(); }
  // HWC element access (rank 3).
  double &at(int64_t h, int64_t w, int64_t c) {
    return v[(size_t)((h * shape[1] + w) * shape[2] + c)];
  }
  double at(int64_t h, int64_t w, int64_t c) const {
    return v[(size_t)((h * shape[1] + w) * shape[2] + c)];
  }
};

inline Array fromTensor(const Tensor &t) {
  Array a(t.shape());
  for (int64_t i = 0; i < t.size(); ++i)
    a.v[(size_t)i] = t[i];
  return a;
}

/// Explicit padding of a window op, in input pixels.
struct Pads {
  int top = 0, bottom = 0, left = 0, right = 0;
};

/// Keras/TensorFlow 'same': out = ceil(n / s); total = max((out - 1) * s + k - n, 0);
/// `before` = total / 2, `after` gets the odd extra.
inline void samePad(int64_t n, int k, int s, int &before, int &after) {
  int64_t out = (n + s - 1) / s;
  int64_t total = std::max<int64_t>((out - 1) * s + k - n, 0);
  before = (int)(total / 2);
  after = (int)(total - total / 2);
}

inline Pads samePads(int64_t H, int64_t W, int kh, int kw, int sh, int sw) {
  Pads p;
  samePad(H, kh, sh, p.top, p.bottom);
  samePad(W, kw, sw, p.left, p.right);
  return p;
}

/// floor((n + padBefore + padAfter - k) / s) + 1, or 0 if the window does not fit.
inline int64_t windowOut(int64_t n, int k, int s, int padBefore, int padAfter, bool ceil = false) {
  int64_t span = n + padBefore + padAfter - k;
  if (span < 0)
    return 0;
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  // PyTorch's ceil_mode: the last window starts in the input or the top/left padding.
  return ceil && (out - 1) * s >= n + padBefore ? out - 1 : out;
}

/// The extent of a kernel of k taps `dilation` pixels apart: dilation * (k - 1) + 1.
inline int dilatedSpan(int k, int dilation) { return dilation * (k - 1) + 1; }

/// out[oh][ow][f] = bias[f] + sum_{c,i,j} x[oh*sh + i*dh - top][ow*sw + j*dw - left][g*Cg + c] *
/// w[f][c][i][j], where g = f / (F / groups) is the filter's group, Cg = C / groups its input
/// channels, and pixels outside the input are zero. `w` is OIHW [F, C / groups, kh, kw];
/// `bias` may be null. groups == 1 is an ordinary conv, groups == C == F a depthwise one;
/// dh, dw is the dilation (PyTorch's): the output size counts the kernel as its span.
inline Array conv2d(const Array &x, const Tensor &w, const Tensor *bias, int sh, int sw, Pads p,
                    int groups = 1, int dh = 1, int dw = 1) {
  const int64_t H = x.shape[0], W = x.shape[1];
  const int64_t F = w.shape()[0], Cg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3];
  const int64_t Fg = F / groups;
  const int64_t OH = windowOut(H, dilatedSpan((int)KH, dh), sh, p.top, p.bottom),
                OW = windowOut(W, dilatedSpan((int)KW, dw), sw, p.left, p.right);
  Array y({OH, OW, F});
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow)
      for (int64_t f = 0; f < F; ++f) {
        const int64_t c0 = f / Fg * Cg; // the group's first input channel
        double s = bias ? (double)(*bias)[f] : 0.0;
        for (int64_t i = 0; i < KH; ++i)
          for (int64_t j = 0; j < KW; ++j) {
            int64_t ih = oh * sh + i * dh - p.top, iw = ow * sw + j * dw - p.left;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W)
              continue;
            for (int64_t c = 0; c < Cg; ++c)
              s += x.at(ih, iw, c0 + c) * (double)w[((f * Cg + c) * KH + i) * KW + j];
          }
        y.at(oh, ow, f) = s;
      }
  return y;
}

/// Layer `name` of a model's weights as a conv2d(kernel=k, stride, dilation,
/// padding=same when k > 1, else valid): the DSL's `same` (TensorFlow's rule).
inline Array convLayer(const Array &x, const WeightMap &w, const std::string &name, int k,
                       int stride, int dilation = 1) {
  const int reach = dilation * (k - 1) + 1;
  const Pads p = k == 1 ? Pads{} : samePads(x.shape[0], x.shape[1], reach, reach, stride, stride);
  return conv2d(x, w.at(name + ".weight"), &w.at(name + ".bias"), stride, stride, p, 1, dilation,
                dilation);
}

enum class PoolKind { Max, Min, Avg };

/// Max, min or average pooling. Window cells outside the input are ignored by
/// max and min; the average divides by the real pixel count (Keras, `same` and
/// valid) or, with `avgDividesByWindow`, by the window's cells within the padded
/// input (PyTorch's count_include_pad=True: kh * kw but for a ceil_mode window
/// past the padded input). `ceil`: PyTorch's ceil_mode output size.
inline Array pool2d(const Array &x, PoolKind kind, int kh, int kw, int sh, int sw, Pads p,
                    bool avgDividesByWindow = false, bool ceil = false) {
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  const int64_t OH = windowOut(H, kh, sh, p.top, p.bottom, ceil),
                OW = windowOut(W, kw, sw, p.left, p.right, ceil);
  auto within = [](int64_t start, int k, int64_t paddedEnd) {
    return std::min<int64_t>(start + k, paddedEnd) - start;
  };
  const double inf = std::numeric_limits<double>::infinity();
  Array y({OH, OW, C});
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow)
      for (int64_t c = 0; c < C; ++c) {
        double acc = kind == PoolKind::Max ? -inf : kind == PoolKind::Min ? inf : 0.0;
        int64_t count = 0;
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j) {
            int64_t ih = oh * sh + i - p.top, iw = ow * sw + j - p.left;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W)
              continue;
            double v = x.at(ih, iw, c);
            acc = kind == PoolKind::Max   ? std::max(acc, v)
                  : kind == PoolKind::Min ? std::min(acc, v)
                                          : acc + v;
            ++count;
          }
        if (kind == PoolKind::Avg)
          acc /= avgDividesByWindow ? double(within(oh * sh - p.top, kh, H + p.bottom) *
                                             within(ow * sw - p.left, kw, W + p.right))
                                    : (double)count;
        y.at(oh, ow, c) = acc;
      }
  return y;
}

/// Max or average pooling with Keras semantics (padding ignored / not counted).
inline Array pool2d(const Array &x, bool isMax, int kh, int kw, int sh, int sw, Pads p) {
  return pool2d(x, isMax ? PoolKind::Max : PoolKind::Avg, kh, kw, sh, sw, p);
}

/// y[o] = bias[o] + sum_i x[i] * w[o][i]; `w` is [units, in], `bias` may be null.
inline Array dense(const Array &x, const Tensor &w, const Tensor *bias) {
  const int64_t U = w.shape()[0], N = w.shape()[1];
  Array y({U});
  for (int64_t o = 0; o < U; ++o) {
    double s = bias ? (double)(*bias)[o] : 0.0;
    for (int64_t i = 0; i < N; ++i)
      s += x.v[(size_t)i] * (double)w[o * N + i];
    y.v[(size_t)o] = s;
  }
  return y;
}

/// Flattens an HWC image in CHW order (PyTorch's view(-1) of an NCHW tensor);
/// a vector is returned unchanged.
inline Array flattenCHW(const Array &x) {
  if (x.shape.size() != 3)
    return x;
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  Array y({H * W * C});
  for (int64_t c = 0; c < C; ++c)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w)
        y.v[(size_t)(c * H * W + h * W + w)] = x.at(h, w, c);
  return y;
}

// --- graph ops ---------------------------------------------------------------

/// Inference batchnorm over the last axis (channels of an image, every element
/// of a vector): y = (x - mean) / sqrt(var + eps) * gamma + beta.
inline Array batchnorm(const Array &x, const Tensor &gamma, const Tensor &beta, const Tensor &mean,
                       const Tensor &var, double eps) {
  const int64_t C = x.shape.back();
  Array y = x;
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t c = i % C;
    y.v[(size_t)i] =
        (x.v[(size_t)i] - mean[c]) / std::sqrt((double)var[c] + eps) * gamma[c] + (double)beta[c];
  }
  return y;
}

/// f(a, b) element-wise: one shape, or an image and a vector of its channels
/// (either order; the vector is read again for every pixel).
template <class F> Array binary(const Array &a, const Array &b, F f) {
  Array y = a.size() >= b.size() ? a : b;
  for (size_t i = 0; i < y.v.size(); ++i)
    y.v[i] = f(a.v[i % a.v.size()], b.v[i % b.v.size()]);
  return y;
}
inline Array add(const Array &a, const Array &b) {
  return binary(a, b, [](double x, double y) { return x + y; });
}
inline Array sub(const Array &a, const Array &b) {
  return binary(a, b, [](double x, double y) { return x - y; });
}
inline Array mul(const Array &a, const Array &b) {
  return binary(a, b, [](double x, double y) { return x * y; });
}
inline Array div(const Array &a, const Array &b) {
  return binary(a, b, [](double x, double y) { return x / y; });
}

/// Joins the inputs on the last (channel) axis, in order.
inline Array concat(const std::vector<Array> &xs) {
  Shape s = xs[0].shape;
  s.back() = 0;
  for (const Array &x : xs)
    s.back() += x.shape.back();
  Array y(s);
  const int64_t C = s.back(), P = y.size() / C;
  int64_t c0 = 0;
  for (const Array &x : xs) {
    const int64_t Ci = x.shape.back();
    for (int64_t p = 0; p < P; ++p)
      for (int64_t c = 0; c < Ci; ++c)
        y.v[(size_t)(p * C + c0 + c)] = x.v[(size_t)(p * Ci + c)];
    c0 += Ci;
  }
  return y;
}

/// [H, W, C] -> [C]: the mean of each channel over all pixels.
inline Array globalAvgPool(const Array &x) {
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  Array y({C});
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w)
        s += x.at(h, w, c);
    y.v[(size_t)c] = s / double(H * W);
  }
  return y;
}

/// The maximum of each channel over all pixels; NaN if any is (PyTorch's max).
inline Array globalMaxPool(const Array &x) {
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  Array y({C});
  for (int64_t c = 0; c < C; ++c) {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w)
        m = std::isnan(m) || std::isnan(x.at(h, w, c)) ? NAN : std::max(m, x.at(h, w, c));
    y.v[(size_t)c] = m;
  }
  return y;
}

/// A zero border: [H, W, C] -> [top + H + bottom, left + W + right, C].
inline Array zeroPad(const Array &x, Pads p) {
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  Array y({H + p.top + p.bottom, W + p.left + p.right, C});
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w)
      for (int64_t c = 0; c < C; ++c)
        y.at(h + p.top, w + p.left, c) = x.at(h, w, c);
  return y;
}

/// PyTorch's F.interpolate of an HWC image to [OH, OW, C]. `scaleH`, `scaleW`
/// > 0: the integer scale_factor given (PyTorch's ratio is then 1 / scale),
/// else size= (ratio in / out). Nearest is PyTorch's legacy rule
/// src = min(floor(dst * ratio), in - 1), with the ratio and product in float
/// as PyTorch computes them for every dtype (which source pixel is a discrete
/// choice). Bilinear in double: half-pixel centres src = max((dst + 0.5) *
/// ratio - 0.5, 0), or with align_corners src = dst * (in - 1) / (out - 1);
/// it blends pixels floor(src) and the next (clamped to the edge).
inline Array upsample2d(const Array &x, int64_t OH, int64_t OW, bool bilinear, bool alignCorners,
                        int scaleH = 0, int scaleW = 0) {
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  struct Tap {
    int64_t i0, i1;
    double lambda;
  };
  auto tap = [&](int64_t d, int64_t in, int64_t out, int scale) -> Tap {
    if (!bilinear) {
      const float r = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;
      int64_t i = std::min((int64_t)std::floor((float)d * r), in - 1);
      return {i, i, 0.0};
    }
    double src;
    if (alignCorners)
      src = out > 1 ? (double)d * (double)(in - 1) / (double)(out - 1) : 0.0;
    else
      src = std::max(((double)d + 0.5) * (scale > 0 ? 1.0 / scale : (double)in / out) - 0.5, 0.0);
    int64_t i0 = std::min((int64_t)std::floor(src), in - 1);
    return {i0, std::min(i0 + 1, in - 1), std::min(src - (double)i0, 1.0)};
  };
  Array y({OH, OW, C});
  for (int64_t oy = 0; oy < OH; ++oy) {
    const Tap ty = tap(oy, H, OH, scaleH);
    for (int64_t ox = 0; ox < OW; ++ox) {
      const Tap tx = tap(ox, W, OW, scaleW);
      for (int64_t c = 0; c < C; ++c) {
        double top = (1 - tx.lambda) * x.at(ty.i0, tx.i0, c) + tx.lambda * x.at(ty.i0, tx.i1, c);
        double bot = (1 - tx.lambda) * x.at(ty.i1, tx.i0, c) + tx.lambda * x.at(ty.i1, tx.i1, c);
        y.at(oy, ox, c) = (1 - ty.lambda) * top + ty.lambda * bot;
      }
    }
  }
  return y;
}

/// A transposed conv's geometry on one axis: the crop before and after the
/// full output and the output padding.
struct TransposeAxis {
  int before = 0, after = 0, extra = 0;
};
/// Keras's 'same' for conv2d_transpose (out = in * s): the full output
/// (in - 1) * s + span is cropped by max(span - s, 0), the odd pixel at the
/// end (TensorFlow's rule), or extended by s - span when the kernel is shorter
/// than the stride.
inline TransposeAxis transposeSame(int k, int s, int d) {
  const int span = dilatedSpan(k, d), crop = std::max(span - s, 0);
  return {crop / 2, crop - crop / 2, std::max(s - span, 0)};
}

/// PyTorch's ConvTranspose2d, as written: every input pixel adds its kernel's
/// taps, y[iy*sh + ky*dh - top][ix*sw + kx*dw - left][g*Fg + f] += x[iy][ix][g*Cg + c] *
/// w[g*Cg + c][f][ky][kx], outputs cropped by `ty.before`/`after` and extended by
/// `extra` (output_padding); then the bias. `w` is [C, F / groups, kh, kw].
inline Array convTranspose2d(const Array &x, const Tensor &w, const Tensor *bias, int sh, int sw,
                             TransposeAxis ty, TransposeAxis tx, int groups = 1, int dh = 1,
                             int dw = 1) {
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  const int64_t Fg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3], Cg = C / groups;
  const int64_t F = Fg * groups;
  const int64_t OH = (H - 1) * sh + dilatedSpan((int)KH, dh) - ty.before - ty.after + ty.extra;
  const int64_t OW = (W - 1) * sw + dilatedSpan((int)KW, dw) - tx.before - tx.after + tx.extra;
  Array y({OH, OW, F});
  for (int64_t iy = 0; iy < H; ++iy)
    for (int64_t ix = 0; ix < W; ++ix)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t f = 0; f < Fg; ++f)
          for (int64_t i = 0; i < KH; ++i)
            for (int64_t j = 0; j < KW; ++j) {
              int64_t oy = iy * sh + i * dh - ty.before, ox = ix * sw + j * dw - tx.before;
              if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
                continue;
              y.at(oy, ox, c / Cg * Fg + f) +=
                  x.at(iy, ix, c) * (double)w[((c * Fg + f) * KH + i) * KW + j];
            }
  if (bias)
    for (int64_t p = 0; p < OH * OW; ++p)
      for (int64_t f = 0; f < F; ++f)
        y.v[(size_t)(p * F + f)] += (*bias)[f];
  return y;
}

/// PReLU over the last (channel) axis: x > 0 ? x : w[c] x, with `w` of [C],
/// or of [1] for every channel (nn.PReLU()'s shared slope).
inline Array prelu(const Array &x, const Tensor &w) {
  const int64_t C = x.shape.back();
  Array y = x;
  for (int64_t i = 0; i < y.size(); ++i) {
    double &v = y.v[(size_t)i];
    v = v > 0 ? v : v * (double)w[w.size() == 1 ? 0 : i % C];
  }
  return y;
}

/// PyTorch's LocalResponseNorm over the last (channel) axis:
/// b_c = a_c / (bias + alpha / size * sum_{c'} a_c'^2)^beta, c' from
/// c - size/2 to c + (size - 1)/2 within [0, C).
inline Array lrn(const Array &x, int size, double alpha, double beta, double bias) {
  const int64_t C = x.shape.back();
  Array y = x;
  for (int64_t p = 0; p < x.size() / C; ++p)
    for (int64_t c = 0; c < C; ++c) {
      double s = 0;
      for (int64_t k = c - size / 2; k <= c + (size - 1) / 2; ++k)
        if (k >= 0 && k < C)
          s += x.v[(size_t)(p * C + k)] * x.v[(size_t)(p * C + k)];
      y.v[(size_t)(p * C + c)] /= std::pow(bias + alpha / size * s, beta);
    }
  return y;
}

/// ShuffleNet's channel shuffle: channel i * (C / g) + j goes to j * g + i.
inline Array channelShuffle(const Array &x, int groups) {
  const int64_t C = x.shape.back(), Cg = C / groups;
  Array y = x;
  for (int64_t p = 0; p < x.size() / C; ++p)
    for (int64_t i = 0; i < groups; ++i)
      for (int64_t j = 0; j < Cg; ++j)
        y.v[(size_t)(p * C + j * groups + i)] = x.v[(size_t)(p * C + i * Cg + j)];
  return y;
}

/// Channels [first, last) of the last axis.
inline Array sliceChannels(const Array &x, int64_t first, int64_t last) {
  const int64_t C = x.shape.back();
  Shape s = x.shape;
  s.back() = last - first;
  Array y(s);
  for (int64_t p = 0; p < x.size() / C; ++p)
    for (int64_t c = first; c < last; ++c)
      y.v[(size_t)(p * (last - first) + c - first)] = x.v[(size_t)(p * C + c)];
  return y;
}

// The activation names come from the op table; the arithmetic below is independent of it.
using Act = cnnc::Act;
using cnnc::actName;

/// An element-wise activation at one value, in double from its definition
/// (PyTorch's, with its default parameters: softplus's beta 1 and threshold 20).
inline double activate(double x, cnnc::ActFn a) {
  const double r6 = std::min(std::max(x + 3, 0.0), 6.0);
  switch (a.kind) {
  case Act::Linear:
  case Act::Softmax: // a row function (below)
    return x;
  case Act::Relu6:
    return x > 6 ? 6.0 : x > 0 ? x : 0.0;
  case Act::Clip:
    return x > a.hi ? (double)a.hi : x > a.lo ? x : (double)a.lo;
  case Act::LeakyRelu:
    return x > 0 ? x : x * (double)a.lo;
  case Act::Relu:
    return x > 0 ? x : 0.0;
  case Act::Tanh:
    return std::tanh(x);
  case Act::Sigmoid:
    return 1.0 / (1.0 + std::exp(-x));
  case Act::HardSigmoid:
    return r6 / 6;
  case Act::HardSwish:
    return x * r6 / 6;
  case Act::Silu:
    return x / (1 + std::exp(-x));
  case Act::Gelu:
    if (a.lo == (float)cnnc::GeluForm::Tanh) // x/2 (1 + tanh(u)), without its cancellation
      return x / (1 + std::exp(-2 * std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    return x / 2 * std::erfc(-x / std::sqrt(2.0)); // = x/2 (1 + erf(x / sqrt 2))
  case Act::Elu:
    return x > 0 ? x : a.lo * std::expm1(x);
  case Act::Softplus:
    return x > 20 ? x : std::log1p(std::exp(x));
  }
  return x;
}

/// An element-wise activation, or softmax over the last axis (channels of an
/// image, the whole of a vector), computed stably in double.
inline Array activate(const Array &x, cnnc::ActFn a) {
  Array y = x;
  if (a.kind != Act::Softmax) {
    for (double &v : y.v)
      v = activate(v, a);
    return y;
  }
  const int64_t C = x.shape.back(), rows = x.size() / C;
  for (int64_t r = 0; r < rows; ++r) {
    double *row = y.v.data() + r * C;
    double m = *std::max_element(row, row + C), sum = 0;
    for (int64_t c = 0; c < C; ++c)
      sum += row[c] = std::exp(row[c] - m);
    for (int64_t c = 0; c < C; ++c)
      row[c] /= sum;
  }
  return y;
}

/// The largest |v|.
inline double maxAbs(const Array &a) {
  double m = 0;
  for (double v : a.v)
    m = std::max(m, std::fabs(v));
  return m;
}

/// Largest |got - want|; NaN/inf in `got` count as an infinite error.
inline double maxAbsError(const Tensor &got, const Array &want) {
  double e = 0;
  for (int64_t i = 0; i < got.size() && i < want.size(); ++i) {
    double d = std::fabs((double)got[i] - want.v[(size_t)i]);
    if (!std::isfinite(d))
      return std::numeric_limits<double>::infinity();
    e = std::max(e, d);
  }
  return e;
}

/// Index of the element with the largest error (for diagnostics).
inline int64_t worstIndex(const Tensor &got, const Array &want) {
  int64_t worst = 0;
  double e = -1;
  for (int64_t i = 0; i < got.size() && i < want.size(); ++i) {
    double d = std::fabs((double)got[i] - want.v[(size_t)i]);
    if (!(d <= e)) { // also picks NaN
      e = d;
      worst = i;
      if (std::isnan(d))
        break;
    }
  }
  return worst;
}

// --- model sources -----------------------------------------------------------

/// "f32[5, 7, 3]" for an input declaration.
inline std::string typeString(const Shape &shape) {
  std::string s = "f32[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// A model with input `x` of `inputShape` and the given layer statements, one
/// per line, each taking the previous result:
///   modelSource({5, 5, 3}, {"conv2d(filters=4, kernel=3)", "relu()"})
inline std::string modelSource(const Shape &inputShape, const std::vector<std::string> &layers,
                               const std::string &name = "m") {
  std::string s = "model " + name + " {\n  input x: " + typeString(inputShape) + "\n";
  for (const std::string &l : layers)
    s += "  " + l + "\n";
  return s + "}\n";
}

/// A one-layer model.
inline std::string modelSource(const Shape &inputShape, const std::string &layer,
                               const std::string &name = "m") {
  return modelSource(inputShape, std::vector<std::string>{layer}, name);
}

} // namespace cnnc::ref

// api/Run.cpp - running a compiled model: inputs checked and copied into a
// leased arena, the kernels in order, outputs copied out; the ONNX layouts
// (NCHW) at the boundary; per-kernel profiles.
#include "api/ModelImpl.h"
#include "runtime/Guard.h"
#include "runtime/Simd.h"

#include <algorithm>
#include <cstring>

namespace cnnc {

static TensorView view(const Tensor &t) { return {t.data(), t.shape()}; }

static std::vector<TensorView> views(const std::vector<Tensor> &ts) {
  std::vector<TensorView> v;
  for (const Tensor &t : ts)
    v.push_back(view(t));
  return v;
}

/// Checks the inputs (one per model input, in order, each of its shape or
/// with a leading batch axis: all of them, or none) and copies them into a
/// leased arena. Returns whether they have the batch axis.
static bool prepareArena(const Model &m, const Model::Impl &impl,
                         const std::vector<TensorView> &inputs, float *arena) {
  const Graph &g = impl.graph;
  const std::string &name = m.name();
  if (!impl.jit)
    throw Error("model '" + name +
                "' was compiled without code generation (Options::generateCode)");
  if (!impl.program.steps.empty() && !impl.program.steps[0].fn)
    throw Error("model '" + name +
                "' was compiled for an object file (Options::objectCode): link that instead");
  if (inputs.size() != g.inputs.size())
    throw Error("model '" + name + "' has " + counted(g.inputs.size(), "input") + " (" +
                quotedNames(m.inputNames()) + "), got " + counted(inputs.size(), "tensor"));
  std::vector<bool> axis(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Node &in = g.nodes[g.inputs[k]];
    Shape one = in.type.dims, batched = one;
    batched.insert(batched.begin(), impl.batch());
    const Shape &got = inputs[k].shape;
    const std::string what = g.inputs.size() > 1 ? "input '" + in.name + "'" : "input";
    if (got != batched && (impl.batch() > 1 || got != one))
      throw Error(what + " has shape " + shapeToString(got) + ", model '" + name + "' expects " +
                  (impl.batch() > 1 ? shapeToString(batched) + " (compiled for a batch of " +
                                          std::to_string(impl.batch()) + ")"
                                    : shapeToString(one) + " (or " + shapeToString(batched) + ")"));
    if (!inputs[k].data)
      throw Error(what + " has no data (a null pointer)");
    axis[k] = got == batched;
    if (axis[k] != axis[0])
      throw Error(what + " has " + (axis[k] ? "a" : "no") + " batch axis but input '" +
                  g.nodes[g.inputs[0]].name + "' has " + (axis[0] ? "one" : "none") +
                  ": give every input the batch axis, or none");
  }
  if (!impl.weightsLoaded && !impl.program.weightShapes.empty())
    throw Error("model '" + name + "' has no weights: call loadWeights() or randomWeights() first");
  std::vector<const float *> data;
  for (const TensorView &in : inputs)
    data.push_back(in.data);
  impl.program.copyIn(data.data(), arena);
  return axis[0];
}

std::vector<Tensor> Model::runViews(const std::vector<TensorView> &inputs) const {
  const Graph &g = impl_->graph;
  ArenaLease arena(impl_->arenas, impl_->arenaFloats());
  const bool batched = prepareArena(*this, *impl_, inputs, arena.data());
  if (impl_->checkArena)
    impl_->runChecked(arena.data());
  else
    impl_->program.run(impl_->weightArena.data(), arena.data(), *impl_->pool);
  std::vector<Tensor> outputs;
  std::vector<float *> data;
  for (ValueId id : g.outputs) {
    Shape shape = g.nodes[id].type.dims;
    if (batched) // a batch axis in, a batch axis out
      shape.insert(shape.begin(), impl_->batch());
    outputs.emplace_back(shape);
    data.push_back(outputs.back().data());
  }
  impl_->program.copyOut(arena.data(), data.data());
  return outputs;
}

Tensor Model::run(const Tensor &input) const {
  const Graph &g = impl_->graph;
  if (g.inputs.size() != 1 || g.outputs.size() != 1)
    throw Error("model '" + name() + "' has " + counted(g.inputs.size(), "input") + " and " +
                counted(g.outputs.size(), "output") +
                "; run(Tensor) takes one input and returns one output: call runAll() with a "
                "tensor per input (" +
                quotedNames(inputNames()) + ") for every output (" + quotedNames(outputNames()) +
                ")");
  return std::move(runViews({view(input)})[0]);
}

bool Model::channelsFirst() const { return !impl_->sourceInputs.empty(); }
std::vector<Shape> Model::sourceInputShapes() const {
  return channelsFirst() ? impl_->sourceInputs : inputShapes();
}
std::vector<Shape> Model::sourceOutputShapes() const {
  return channelsFirst() ? impl_->sourceOutputs : outputShapes();
}

/// [N, A, B, C] -> [N, B, C, A] (toLast: NCHW -> NHWC) or back.
static Tensor transposed(const Tensor &x, bool toLast) {
  const Shape &s = x.shape();
  const int64_t n = s[0], c = toLast ? s[1] : s[3], h = toLast ? s[2] : s[1],
                w = toLast ? s[3] : s[2];
  Tensor y(toLast ? Shape{n, h, w, c} : Shape{n, c, h, w});
  (toLast ? simd::nchwToNhwc : simd::nhwcToNchw)(x.data(), y.data(), n, h * w, c);
  return y;
}

std::vector<Tensor> Model::runSourceLayout(const std::vector<Tensor> &inputs) const {
  if (!channelsFirst())
    return runAll(inputs);
  const std::vector<Shape> want = impl_->sourceInputs;
  std::vector<Tensor> xs;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Shape s = k < want.size() ? want[k] : Shape{};
    if (!s.empty())
      s[0] = impl_->batch();
    if (inputs[k].shape() != s)
      throw Error("input " + std::to_string(k + 1) + " of model '" + name() + "' must be " +
                  shapeToString(s) + " (the ONNX graph's NCHW layout), got " +
                  shapeToString(inputs[k].shape()));
    xs.push_back(transposed(inputs[k], true));
  }
  std::vector<Tensor> ys = runAll(xs);
  for (size_t k = 0; k < ys.size(); ++k) {
    const Shape &own = impl_->sourceOutputs[k];
    Shape s = own;
    s[0] = impl_->batch();
    ys[k] = own.size() == 4 ? transposed(ys[k], false) : ys[k].reshaped(s);
  }
  return ys;
}

std::vector<Tensor> Model::runAll(const std::vector<Tensor> &inputs) const {
  return runViews(views(inputs));
}

std::vector<KernelProfile> Model::profileKernels(const Tensor &input, int runs,
                                                 const std::function<void()> &betweenRuns) const {
  return profileInputs({view(input)}, runs, betweenRuns);
}

std::vector<KernelProfile> Model::profileKernels(const std::vector<Tensor> &inputs, int runs,
                                                 const std::function<void()> &betweenRuns) const {
  return profileInputs(views(inputs), runs, betweenRuns);
}

std::vector<KernelProfile> Model::profileInputs(const std::vector<TensorView> &inputs, int runs,
                                                const std::function<void()> &betweenRuns) const {
  const Graph &g = impl_->graph;
  ArenaLease arena(impl_->arenas, impl_->arenaFloats());
  prepareArena(*this, *impl_, inputs, arena.data());
  // One row per node: a padded conv's padding copy counts with the conv.
  const std::vector<JitModel::Kernel> &ks = impl_->jit->kernels;
  std::vector<ValueId> nodes;
  std::vector<std::string> plans;
  for (const JitModel::Kernel &k : ks) {
    if (nodes.empty() || nodes.back() != k.node)
      nodes.push_back(k.node), plans.emplace_back();
    if (!k.plan.empty())
      plans.back() = k.plan;
  }
  std::vector<std::vector<double>> times(nodes.size(), std::vector<double>(runs, 0.0));
  for (int r = 0; r < runs; ++r) {
    for (size_t k = 0, row = 0; k < ks.size(); ++k) {
      row += k > 0 && ks[k].node != ks[k - 1].node;
      auto t0 = std::chrono::steady_clock::now();
      impl_->runKernel(ks[k], arena.data());
      times[row][r] +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    if (betweenRuns)
      betweenRuns();
  }
  std::vector<KernelProfile> out;
  for (size_t k = 0; k < times.size(); ++k) {
    const Node &n = g.nodes[nodes[k]];
    std::sort(times[k].begin(), times[k].end());
    // "conv2d+batchnorm+add+relu": the absorbed ops' kinds
    std::string op = opName(n.op);
    for (const Absorbed &a : n.absorbed) {
      std::string kind = a.kind(); // an absorbed flatten comes before the op
      op = kind == "flatten" ? kind + "+" + op : op + "+" + kind;
    }
    out.push_back({n.name, op, times[k].empty() ? 0 : times[k][times[k].size() / 2],
                   flopCount(g, n), plans[k]});
  }
  return out;
}

std::pair<std::string, std::vector<int64_t>> parseInputShape(const std::string &spec) {
  const size_t eq = spec.find('=');
  std::pair<std::string, std::vector<int64_t>> out;
  out.first = eq == std::string::npos ? "" : spec.substr(0, eq);
  std::string dims = eq == std::string::npos ? spec : spec.substr(eq + 1);
  for (size_t p = 0; p <= dims.size();) {
    size_t q = std::min(dims.find(',', p), dims.size());
    const std::string d = dims.substr(p, q - p);
    char *end = nullptr;
    const long long v = d.empty() ? 0 : std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end || v < 1 || v > (1 << 24))
      throw Error("--input-shape '" + spec +
                  "': expected [NAME=]D1,D2,... with every D from 1 to 16777216, like "
                  "input=1,3,224,224");
    out.second.push_back(v);
    p = q + 1;
  }
  return out;
}

} // namespace cnnc

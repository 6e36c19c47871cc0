// api/ModelImpl.h - Model's state (Model::Impl), shared by the files of
// api/: Model.cpp (compiling, weights, queries) and Run.cpp (running).
#pragma once

#include "cnnc/cnnc.h"
#include "codegen/Codegen.h"
#include "ir/IR.h"
#include "runtime/Guard.h"
#include "runtime/ThreadPool.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cnnc {

/// Arenas for run(): each call leases one, so concurrent runs never share
/// activations, and a freed arena is reused (no fresh pages to fault in).
class ArenaPool {
public:
  Tensor take(int64_t floats) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        Tensor t = std::move(free_.back());
        free_.pop_back();
        return t;
      }
    }
    return Tensor({floats});
  }
  void give(Tensor t) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(t));
  }

private:
  std::mutex mu_;
  std::vector<Tensor> free_;
};

struct Model::Impl {
  Graph graph;
  std::vector<LayerInfo> layers; // the user's layers, as written (before fusion)
  double compileSeconds = 0;
  std::unique_ptr<JitModel> jit;
  TargetInfo target;
  Tensor weightArena; // allocated by the first loadWeights
  bool weightsLoaded = false;
  ArenaPool arenas;
  std::unique_ptr<ThreadPool> pool; // the kernels' parallel loops (1 thread: inline)
  bool checkArena = false;
  std::vector<std::string> outputNames; // as the source names them (before any pass)
  /// The schedule run() follows (runtime/Program.h): the kernels in order,
  /// the batch's arenas, the ports, the packing; cnnc compile writes the same.
  Program program;
  /// An ONNX model's own input and output shapes (NCHW); empty for the DSL.
  std::vector<Shape> sourceInputs, sourceOutputs;

  int batch() const { return program.batch; }
  int64_t arenaFloats() const { return program.arenaFloats(); }
  /// Image i's arena within a leased batch arena.
  float *image(float *arena, int i) const { return program.image(arena, i); }

  /// The guard zones around a buffer of `floats` at `offset`: [first, count).
  static std::vector<std::pair<int64_t, int64_t>> guards(int64_t offset, int64_t floats) {
    int64_t end = offset + alignedFloats(floats) + GuardFloats;
    return {{offset - GuardFloats, GuardFloats}, {offset + floats, end - offset - floats}};
  }

  /// run() in the arena-check mode: fills a buffer's guards just before it is
  /// first written, checks the guards of every live buffer after each kernel.
  void runChecked(float *arena) const {
    auto output = [&](ValueId v) {
      return guards(graph.nodes[v].offset, bufferFloats(graph.nodes[v]));
    };
    auto scratch = [&](ValueId v) {
      return guards(graph.nodes[v].scratch, scratchFloats(graph, graph.nodes[v]));
    };
    auto fill = [&](const std::vector<std::pair<int64_t, int64_t>> &zones) {
      for (int i = 0; i < batch(); ++i)
        for (auto [at, count] : zones)
          fillGuard(image(arena, i) + at, count);
    };
    std::vector<ValueId> live = graph.inputs;
    for (ValueId in : graph.inputs)
      fill(output(in));
    for (const JitModel::Kernel &k : jit->kernels) {
      const Node &n = graph.nodes[k.node];
      // A padded conv's padding copy runs first; its output may then reuse
      // the block of the input it copied (see plan-memory), so the output's
      // guards are filled only before the conv itself.
      if (k.padding) {
        if (n.scratch >= 0) // else it zeroes the border of its input's buffer
          fill(scratch(k.node));
      } else
        fill(output(k.node)), live.push_back(k.node);
      runKernel(k, arena);
      auto check = [&](ValueId v, const std::vector<std::pair<int64_t, int64_t>> &zones) {
        for (int i = 0; i < batch(); ++i)
          for (auto [at, count] : zones) {
            int64_t bad = firstClobbered(image(arena, i) + at, count);
            if (bad >= 0)
              throw Error("internal error: the kernel of '" + n.name +
                          "' wrote outside its buffer (image " + std::to_string(i) +
                          ", arena float " + std::to_string(at + bad) + ", in a guard zone of '" +
                          graph.nodes[v].name + "')");
          }
      };
      bool copied = n.scratch >= 0 && !k.padding; // the input's block may be the output's now
      for (ValueId v : live) {
        bool released = copied && v == n.inputs[0] && graph.nodes[v].lastUse == k.node &&
                        !(n.inputs.size() > 1 && n.inputs[1] == v);
        if (graph.nodes[v].lastUse >= k.node && !released)
          check(v, output(v));
      }
      if (n.scratch >= 0)
        check(k.node, scratch(k.node));
    }
  }

  /// Runs kernel k over all its work items, split across the pool if it is
  /// parallel: once for the batch, or once per image (arena).
  void runKernel(const JitModel::Kernel &k, float *arena) const {
    program.runStep(k, weightArena.data(), arena, *pool);
  }
};

class ArenaLease {
public:
  ArenaLease(ArenaPool &pool, int64_t floats) : pool_(pool), t_(pool.take(floats)) {}
  ~ArenaLease() { pool_.give(std::move(t_)); }
  float *data() { return t_.data(); }

private:
  ArenaPool &pool_;
  Tensor t_;
};

/// "a, b"
inline std::string joinedNames(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "" : ", ") + n;
  return s;
}

/// "1 input", "2 outputs"
inline std::string counted(size_t n, const char *what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

/// "'a', 'b'"
inline std::string quotedNames(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

/// The bytes of a model file (.onnx when `onnx`, else .cnn), within the
/// size limit of its kind; throws Error with the path.
std::string readModelFile(const std::string &path, bool onnx);

} // namespace cnnc

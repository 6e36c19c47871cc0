// runtime/ThreadPool.h - a small fixed pool for the kernels' parallel loops
// (no OpenMP). parallelFor splits [0, n) into one contiguous chunk per thread;
// the calling thread takes the first chunk, so a pool of 1 runs inline. Every
// item is computed by exactly one thread with the same arithmetic as on one
// thread, so results are bit-identical whatever the thread count.
// Workers and the caller spin for a short while (SpinMicros) before they
// block, so back-to-back kernels do not pay a sleep and wake-up each.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cnnc {

class ThreadPool {
public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return (int)workers_.size() + 1; }
  /// Calls body(lo, hi) on disjoint chunks covering [0, n) and waits for all.
  /// One parallelFor runs at a time (concurrent callers take turns).
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &body);

private:
  void work(int index);

  std::vector<std::thread> workers_;
  std::mutex callMu_; // one parallelFor at a time
  std::mutex mu_;
  std::condition_variable start_, done_;
  const std::function<void(int64_t, int64_t)> *body_ = nullptr; // set before generation_
  int64_t n_ = 0;
  std::atomic<uint64_t> generation_{0}; // a new parallelFor (release: body_, n_ are set)
  std::atomic<int> pending_{0};         // workers still running the current one
  std::atomic<bool> stop_{false};
};

} // namespace cnnc

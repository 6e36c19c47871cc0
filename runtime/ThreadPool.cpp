// runtime/ThreadPool.cpp - workers wait for a generation number to change,
// run their chunk, and the last one to finish wakes the caller.
#include "runtime/ThreadPool.h"

#include <chrono>

namespace cnnc {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

namespace {

constexpr int SpinMicros = 100;

/// Spins until done() or SpinMicros pass; returns done().
template <class F> bool spinUntil(F done) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (done())
      return true;
    if ((i & 63) == 63 &&
        std::chrono::steady_clock::now() - start > std::chrono::microseconds(SpinMicros))
      return done();
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
}

} // namespace

static void chunk(int64_t n, int index, int parts, int64_t &lo, int64_t &hi) {
  lo = n * index / parts;
  hi = n * (index + 1) / parts;
}

void ThreadPool::work(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto started = [&] { return stop_ || generation_.load(std::memory_order_acquire) != seen; };
    if (!spinUntil(started)) {
      std::unique_lock<std::mutex> lock(mu_);
      start_.wait(lock, started);
    }
    if (stop_)
      return;
    seen = generation_.load(std::memory_order_acquire);
    int64_t lo, hi;
    chunk(n_, index, threads(), lo, hi);
    if (lo < hi)
      (*body_)(lo, hi);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_); // the caller may be about to sleep
      done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &body) {
  if (workers_.empty() || n <= 1) {
    if (n > 0)
      body(0, n);
    return;
  }
  std::lock_guard<std::mutex> call(callMu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = &body, n_ = n;
    pending_.store((int)workers_.size(), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_.notify_all();
  int64_t lo, hi;
  chunk(n, 0, threads(), lo, hi);
  if (lo < hi)
    body(lo, hi);
  auto finished = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spinUntil(finished)) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, finished);
  }
}

} // namespace cnnc

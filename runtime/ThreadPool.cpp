// runtime/ThreadPool.cpp - workers wait for a generation number to change,
// run their chunk, and the last one to finish wakes the caller.
#include "runtime/ThreadPool.h"

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

static void chunk(int64_t n, int index, int parts, int64_t &lo, int64_t &hi) {
  lo = n * index / parts;
  hi = n * (index + 1) / parts;
}

void ThreadPool::work(int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t)> *body;
    int64_t n;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
      body = body_, n = n_;
    }
    int64_t lo, hi;
    chunk(n, index, threads(), lo, hi);
    if (lo < hi)
      (*body)(lo, hi);
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0)
      done_.notify_one();
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
    pending_ = (int)workers_.size();
    ++generation_;
  }
  start_.notify_all();
  int64_t lo, hi;
  chunk(n, 0, threads(), lo, hi);
  if (lo < hi)
    body(lo, hi);
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return pending_ == 0; });
}

} // namespace cnnc

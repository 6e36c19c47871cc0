"""Reference counting: 10,000 calls leak nothing, by tracemalloc (Python's
allocations, NumPy's included) and by the process's resident set size."""
import gc
import sys
import tracemalloc

import numpy as np

import cnnc
from conftest import LENET


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_ten_thousand_runs_leak_nothing(lenet):
    x = cnnc.random_input(lenet.input_shape, 1)
    x64 = x.astype(np.float64)  # the converting path too
    for _ in range(1000):
        lenet(x), lenet(x64)
    refs = sys.getrefcount(x), sys.getrefcount(x64), sys.getrefcount(lenet)
    gc.collect()
    tracemalloc.start()
    rss0 = rss_bytes()
    snap0 = tracemalloc.take_snapshot()
    total = 0.0
    for _ in range(10_000):
        total += float(lenet(x)[0])
    for _ in range(1000):
        lenet(x64)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    grown = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    rss1 = rss_bytes()
    tracemalloc.stop()
    assert total > 0
    assert (sys.getrefcount(x), sys.getrefcount(x64), sys.getrefcount(lenet)) == refs
    assert grown < 16 * 1024, f"tracemalloc: {grown} bytes more after 11,000 runs"
    assert rss1 - rss0 < 1 << 20, f"RSS grew by {(rss1 - rss0) / 1024:.0f} KiB"


def test_errors_leak_nothing(lenet):
    bad = np.zeros((3, 3), np.float32)
    for _ in range(200):
        try:
            lenet(bad)
        except cnnc.Error:
            pass
    rss0 = rss_bytes()
    for _ in range(5000):
        try:
            lenet(bad)
        except cnnc.Error:
            pass
    assert rss_bytes() - rss0 < 1 << 20

#!/usr/bin/python3
"""Ahead-of-time objects against the JIT (issue 13's README numbers).

For LeNet, ResNet-18 and VGG-16 (seeded random weights, one thread):
  - time to first inference, from process start to exit after the first
    output: `cnnc run` with an empty compile cache (cold), with a warm one,
    and examples/aot's program (weights embedded, and loaded from a file);
  - the AOT program's size with and without embedded weights;
  - steady-state latency: the AOT program's --runs median against `cnnc bench`.

  /usr/bin/python3 bench/aot.py [--build build] [--models lenet,resnet18,vgg16] [--repeat 3]

It installs the build to BUILD/aot-bench/prefix and builds examples/aot there.
Medians of --repeat process runs; the machine is shared, so compare within a run.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {
    "lenet": ("examples/seed/lenet.cnn", (32, 32, 1)),
    "resnet18": ("examples/resnet18.cnn", (224, 224, 3)),
    "vgg16": ("examples/vgg16.cnn", (224, 224, 3)),
}


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)


def wall(cmd, repeat, before=None):
    """Median wall time (s) of `cmd` as a process; `before` runs before each, untimed."""
    times = []
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        sh(*cmd)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def build_aot(prefix, work, model, weights):
    """examples/aot for `model`, weights embedded unless `weights` is None."""
    out = os.path.join(work, "aot-" + ("embedded" if weights else "loaded"))
    sh("cmake", "-S", os.path.join(SRC, "examples/aot"), "-B", out, "-DCMAKE_BUILD_TYPE=Release",
       f"-DCMAKE_PREFIX_PATH={prefix}", f"-DMODEL={model}", f"-DWEIGHTS={weights or ''}")
    sh("cmake", "--build", out)
    return os.path.join(out, "classify")


def measure(name, cnnc, prefix, root, repeat):
    path, shape = MODELS[name]
    model = os.path.join(SRC, path)
    work = os.path.join(root, name)
    os.makedirs(work, exist_ok=True)
    x, w = os.path.join(work, "x.npy"), os.path.join(work, "w.safetensors")
    np.save(x, np.random.default_rng(1).random(shape, dtype=np.float32))
    sh(cnnc, "run", model, "--random-weights", 1, "--input", x, "--save-weights", w,
       "--cache-dir", "")
    run = [cnnc, "run", model, "--weights", w, "--input", x]
    cache = os.path.join(work, "cache")
    r = {"model": name}
    r["jit_cold"] = wall(run + ["--cache-dir", cache], repeat,
                         before=lambda: shutil.rmtree(cache, ignore_errors=True))
    sh(*run, "--cache-dir", cache)  # warm it
    r["jit_warm"] = wall(run + ["--cache-dir", cache], repeat)
    embedded, loaded = build_aot(prefix, work, model, w), build_aot(prefix, work, model, None)
    r["aot_embedded"] = wall([embedded, x], repeat)
    r["aot_loaded"] = wall([loaded, x, "--weights", w], repeat)
    r["size_embedded"] = os.path.getsize(embedded)
    r["size_loaded"] = os.path.getsize(loaded)
    runs = 200 if name == "lenet" else 20
    aot = sh(embedded, x, "--runs", runs).stdout
    r["aot_ms"] = float(re.search(r"median ([0-9.]+) ms", aot).group(1))
    jit = sh(cnnc, "bench", model, "--runs", runs, "--threads", 1).stdout
    r["jit_ms"] = float(re.search(r"median ([0-9.]+) ms", jit).group(1))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--models", default="lenet,resnet18,vgg16")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cnnc = os.path.join(args.build, "tools/cnnc/cnnc")
    root = os.path.join(args.build, "aot-bench")
    prefix = os.path.join(root, "prefix")
    sh("cmake", "--install", args.build, "--prefix", prefix)
    rows = [measure(m, cnnc, prefix, root, args.repeat) for m in args.models.split(",")]
    print("| model | JIT, cold cache | JIT, warm cache | AOT, embedded weights | AOT, weights file "
          "| AOT size embedded / not | AOT ms | JIT ms | AOT / JIT |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['jit_cold']:.3f} s | {r['jit_warm']:.3f} s "
              f"| {r['aot_embedded']:.3f} s | {r['aot_loaded']:.3f} s "
              f"| {r['size_embedded'] / 1e6:.1f} / {r['size_loaded'] / 1e6:.2f} MB "
              f"| {r['aot_ms']:.3f} | {r['jit_ms']:.3f} | {r['aot_ms'] / r['jit_ms']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

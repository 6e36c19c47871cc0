#!/usr/bin/python3
"""Images/s of ResNet-18 (examples/resnet18.cnn, random weights, batch 8) scored
through examples/dask/score.py, against one process, on 2 cores.

    PYTHONPATH=build/python /usr/bin/python3 bench/dask_throughput.py [--images 160] [--rounds 3]

Four ways to use two cores, alternated round by round so all see the same machine
(the best round of each is reported):
  1 thread      this process, a model of 1 thread, batch after batch (the baseline);
  1 proc x 2 thr  this process, a model of 2 threads (cnnc splits each run);
  dask 1w x 2t  one Dask worker process with 2 threads, 2 tasks at a time on one model;
  dask 2w x 1t  two Dask worker processes with 1 thread each.
The images are one .npy file, memory-mapped: each Dask task reads its own rows (as on a
cluster with a shared file system), so the Dask times include reading the input and the
scheduling of --images / --partition tasks, not compiling (the worker plugin compiles
before the clock starts, and a warm-up round runs first). Efficiency is against the
ideal of twice the 1-thread rate, and against the 2-thread process.
"""
import argparse
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "dask"))
import score  # noqa: E402


def local_rate(spec, x, path):
    model = spec.compile()
    score.score_batches(model, x[:spec.batch])  # warm up
    t0 = time.perf_counter()
    score.score_batches(model, np.load(path, mmap_mode="r"))
    return len(x) / (time.perf_counter() - t0)


def dask_rate(client, path, n, partition):
    y = score.score_array(client, score.npy_array(path, partition), partition)
    t0 = time.perf_counter()
    out = client.compute(y).result(timeout=3600)
    elapsed = time.perf_counter() - t0
    assert out.shape[0] == n
    return n / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "examples" / "resnet18.cnn"))
    ap.add_argument("--images", type=int, default=160)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--partition", type=int, default=16, help="images per Dask task")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    one = score.ModelSpec(a.model, random_weights=1, batch=a.batch, threads=1)
    two = score.ModelSpec(a.model, random_weights=1, batch=a.batch, threads=2)
    clusters = {"dask 1w x 2t": (1, *score.start_client(None, workers=1, threads=2)),
                "dask 2w x 1t": (2, *score.start_client(None, workers=2, threads=1))}
    rates = {k: [] for k in ["1 thread", "1 proc x 2 thr", *clusters]}
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "images.npy"
        shape = score.ModelSpec(a.model, batch=1).compile().input_shape
        x = np.random.default_rng(1).random((a.images, *shape), dtype=np.float32)
        np.save(path, x)
        try:
            for workers, client, _ in clusters.values():
                client.wait_for_workers(workers, timeout=60)
                score.register(client, one)
                dask_rate(client, path, a.images, a.partition)  # warm up
            for r in range(a.rounds):
                rates["1 thread"].append(local_rate(one, x, path))
                rates["1 proc x 2 thr"].append(local_rate(two, x, path))
                for name, (_, client, _) in clusters.items():
                    rates[name].append(dask_rate(client, path, a.images, a.partition))
                print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in rates.items()),
                      flush=True)
        finally:
            for _, client, cluster in clusters.values():
                client.close(timeout=10)
                cluster.close(timeout=10)
    best = {k: max(v) for k, v in rates.items()}
    print(f"\n{pathlib.Path(a.model).name}, batch {a.batch}, {a.images} images, "
          f"Dask tasks of {a.partition} images; best of {a.rounds} rounds, images/s:")
    for k, v in best.items():
        print(f"  {k:15s} {v:7.2f}   {v / (2 * best['1 thread']):5.1%} of 2 x 1 thread, "
              f"{v / best['1 proc x 2 thr']:5.1%} of the 2-thread process")


if __name__ == "__main__":
    main()

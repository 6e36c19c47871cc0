#!/usr/bin/python3
"""What a call from Python costs on top of the C++ call: LeNet (batch 1, 1 thread).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--runs 2000] [--rounds 25]

Each round times --runs calls `model(x)` from Python (time.perf_counter_ns around
each) and --runs calls of Model::runAll from C++ on the same model and input
(model._time_cpp, a loop in C++ with the GIL released), alternating so both see
the same machine. Prints each side's median per call, the overhead (the
difference of the medians, median over rounds) and `cnnc bench`'s median for
reference (the CLI prints milliseconds to 3 decimals: 1 us resolution). The
Python call includes argument parsing, the input check (borrowed as it is: an
aligned float32 C-order array), releasing and taking back the GIL, the
shared lock against load_weights, and wrapping the output tensor in a NumPy
array without copying it. Target: at most 2 us.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import time

import cnnc

ROOT = pathlib.Path(__file__).resolve().parents[1]


def python_times(model, x, runs):
    out = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        model(x)
        out.append((clock() - t0) * 1e-9)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--model", default=str(ROOT / "examples" / "seed" / "lenet.cnn"))
    a = ap.parse_args()
    model = cnnc.compile(a.model)
    model.random_weights(1)
    x = cnnc.random_input(model.input_shape, 1)
    python_times(model, x, 1000)  # warm up
    model._time_cpp((x,), 1000)
    py, cpp, over = [], [], []
    for r in range(a.rounds):
        p = statistics.median(python_times(model, x, a.runs))
        c = statistics.median(model._time_cpp((x,), a.runs))
        py.append(p), cpp.append(c), over.append(p - c)
        print(f"round {r + 1}: python {p * 1e6:.2f} us  c++ {c * 1e6:.2f} us  overhead {(p - c) * 1e6:.2f} us")
    print(f"{model.name}: python {statistics.median(py) * 1e6:.2f} us, c++ {statistics.median(cpp) * 1e6:.2f} us "
          f"per call (medians); overhead {statistics.median(over) * 1e6:.2f} us (target <= 2 us)")
    cli = os.environ.get("CNNC", str(ROOT / "build" / "tools" / "cnnc" / "cnnc"))
    if os.path.exists(cli):
        out = subprocess.run([cli, "bench", a.model, "--runs", "2000"], capture_output=True, text=True).stdout
        line = next((l for l in out.splitlines() if l.startswith("median")), out.strip())
        print(f"cnnc bench {pathlib.Path(a.model).name}: {line}")


if __name__ == "__main__":
    main()

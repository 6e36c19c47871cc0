#!/usr/bin/python3
"""Per-kernel speed-up of N threads over one, alternating the two so that a
shared machine's noise falls on both alike.

    /usr/bin/python3 bench/scaling.py MODEL.cnn [--threads 2] [--rounds 5] [--runs 10] [-- CNNC-FLAGS]

Runs `cnnc bench MODEL --layers --runs R` on one thread and on N threads, in
turn, --rounds times; prints each kernel's median time on both (the median over
rounds of each run's median) and the ratio. Extra flags after `--` go to cnnc
(`-- --no-winograd`, `-- --target avx2`). Needs a built cnnc (build/tools/cnnc/cnnc).
"""
import argparse, os, re, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CNNC = os.path.join(ROOT, "build", "tools", "cnnc", "cnnc")
ROW = re.compile(r"^(\S+)\s+(\S+)\s+([\d.]+)\s+[\d.]+\s+\d+%")


def layers(model, threads, runs, extra):
    out = subprocess.run([CNNC, "bench", model, "--layers", "--runs", str(runs), "--threads",
                          str(threads)] + extra, capture_output=True, text=True, check=True).stdout
    return [(m.group(1), m.group(2), float(m.group(3))) for m in map(ROW.match, out.splitlines()) if m]


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args(argv)
    one, many, ops = {}, {}, {}
    for _ in range(args.rounds):
        for threads, into in ((1, one), (args.threads, many)):
            for name, op, ms in layers(args.model, threads, args.runs, extra):
                into.setdefault(name, []).append(ms)
                ops[name] = op
    print(f"# {os.path.basename(args.model)} {' '.join(extra)}: median of {args.rounds} alternating "
          f"rounds x {args.runs} runs")
    print(f"{'kernel':<22} {'op':<26} {'1 thread ms':>12} {f'{args.threads} threads ms':>13} {'speed-up':>9}")
    for name in one:
        a, b = statistics.median(one[name]), statistics.median(many[name])
        print(f"{name:<22} {ops[name]:<26} {a:>12.3f} {b:>13.3f} {a / b if b else 0:>8.2f}x")


if __name__ == "__main__":
    main()

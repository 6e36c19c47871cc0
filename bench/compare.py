#!/usr/bin/python3
"""cnnc vs PyTorch (oneDNN inside) on the example models, in one run.

    /usr/bin/python3 bench/compare.py [--runs 50] [--rounds 3] [--threads 1] [MODEL.cnn ...]

For each model: `cnnc bench MODEL` (median latency of --runs runs) and the same
network in PyTorch (torch.jit.script + optimize_for_inference, batch 1,
--threads threads, the same number of runs), alternating for --rounds rounds.
Prints the median over rounds of each side's median and the ratio cnnc/PyTorch
(< 1 means cnnc is faster). Needs Debian's python3-torch and a built cnnc
(build/tools/cnnc/cnnc).
"""
import argparse, glob, os, re, statistics, subprocess, sys, time
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_fixtures as mf  # the .cnn parser shared with the fixture generator

CNNC = os.path.join(ROOT, "build", "tools", "cnnc", "cnnc")
ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity,
        "softmax": lambda: nn.Softmax(dim=1)}

def torch_model(model):
    """nn.Sequential equivalent of a sequential .cnn model (random weights suffice for timing)."""
    layers, c, h, w = [], model["input"][2], model["input"][0], model["input"][1]
    x = torch.zeros(1, c, h, w)
    for layer in model["layers"]:
        op, a = layer["op"], layer["attrs"]
        if op == "conv2d":
            k, s = mf.pair(a["kernel"], "kernel", layer), mf.pair(a["stride"], "stride", layer)
            seq = [nn.ZeroPad2d(mf.pads(a["padding"], x, k, s, layer, True)),
                   nn.Conv2d(x.shape[1], a["filters"], k, s, bias=a.get("use_bias", "true") == "true"),
                   ACTS[a["activation"]]()]
        elif op in ("maxpool2d", "avgpool2d"):
            k = mf.pair(a["size"], "size", layer)
            s = k if a["stride"] is None else mf.pair(a["stride"], "stride", layer)
            if a["padding"] not in (None, "valid"):
                raise SystemExit(f"bench: {op} with padding {a['padding']} is not modelled here")
            seq = [nn.MaxPool2d(k, s) if op == "maxpool2d" else nn.AvgPool2d(k, s)]
        elif op == "flatten":
            seq = [nn.Flatten()]
        elif op == "dense":
            seq = [nn.Linear(x.shape[1], a["units"], bias=a.get("use_bias", "true") == "true"),
                   ACTS[a["activation"]]()]
        else:
            seq = [ACTS[op]()]
        for m in seq:
            x = m(x)
            layers.append(m)
    return nn.Sequential(*layers).eval()

def time_torch(model, runs):
    shape = model["input"]
    net = torch_model(model)
    x = torch.rand(1, shape[2], shape[0], shape[1])
    with torch.no_grad():
        net = torch.jit.optimize_for_inference(torch.jit.script(net))
        for _ in range(3):
            net(x)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)

def time_cnnc(path, runs, threads):
    out = subprocess.run([CNNC, "bench", path, "--runs", str(runs)], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1)), float(re.search(r"compile ([0-9.]+) s", out).group(1))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    paths = args.models or sorted(glob.glob(os.path.join(ROOT, "examples", "seed", "*.cnn")))
    print(f"# {time.strftime('%Y-%m-%d')}, {args.threads} thread(s), batch 1, torch {torch.__version__}, "
          f"median of {args.rounds} rounds x {args.runs} runs")
    print(f"{'model':<16}{'cnnc ms':>10}{'torch ms':>10}{'cnnc/torch':>12}{'compile s':>11}")
    for path in paths:
        model = mf.parse(path)
        if args.threads != 1:
            print(f"{os.path.basename(path)}: cnnc runs on one thread for now", file=sys.stderr)
        c, t, comp = [], [], []
        for _ in range(args.rounds):
            ms, cs = time_cnnc(path, args.runs, args.threads)
            c.append(ms)
            comp.append(cs)
            t.append(time_torch(model, args.runs))
        cm, tm = statistics.median(c), statistics.median(t)
        print(f"{model['name']:<16}{cm:>10.3f}{tm:>10.3f}{cm / tm:>12.2f}{statistics.median(comp):>11.3f}", flush=True)

if __name__ == "__main__":
    main()

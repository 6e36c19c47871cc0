#!/usr/bin/python3
"""torchvision's model zoo through cnnc's ONNX front end, checked against PyTorch.

    /usr/bin/python3 scripts/make_zoo.py [--out build/zoo] [--size N] [MODEL ...]
    /usr/bin/python3 scripts/make_zoo.py --bench [--threads 1] [--rounds 3] [--runs 20] [MODEL ...]

For each model (default: all of ZOO below, torchvision 0.14, no download): seeded
random weights (torchvision's own initialisation), batchnorm statistics calibrated
with a few train-mode passes on random inputs, then torch.onnx.export(opset 13,
do_constant_folding=True) into OUT/NAME.onnx. `cnnc run NAME.onnx` on a random
input must match PyTorch's float64 output within
max(1e-4 x max|y|, 4 x PyTorch float32's own error): relative to the output's
own scale. Exit status 1 if any model fails or is over its tolerance.

--size N runs every model at N x N pixels instead of its own size (CI scales
the zoo down this way; inception_v3 needs at least 75). --bench also times
`cnnc bench NAME.onnx` against the same torchvision model traced, frozen and
passed through torch.jit.optimize_for_inference, alternating for --rounds
rounds of --runs runs, at --threads threads each, and prints the medians and
their ratio (< 1: cnnc is faster), and "paired": the median of the rounds' own
ratios, each taken from two sides timed seconds apart (the shared machine's slow
phases, seconds to minutes long, cancel better so).
"""
import argparse, json, os, re, statistics, subprocess, sys, time

import numpy as np
import torch
import torchvision.models as tvm
from torchvision.models import segmentation

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from compare import time_torch  # noqa: E402  the same timing loop as bench/compare.py
CNNC = os.environ.get("CNNC", os.path.join(ROOT, "build", "tools", "cnnc", "cnnc"))


class Out(torch.nn.Module):
    """A segmentation model's `out` tensor (its forward returns a dict)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


# name -> (constructor with no download, input size)
ZOO = {
    "alexnet": (lambda: tvm.alexnet(), 224),
    "vgg11_bn": (lambda: tvm.vgg11_bn(), 224),
    "resnet18": (lambda: tvm.resnet18(), 224),
    "resnet50": (lambda: tvm.resnet50(), 224),
    "squeezenet1_1": (lambda: tvm.squeezenet1_1(), 224),
    "densenet121": (lambda: tvm.densenet121(), 224),
    "googlenet": (lambda: tvm.googlenet(aux_logits=False, init_weights=True), 224),
    "inception_v3": (lambda: tvm.inception_v3(aux_logits=False, init_weights=True), 299),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(), 224),
    "mobilenet_v3_large": (lambda: tvm.mobilenet_v3_large(), 224),
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(), 224),
    "fcn_resnet50": (lambda: Out(segmentation.fcn_resnet50(weights=None, weights_backbone=None,
                                                           aux_loss=False)), 224),
}
# Not in the list: other torchvision CNNs made of the same ops.
EXTRA = {
    "shufflenet_v2_x1_0": (lambda: tvm.shufflenet_v2_x1_0(), 224),
    "mnasnet1_0": (lambda: tvm.mnasnet1_0(), 224),
    "regnet_y_400mf": (lambda: tvm.regnet_y_400mf(), 224),
    "resnext50_32x4d": (lambda: tvm.resnext50_32x4d(), 224),
    "wide_resnet50_2": (lambda: tvm.wide_resnet50_2(), 224),
    "vgg16": (lambda: tvm.vgg16(), 224),
    "deeplabv3_mobilenet_v3_large": (lambda: Out(segmentation.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, aux_loss=False)), 224),
    "lraspp_mobilenet_v3_large": (lambda: Out(segmentation.lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None)), 224),
}


def build(name, size, seed):
    """The model in eval mode with calibrated batchnorm statistics, and its input."""
    torch.manual_seed(seed)
    make, own = {**ZOO, **EXTRA}[name]
    m = make()
    size = size or own
    for bn in m.modules():  # calibrated: the plain average of the passes' statistics
        if isinstance(bn, torch.nn.modules.batchnorm._BatchNorm):
            bn.momentum = None
            bn.reset_running_stats()
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.randn(2, 3, size, size))
    m.eval()
    return m, torch.rand(1, 3, size, size)


def check(name, out, size, seed):
    """Exports `name`, runs it with cnnc, returns a result row (dict)."""
    m, x = build(name, size, seed)
    path = os.path.join(out, name + ".onnx")
    t0 = time.perf_counter()
    torch.onnx.export(m, x, path, opset_version=13, do_constant_folding=True,
                      input_names=["input"], output_names=["output"])
    with torch.no_grad():
        y32 = m(x).numpy().astype(np.float64)
        y64 = m.double()(x.double()).numpy()
    np.save(os.path.join(out, name + ".x.npy"), x.numpy())
    t1 = time.perf_counter()
    ypath = os.path.join(out, name + ".y.npy")
    r = subprocess.run([CNNC, "run", path, "--input", os.path.join(out, name + ".x.npy"),
                        "--output", ypath], capture_output=True, text=True)
    t2 = time.perf_counter()
    row = {"model": name, "size": x.shape[-1], "torch_s": t1 - t0, "cnnc_s": t2 - t1}
    if r.returncode != 0:
        return {**row, "ok": False, "why": r.stderr.strip()[-2000:]}
    y = np.load(ypath).astype(np.float64)
    if y.shape != y64.shape:
        return {**row, "ok": False, "why": f"shape {y.shape}, PyTorch's {y64.shape}"}
    err, err32 = float(np.abs(y - y64).max()), float(np.abs(y32 - y64).max())
    tol = max(1e-4 * float(np.abs(y64).max()), 4 * err32)
    return {**row, "ok": bool(err <= tol), "err": err, "err32": err32, "tol": tol,
            "max_y": float(np.abs(y64).max())}


def bench(name, out, size, seed, args):
    """Median ms of cnnc and of PyTorch (traced, frozen, optimize_for_inference), alternating."""
    m, x = build(name, size, seed)
    with torch.no_grad():
        net = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(m, x)))
        for _ in range(3):
            net(x)
    path = os.path.join(out, name + ".bench.onnx")  # at this size, whatever the check left
    torch.onnx.export(m, x, path, opset_version=13, do_constant_folding=True)
    c, t = [], []
    for _ in range(args.rounds):
        res = subprocess.run([CNNC, "bench", path, "--runs", str(args.runs), "--threads",
                              str(args.threads)], capture_output=True, text=True, check=True)
        c.append(float(re.search(r"median ([0-9.]+) ms", res.stdout).group(1)))
        t.append(time_torch(net, x, args.runs))
    return statistics.median(c), statistics.median(t), statistics.median(a / b for a, b in zip(c, t))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help=f"default: {' '.join(ZOO)}; also: {' '.join(EXTRA)}")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "zoo"))
    ap.add_argument("--size", type=int, default=0, help="input size for every model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    names = args.models or list(ZOO)
    unknown = [n for n in names if n not in ZOO and n not in EXTRA]
    if unknown:
        sys.exit(f"make_zoo.py: unknown model(s) {', '.join(unknown)}")
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads if args.bench else max(torch.get_num_threads(), 1))
    failed = []
    if args.bench:
        print(f"# {time.strftime('%Y-%m-%d')}, {args.threads} thread(s) each, torch "
              f"{torch.__version__}, median of {args.rounds} rounds x {args.runs} runs")
        print(f"{'model':<22}{'cnnc ms':>10}{'torch ms':>10}{'cnnc/torch':>12}{'paired':>9}")
        for name in names:
            cm, tm, paired = bench(name, args.out, args.size, args.seed, args)
            print(f"{name:<22}{cm:>10.2f}{tm:>10.2f}{cm / tm:>12.2f}{paired:>9.2f}", flush=True)
        return
    print(f"{'model':<22}{'px':>5}{'max err':>11}{'tolerance':>11}{'max|y|':>10}"
          f"{'torch s':>9}{'cnnc s':>8}  result")
    rows = []
    for name in names:
        row = check(name, args.out, args.size, args.seed)
        rows.append(row)
        if row["ok"]:
            print(f"{name:<22}{row['size']:>5}{row['err']:>11.3g}{row['tol']:>11.3g}"
                  f"{row['max_y']:>10.3g}{row['torch_s']:>9.1f}{row['cnnc_s']:>8.1f}  ok", flush=True)
        else:
            failed.append(name)
            why = row.get("why") or f"max err {row['err']:.3g} > tolerance {row['tol']:.3g}"
            print(f"{name:<22}{row['size']:>5}  FAILED: {why}", flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    if failed:
        sys.exit(f"make_zoo.py: {len(failed)} of {len(names)} failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

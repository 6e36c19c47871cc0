#!/usr/bin/python3
"""cnnc vs PyTorch (oneDNN inside) on the example models, in one run.

    /usr/bin/python3 bench/compare.py [--runs 50] [--rounds 3] [--threads 1] [--batch 1] [MODEL.cnn|MODEL.onnx ...]

For each model (default: examples/seed/*.cnn and examples/*.cnn): `cnnc bench MODEL`
(median latency of --runs runs) and the same network in PyTorch, the same number
of runs, alternating for --rounds rounds. The PyTorch side is an nn.Module that
runs the model's layer graph with nn modules (nn.Conv2d with groups, nn.BatchNorm
in eval mode, nn.Linear, nn.MaxPool2d/AvgPool2d with PyTorch's own padding where
it matches the DSL's), traced, frozen and passed through
torch.jit.optimize_for_inference (oneDNN: batchnorm folded into convolutions,
fusions), traced at the batch size run. Both sides run the same random weights
and input (those of `cnnc bench`), on --threads threads each, --batch images per
run (cnnc compiled with --batch; times are per run, i.e. per batch).
A MODEL.onnx is timed as it is (`cnnc bench MODEL.onnx`); its PyTorch side is
built from the same graph written as a .cnn by `cnnc import` (into a temporary
directory). For torchvision's own modules as the peer, see scripts/make_zoo.py --bench.
Prints the median over rounds of each side's median and the ratio cnnc/PyTorch
(< 1 means cnnc is faster), and "paired": the median over rounds of each round's
ratio, its two sides timed seconds apart (the shared machine has slow phases of
seconds to minutes, which it cancels better). Needs Debian's python3-torch and a built cnnc
(build/tools/cnnc/cnnc, or the binary the environment variable CNNC names, e.g.
an older build to compare against in the same sitting).
"""
import argparse, glob, os, re, statistics, subprocess, sys, tempfile, time
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_fixtures as mf  # the .cnn parser (and float64 reference) shared with the fixture generator

CNNC = os.environ.get("CNNC", os.path.join(ROOT, "build", "tools", "cnnc", "cnnc"))
ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity,
        "softmax": lambda: nn.Softmax(dim=1), "hardsigmoid": nn.Hardsigmoid, "hardswish": nn.Hardswish,
        "silu": nn.SiLU, "swish": nn.SiLU, "softplus": nn.Softplus}  # softplus: beta 1, threshold 20

class Fn(nn.Module):
    """A parameterless step of the graph (traced like any other code)."""
    def __init__(self, f):
        super().__init__()
        self.f = f
    def forward(self, *xs):
        return self.f(*xs)

def clip(lo, hi, channels):
    """nn.Hardtanh; but torch 1.13's oneDNN hardtanh/clamp (optimize_for_inference) is wrong on a blocked
    layout with padded channels (not a multiple of 16): there clamp_min/max, which oneDNN leaves alone."""
    return Fn(lambda x: x.clamp_min(lo).clamp_max(hi)) if channels % 16 else nn.Hardtanh(lo, hi)

def act(name, layer, channels, attrs=None):
    """The activation after a rank-4 result with `channels` channels (0: a rank-2 result); attrs: a
    standalone activation's, activation=NAME takes the defaults."""
    p = {**mf.OPS.get(name, {}), **(attrs or {})}
    if name in ("leaky_relu", "relu6"):
        return nn.LeakyReLU(p["alpha"]) if name == "leaky_relu" else clip(0.0, 6.0, channels)
    if name in ("elu", "gelu"):
        return nn.ELU(p["alpha"]) if name == "elu" else nn.GELU(approximate=p["approximate"])
    if name not in ACTS:
        mf.fail(layer, f"unknown activation {name!r}")
    return ACTS[name]()

class Graph(nn.Module):
    """Runs mods[i] on the values plan[i] indexes (0: the input, i + 1: mods[i]'s result)."""
    def __init__(self, mods, plan, out, weights):
        super().__init__()
        self.mods, self.plan, self.out = nn.ModuleList(mods), plan, out
        self.weights = weights  # {DSL layer name: its module with parameters} (not registered twice)
    def forward(self, x):
        vals = [x]
        for m, ins in zip(self.mods, self.plan):
            vals.append(m(*[vals[i] for i in ins]))
        return tuple(vals[i] for i in self.out) if len(self.out) > 1 else vals[self.out[0]]

def split_pad(p, k=None):
    """DSL padding in F.pad order (l, r, t, b) -> (PyTorch's symmetric padding, explicit pad or None).
    Pooling takes at most half the window as padding."""
    l, r, t, b = p
    if l == r and t == b and (k is None or (t <= k[0] // 2 and l <= k[1] // 2)):
        return (t, l), None
    return (0, 0), p

def pad(extra, value=0.0):
    return [nn.ConstantPad2d(extra, value)] if extra else []

def build(model):
    """(Graph module of the model in eval mode, example input), with PyTorch's initial weights."""
    if len(model["inputs"]) != 1:
        sys.exit(f"{model['name']}: compare.py times models of one input")
    (in_name, (h, w, c)), = model["inputs"]
    x0 = torch.zeros(1, c, h, w)
    vals, index, mods, plan, weights = {in_name: x0}, {in_name: 0}, [], [], {}
    for layer in model["layers"]:
        op, a, name = layer["op"], layer["attrs"], layer["name"]
        if op == "input":
            continue
        xs = [vals[n] for n in layer["inputs"]]
        x, bias = xs[0], a.get("use_bias", "true") == "true"
        channels = x.shape[1] if x.dim() == 4 else 0
        if op == "conv2d":
            k, s = mf.pair(a["kernel"], "kernel", layer), mf.pair(a["stride"], "stride", layer)
            d = mf.pair(a["dilation"], "dilation", layer)
            span = tuple(d[i] * (k[i] - 1) + 1 for i in (0, 1))
            native, extra = split_pad(mf.pads(a["padding"], x, span, s, layer))
            weights[name] = nn.Conv2d(x.shape[1], a["filters"], k, s, native, dilation=d, groups=a["groups"],
                                      bias=bias)
            seq = pad(extra) + [weights[name], act(a["activation"], layer, a["filters"])]
        elif op in ("maxpool2d", "avgpool2d", "minpool2d"):
            k = mf.pair(a["size"], "size", layer)
            s = k if a["stride"] is None else mf.pair(a["stride"], "stride", layer)
            native, extra = split_pad(mf.pads(a["padding"], x, k, s, layer), k)
            if op == "avgpool2d":
                same = a["padding"] == "same"
                seq = pad(extra) + [nn.AvgPool2d(k, s, native, count_include_pad=not same)]
                if same and extra:  # average over the real pixels only
                    scale = 1 / F.avg_pool2d(F.pad(torch.ones_like(x[:, :1]), extra), k, s)
                    seq.append(Fn(lambda y, scale=scale: y * scale))
            else:  # padded cells never win
                seq = pad(extra, -float("inf")) + [nn.MaxPool2d(k, s, native)]
                if op == "minpool2d":
                    seq = [Fn(lambda y, pool=nn.Sequential(*seq): -pool(-y))]
        elif op == "conv2d_transpose":  # PyTorch's own padding: valid or symmetric numeric
            k, s = mf.pair(a["kernel"], "kernel", layer), mf.pair(a["stride"], "stride", layer)
            d, op_ = mf.pair(a["dilation"], "dilation", layer), mf.pair(a["output_padding"], "output_padding", layer)
            l, r, t, b = (0, 0, 0, 0) if a["padding"] == "valid" else mf.pads(a["padding"], x, None, None, layer)
            if a["padding"] == "same" or l != r or t != b:
                mf.fail(layer, "bench/compare.py takes conv2d_transpose with valid or symmetric padding")
            weights[name] = nn.ConvTranspose2d(x.shape[1], a["filters"], k, s, (t, l), op_, a["groups"], bias, d)
            seq = [weights[name], act(a["activation"], layer, a["filters"])]
        elif op == "upsample2d":  # F.interpolate, as make_fixtures.py calls it
            seq = [Fn(lambda y, a=a, layer=layer: mf.upsample(y, a, layer))]
        elif op == "dense":
            weights[name] = nn.Linear(x.shape[1], a["units"], bias=bias)
            seq = [weights[name], act(a["activation"], layer, 0)]
        elif op == "batchnorm":
            weights[name] = (nn.BatchNorm2d if x.dim() == 4 else nn.BatchNorm1d)(x.shape[1], eps=float(a["epsilon"]))
            seq = [weights[name]]
        elif op == "zeropad2d":
            if isinstance(a["padding"], str):
                mf.fail(layer, "zeropad2d takes padding=N, (h, w) or (top, bottom, left, right)")
            seq = [nn.ZeroPad2d(mf.pads(a["padding"], x, None, None, layer))]
        elif op == "clip":
            seq = [clip(float(a["min"]), float(a["max"]), channels)]
        elif op == "concat":  # on the channel axis
            seq = [Fn(lambda *ys: torch.cat(ys, 1))]
        elif op in ("add", "sub", "mul", "div"):  # a [N, C] vector applies to every pixel
            f = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[op]
            if xs[0].dim() == xs[1].dim():
                seq = [Fn(f)]
            else:
                seq = [Fn(lambda a, b, f=f: f(a[:, :, None, None] if a.dim() == 2 else a,
                                              b[:, :, None, None] if b.dim() == 2 else b))]
        elif op in ("globalavgpool2d", "globalmaxpool2d"):
            pool = nn.AdaptiveAvgPool2d(1) if op == "globalavgpool2d" else nn.AdaptiveMaxPool2d(1)
            seq = [pool] if a.get("keepdims") == "true" else [pool, nn.Flatten()]
        else:
            seq = [{"flatten": nn.Flatten, "dropout": nn.Identity}  # flatten: C, H, W (PyTorch's order)
                   .get(op, lambda: act(op, layer, channels, a))()]
        mod = (seq[0] if len(seq) == 1 else nn.Sequential(*seq)).eval()
        with torch.no_grad():
            vals[name] = mod(*xs)  # shapes for the next layers
        mods.append(mod)
        plan.append([index[n] for n in layer["inputs"]])
        index[name] = len(mods)
    return Graph(mods, plan, [index[o] for o in model["outputs"]], weights).eval(), x0

def torch_net(model, seed=1, batch=1):
    """The model traced, frozen and optimised for inference, and its input: the weights and input
    of `cnnc bench` (Random.h, seed 1; make_fixtures has its generator), so the same values flow."""
    net, x = build(model)
    with torch.no_grad():
        for name, m in net.weights.items():
            for k, v in m.state_dict().items():
                if k != "num_batches_tracked":
                    key, shape = f"{name}.{k}", tuple(v.shape)
                    v.copy_(torch.from_numpy(mf.random_tensor(shape, seed, key, *mf.random_init(key, shape))))
        shape = ([batch] if batch > 1 else []) + list(model["inputs"][0][1])
        x = torch.from_numpy(0.5 * (mf.random_tensor(shape, seed, "input", 1.0) + 1))  # [0, 1)
        x = (x.permute(0, 3, 1, 2) if batch > 1 else x.permute(2, 0, 1).unsqueeze(0)).contiguous()
        net = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(net, x)))
        for _ in range(3):  # the profiling executor optimises on the first runs
            net(x)
    return net, x

def time_torch(net, x, runs):
    with torch.no_grad():
        for _ in range(3):
            net(x)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)

def time_cnnc(path, runs, threads, batch):
    out = subprocess.run([CNNC, "bench", path, "--runs", str(runs), "--threads", str(threads),
                          "--batch", str(batch)],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1)), float(re.search(r"compile ([0-9.]+) s", out).group(1))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="threads for both sides")
    ap.add_argument("--batch", type=int, default=1, help="images per run for both sides (ms are per batch)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    paths = args.models or sorted(glob.glob(os.path.join(ROOT, "examples", "seed", "*.cnn"))) + \
        sorted(glob.glob(os.path.join(ROOT, "examples", "*.cnn")))
    print(f"# {time.strftime('%Y-%m-%d')}, {args.threads} thread(s) each, batch {args.batch}, torch {torch.__version__}, median of {args.rounds} rounds x {args.runs} runs")
    print(f"{'model':<16}{'cnnc ms':>10}{'torch ms':>10}{'cnnc/torch':>12}{'paired':>9}{'compile s':>11}")
    tmp = tempfile.TemporaryDirectory()
    for path in paths:
        source = path
        if path.endswith(".onnx"):  # the same graph as a .cnn, for the PyTorch side
            source = os.path.join(tmp.name, os.path.basename(path)[:-5] + ".cnn")
            subprocess.run([CNNC, "import", path, "-o", source], check=True, capture_output=True)
        model = mf.parse(source)
        net, x = torch_net(model, batch=args.batch)
        c, t, comp = [], [], []
        for _ in range(args.rounds):
            ms, cs = time_cnnc(path, args.runs, args.threads, args.batch)
            c.append(ms)
            comp.append(cs)
            t.append(time_torch(net, x, args.runs))
        cm, tm = statistics.median(c), statistics.median(t)
        paired = statistics.median(a / b for a, b in zip(c, t))
        print(f"{model['name']:<16}{cm:>10.3f}{tm:>10.3f}{cm / tm:>12.2f}{paired:>9.2f}"
              f"{statistics.median(comp):>11.3f}", flush=True)

if __name__ == "__main__":
    main()

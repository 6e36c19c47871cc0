#!/usr/bin/python3
"""Generate PyTorch reference outputs for the cnnc example models.

Run from anywhere with Debian's interpreter (it has torch and numpy):

    /usr/bin/python3 scripts/make_fixtures.py                  # all examples/seed/*.cnn
    /usr/bin/python3 scripts/make_fixtures.py --only lenet     # one model
    /usr/bin/python3 scripts/make_fixtures.py --out /tmp/fx    # another output dir

For every model it parses the .cnn file (sequential subset of the DSL),
generates the weights with the generator of runtime/Random.h (reimplemented
bit-exactly in numpy), a uniform [0, 1) input from np.random.default_rng(seed),
runs the model in float64 with PyTorch (NCHW) and writes, under <out>/<model>/:
input.npy (float32 [H, W, C]), expected.npy (float32, no batch axis; rank-3
outputs as [H, W, C]) and, for models with weights under 1 MiB,
weights.safetensors. <out>/fixtures.json indexes them ("weights": null means:
use the random-weights generator with "seed").
"""
import argparse, json, math, os, re, sys, zlib
import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = {"mnist_valid": 1, "mnist_same": 2, "mnist_strided": 3, "mnist_pool": 4, "lenet": 5, "alexnet": 6}
KNOWN_PARAMS = {"mnist_valid": 2002698, "mnist_same": 3231498, "mnist_strided": 85770,
                "mnist_pool": 113386, "lenet": 61706, "alexnet": 62378344}
SAFETENSORS_LIMIT = 1 << 20  # bytes of float32 weights
M64 = (1 << 64) - 1
REQ = object()  # marks a required attribute
OPS = {
    "conv2d": dict(filters=REQ, kernel=REQ, stride=1, padding="valid", activation="linear", use_bias="true"),
    "maxpool2d": dict(size=REQ, stride=None, padding="valid"),
    "avgpool2d": dict(size=REQ, stride=None, padding="valid"),
    "flatten": {}, "dense": dict(units=REQ, activation="linear", use_bias="true"),
    "relu": {}, "tanh": {}, "sigmoid": {}, "softmax": {}, "linear": {},
}
ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "softmax")

# ---------------------------------------------------------------- generator
def splitmix64_int(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)

def fnv1a64(key):
    h = 0xCBF29CE484222325
    for b in key.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h

def splitmix64_np(x):
    """Vectorised splitmix64 on a uint64 array (modified in place and returned)."""
    x += np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30); x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27); x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x

def random_bound(key, shape):
    """runtime/Random.h: He uniform for '.weight', 0.1 for everything else."""
    if not key.endswith(".weight"):
        return 0.1
    fan_in = math.prod(shape[1:])
    return math.sqrt(6.0 / (fan_in if fan_in > 0 else 1))

def random_tensor(shape, seed, key, bound, chunk=1 << 22):
    k = np.uint64(splitmix64_int((seed ^ fnv1a64(key)) & M64))
    n = math.prod(shape)
    out = np.empty(n, dtype=np.float32)
    with np.errstate(over="ignore"):
        for start in range(0, n, chunk):
            x = np.arange(start, min(n, start + chunk), dtype=np.uint64)
            x += k
            u = (splitmix64_np(x) >> np.uint64(40)).astype(np.float64) / float(1 << 24)
            out[start:start + len(u)] = (2.0 * u - 1.0) * bound  # double, then rounded to float
    return out.reshape(shape)

def self_test():
    assert splitmix64_int(0) == 0xE220A8397B1DCDAF  # the well-known first splitmix64 output
    seed, key, shape = 5, "conv2d.weight", (6, 1, 5, 5)
    bound = random_bound(key, shape)
    k = splitmix64_int((seed ^ fnv1a64(key)) & M64)
    got = random_tensor(shape, seed, key, bound).ravel()
    for i in range(8):
        u = (splitmix64_int((k + i) & M64) >> 40) / 2.0 ** 24
        want = np.float32((2.0 * u - 1.0) * bound)
        assert got[i] == want and got[i].tobytes() == want.tobytes(), (i, got[i], want)
    big = random_tensor((3, 5), 7, "x", 1.0, chunk=4)  # chunk boundaries must not matter
    assert np.array_equal(big, random_tensor((3, 5), 7, "x", 1.0))

# ---------------------------------------------------------------- parser
TOKEN = re.compile(r"(?P<ws>[ \t\r]+|#[^\n]*)|(?P<nl>\n)|(?P<id>[A-Za-z_]\w*)|(?P<int>\d+)|(?P<p>[{}()\[\],:=])|(?P<bad>.)")

def tokenize(text, path):
    toks, line = [], 1
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "nl":
            line += 1
        elif kind == "bad":
            sys.exit(f"{path}:{line}: unexpected character {m.group()!r}")
        elif kind != "ws":
            toks.append((kind, m.group(), line))
    toks.append(("eof", "<end of file>", line))
    return toks

def parse(path):
    """Returns dict(name, input=(H, W, C), layers=[dict(op, name, attrs)], output=name)."""
    toks, pos = tokenize(open(path).read(), path), 0
    err = lambda msg: sys.exit(f"{path}:{toks[pos][2]}: {msg} (at {toks[pos][1]!r})")
    peek = lambda o=0: toks[pos + o][1]
    def take(kind=None, value=None):
        nonlocal pos
        k, v, _ = toks[pos]
        if (kind and k != kind) or (value and v != value):
            err(f"expected {value or kind}")
        pos += 1
        return int(v) if k == "int" else v
    def value():
        if peek() != "(":
            return take("int") if toks[pos][0] == "int" else take("id")
        return ints("(", ")")
    def ints(open_, close):
        take(value=open_); vals = [take("int")]
        while peek() == ",":
            take(value=","); vals.append(take("int"))
        take(value=close)
        return tuple(vals)

    take(value="model"); model = dict(name=take("id"), input=None, layers=[], output=None); take(value="{")
    while peek() != "}":
        if peek() == "input" and peek(1) != "=":
            take(); inname = take("id"); take(value=":"); take(value="f32"); dims = ints("[", "]")
            if model["input"] or model["layers"] or len(dims) != 3:
                err("expected exactly one rank-3 input [H, W, C] before the layers")
            model["input"], model["input_name"] = dims, inname
        elif peek() == "output" and peek(1) != "=":
            take(); model["output"] = take("id")
        else:
            name = None
            if peek(1) == "=":
                name = take("id"); take(value="=")
            line, op = toks[pos][2], take("id")
            if op not in OPS:
                pos -= 1; err(f"unsupported op '{op}'")
            if model["input"] is None:
                err("layer before the input declaration")
            attrs = {}; take(value="(")
            while peek() != ")":
                key = take("id"); take(value="=")
                if key not in OPS[op] or key in attrs:
                    pos -= 2; err(f"unknown or repeated attribute '{key}' for {op}")
                attrs[key] = value()
                if peek() != ")":
                    take(value=",")
            take(value=")")
            for key, default in OPS[op].items():
                if key not in attrs:
                    if default is REQ:
                        sys.exit(f"{path}:{line}: {op} needs attribute '{key}'")
                    attrs[key] = default
            model["layers"].append(dict(op=op, name=name, attrs=attrs, where=f"{path}:{line}"))
    take(value="}"); take("eof")
    if not model["layers"]:
        err("model has no layers")
    counters = {}  # Keras-style automatic names; only unnamed layers consume a number
    for layer in model["layers"]:
        if layer["name"] is None:
            n = counters.get(layer["op"], 0); counters[layer["op"]] = n + 1
            layer["name"] = layer["op"] if n == 0 else f"{layer['op']}_{n}"
    names = [l["name"] for l in model["layers"]]
    if len(set(names)) != len(names):
        sys.exit(f"{path}: duplicate layer names {names}")
    model["output"] = model["output"] or names[-1]
    if model["output"] not in names + [model["input_name"]]:
        sys.exit(f"{path}: output '{model['output']}' is not a layer")
    return model

# ---------------------------------------------------------------- reference
def fail(layer, msg):
    sys.exit(f"{layer['where']}: {msg}")

def pair(v, what, layer):
    if isinstance(v, int) or (isinstance(v, tuple) and len(v) == 2):
        return (v, v) if isinstance(v, int) else v
    fail(layer, f"{what} must be an int or (a, b), got {v!r}")

def same_pad(n, k, s):  # TensorFlow: out = ceil(n / s), the extra row/column at the bottom/right
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2

def pads(padding, x, k, s, layer, allow_explicit):
    """Returns F.pad order (left, right, top, bottom)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        t, b = same_pad(x.shape[2], k[0], s[0]); l, r = same_pad(x.shape[3], k[1], s[1])
        return (l, r, t, b)
    if allow_explicit and isinstance(padding, int):
        return (padding,) * 4
    if allow_explicit and isinstance(padding, tuple) and len(padding) == 4:
        t, b, l, r = padding
        return (l, r, t, b)
    fail(layer, f"unsupported padding {padding!r} for {layer['op']}")

def activate(x, act, layer):
    if act not in ACTIVATIONS:
        fail(layer, f"unknown activation {act!r}")
    fns = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t,
           "softmax": lambda t: torch.softmax(t, dim=1)}  # dim 1: channels (NCHW) or features
    return fns[act](x)

def run(model, seed, image):
    """Runs the model in float64; returns (output without batch axis, {key: float32 weights})."""
    params = {}
    def weight(key, shape):
        params[key] = random_tensor(shape, seed, key, random_bound(key, shape))
        return torch.from_numpy(params[key]).double()
    x = torch.from_numpy(image).double().permute(2, 0, 1).unsqueeze(0)  # NCHW
    result = x if model["output"] == model["input_name"] else None
    for layer in model["layers"]:
        op, a, name = layer["op"], layer["attrs"], layer["name"]
        bias = a.get("use_bias", "true")
        if bias not in ("true", "false"):
            fail(layer, "use_bias must be true or false")
        if op in ("conv2d", "maxpool2d", "avgpool2d", "dense") and x.dim() != (2 if op == "dense" else 4):
            fail(layer, f"{op} applied to a rank-{x.dim() - 1} tensor")
        if op == "conv2d":
            k, s = pair(a["kernel"], "kernel", layer), pair(a["stride"], "stride", layer)
            w = weight(name + ".weight", (a["filters"], x.shape[1], k[0], k[1]))
            b = weight(name + ".bias", (a["filters"],)) if bias == "true" else None
            x = F.conv2d(F.pad(x, pads(a["padding"], x, k, s, layer, True)), w, b, stride=s)
            x = activate(x, a["activation"], layer)
        elif op in ("maxpool2d", "avgpool2d"):
            k = pair(a["size"], "size", layer)
            s = k if a["stride"] is None else pair(a["stride"], "stride", layer)
            p = pads(a["padding"], x, k, s, layer, False)
            if op == "maxpool2d":
                x = F.max_pool2d(F.pad(x, p, value=-math.inf), k, s)
            else:  # average over real pixels only
                ones = torch.ones_like(x[:, :1])
                x = F.avg_pool2d(F.pad(x, p), k, s) / F.avg_pool2d(F.pad(ones, p), k, s)
        elif op == "flatten":
            x = torch.flatten(x, 1)  # C, H, W order: the natural PyTorch model
        elif op == "dense":
            w = weight(name + ".weight", (a["units"], x.shape[1]))
            b = weight(name + ".bias", (a["units"],)) if bias == "true" else None
            x = activate(F.linear(x, w, b), a["activation"], layer)
        else:
            x = activate(x, op, layer)
        if name == model["output"]:
            result = x
    out = result[0]
    if out.dim() == 3:
        out = out.permute(1, 2, 0)  # back to channels last [H, W, C]
    return out.numpy().astype(np.float32), params

# ---------------------------------------------------------------- output
def write_safetensors(path, tensors):
    header, offset = {}, 0
    for key in sorted(tensors):
        nbytes = tensors[key].nbytes
        header[key] = {"dtype": "F32", "shape": list(tensors[key].shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)
        for key in sorted(tensors):
            f.write(np.ascontiguousarray(tensors[key], dtype="<f4").tobytes())

def rel(path):
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", help="model name (repeatable); default: all")
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures"))
    ap.add_argument("--models", default=os.path.join(ROOT, "examples", "seed"), help="directory of .cnn files")
    args = ap.parse_args()
    self_test()
    available = sorted(f[:-4] for f in os.listdir(args.models) if f.endswith(".cnn"))
    names = args.only or available
    for n in names:
        if n not in available:
            sys.exit(f"no model {n}.cnn in {args.models}")
    index_path = os.path.join(args.out, "fixtures.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else {}
    for name in names:
        cnn = os.path.join(args.models, name + ".cnn")
        model = parse(cnn)
        seed = SEEDS.get(name, zlib.crc32(name.encode()) & 0x7FFFFFFF)
        image = np.random.default_rng(seed).random(model["input"], dtype=np.float32)
        expected, params = run(model, seed, image)
        count = sum(p.size for p in params.values())
        print(f"{name}: seed {seed}, {count:,} parameters, output shape {list(expected.shape)}")
        if name in KNOWN_PARAMS:
            assert count == KNOWN_PARAMS[name], f"{name}: {count} parameters, expected {KNOWN_PARAMS[name]}"
        d = os.path.join(args.out, name); os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "input.npy"), image)
        np.save(os.path.join(d, "expected.npy"), expected)
        wpath = os.path.join(d, "weights.safetensors")
        small = count * 4 < SAFETENSORS_LIMIT
        if small:
            write_safetensors(wpath, params)
        elif os.path.exists(wpath):
            os.remove(wpath)
        flat = expected.ravel()
        print(f"  first {flat[:5].tolist()}\n  min {flat.min():.6g} max {flat.max():.6g} sum {flat.sum(dtype=np.float64):.6g}")
        index[name] = {"model": rel(cnn), "seed": seed,
                       "weights": rel(wpath) if small else None,
                       "input": rel(os.path.join(d, "input.npy")),
                       "expected": rel(os.path.join(d, "expected.npy"))}
    with open(index_path, "w") as f:
        f.write(json.dumps(dict(sorted(index.items())), indent=2) + "\n")

if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generate PyTorch reference outputs for the cnnc example models.

Run from anywhere with Debian's interpreter (it has torch and numpy):

    /usr/bin/python3 scripts/make_fixtures.py                  # examples/seed/*.cnn and examples/*.cnn
    /usr/bin/python3 scripts/make_fixtures.py --only resnet18  # one model (repeatable)
    /usr/bin/python3 scripts/make_fixtures.py --out /tmp/fx    # another output dir

For every model it parses the .cnn file (the whole DSL: named values, positional
inputs, add/concat graphs, 'output' statements, Keras-style automatic names),
generates the weights with the generator of runtime/Random.h (reimplemented
bit-exactly in numpy), runs the model in float64 with PyTorch (NCHW inside),
runs it again in float32 to show the error a float32 implementation can expect,
and writes, under <out>/<model>/:
  input.npy            float32 [H, W, C]. examples/seed models and inputs up to
                       64 KiB: uniform [0, 1) from np.random.default_rng(seed).
                       Larger inputs are not written ("input": null): the input
                       is randomTensor(shape, seed, "input", input_bound) of
                       Random.h (bound 1, or INPUT_BOUND below).
  expected.npy         float32, no batch axis; rank-3 outputs as [H, W, C].
  weights.safetensors  only for models with weights under 1 MiB ("weights": null:
                       the test calls randomWeights(seed)).
A model with several inputs has input.npy, input_1.npy, ... (in declaration
order, drawn one after another from the same default_rng(seed); the generator's
keys are "input", "input_1", ...), and one with several outputs expected.npy,
expected_1.npy, ... (in the order of its 'output' statement); their "input",
"expected" and "softmax" entries are then lists.
<out>/fixtures.json indexes them, with "tolerance" (the max abs error allowed)
and "softmax" (whether the output is a softmax, so sums to 1).
"""
import argparse, json, math, os, re, sys, time, zlib
import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED_DIR = os.path.join(ROOT, "examples", "seed")
SEEDS = {"mnist_valid": 1, "mnist_same": 2, "mnist_strided": 3, "mnist_pool": 4, "lenet": 5, "alexnet": 6,
         "resnet18": 7, "vgg16": 8, "mobilenet_v1": 9, "efficientnet_b0": 10, "mobilenet_v3_large": 11}
KNOWN_PARAMS = {"mnist_valid": 2002698, "mnist_same": 3231498, "mnist_strided": 85770,  # trainable
                "mnist_pool": 113386, "lenet": 61706, "alexnet": 62378344,
                "resnet18": 11689512, "vgg16": 138357544, "mobilenet_v1": 4231976,
                "efficientnet_b0": 5288548, "mobilenet_v3_large": 5483032}  # torchvision's
TOLERANCE = {"resnet18": 1e-4, "vgg16": 1e-4, "mobilenet_v1": 1e-4, "mobilenet_v3_large": 2e-4, "yolov3_tiny": 2e-4,
             "unet_small": 2e-5}  # default 1e-5
# The U-Net's 64x64 3x3 convs run Winograd F(4x4, 3x3), whose rounding gives 1.04e-5 on
# SSE4 (max|out| 3.7: the max(1e-4 x max|y|, ...) would allow 3.7e-4).
# Random batchnorm statistics do not normalise, so ResNet-18's residual stream
# grows ~2x in variance per block: at input bound 1 its logits reach 241 and
# PyTorch's own float32 result is 1.7e-4 off. Bound 0.1 keeps logits near 30.
INPUT_BOUND = {"resnet18": 0.1, "mobilenet_v3_large": 0.1}  # default 1.0
SAFETENSORS_LIMIT = 1 << 20  # bytes of float32 weights
INPUT_LIMIT = 64 << 10  # bytes of float32 input
M64 = (1 << 64) - 1
REQ = object()  # marks a required attribute
POOL = dict(size=REQ, stride=None, padding="valid", ceil_mode="false")
OPS = {
    "conv2d": dict(filters=REQ, kernel=REQ, stride=1, padding="valid", activation="linear", use_bias="true",
                   groups=1, dilation=1),
    "maxpool2d": POOL, "avgpool2d": dict(POOL, count_include_pad="true"), "minpool2d": POOL,
    "flatten": {}, "dense": dict(units=REQ, activation="linear", use_bias="true"),
    "batchnorm": dict(epsilon=0.001), "add": {}, "sub": {}, "mul": {}, "div": {}, "concat": {},
    "globalavgpool2d": dict(keepdims="false"), "globalmaxpool2d": dict(keepdims="false"),
    "zeropad2d": dict(padding=1), "dropout": dict(rate=0.5),
    "upsample2d": dict(scale=None, size=None, mode="nearest", align_corners=None),
    "prelu": dict(shared="false"), "lrn": dict(size=5, alpha=1e-4, beta=0.75, bias=1.0),
    "channel_shuffle": dict(groups=REQ), "slice": dict(start=0, end=REQ),
    "split": dict(parts=None, sizes=None),  # a, b = split(...): one layer per name, as the front end
    "conv2d_transpose": dict(filters=REQ, kernel=REQ, stride=1, padding="valid", output_padding=0,
                             dilation=1, groups=1, activation="linear", use_bias="true"),
    "relu": {}, "tanh": {}, "sigmoid": {}, "softmax": dict(axis=-1), "linear": {}, "relu6": {},
    "clip": dict(min=REQ, max=REQ), "leaky_relu": dict(alpha=0.3),
    "hardsigmoid": {}, "hardswish": {}, "silu": {}, "swish": {}, "gelu": dict(approximate="none"),
    "elu": dict(alpha=1.0), "softplus": {},
}
ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "softmax", "relu6", "leaky_relu", "hardsigmoid",
               "hardswish", "silu", "swish", "gelu", "elu", "softplus")  # also as activation=
PREFIX = {"maxpool2d": "max_pooling2d", "avgpool2d": "average_pooling2d", "minpool2d": "min_pooling2d",
          "batchnorm": "batch_normalization", "concat": "concatenate",
          "globalavgpool2d": "global_average_pooling2d", "globalmaxpool2d": "global_max_pooling2d",
          "zeropad2d": "zero_padding2d",
          "sub": "subtract", "mul": "multiply", "div": "divide", "upsample2d": "up_sampling2d",
          "prelu": "p_re_lu", "lrn": "local_response_normalization",
          **{op: "activation" for op in ACTIVATIONS + ("clip",)}}  # others: the op name (frontend/Builder.cpp)
MULTI_INPUT = ("add", "sub", "mul", "div", "concat")

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

def random_init(key, shape):
    """(bound, center) that runtime/Random.h uses for a weight key of this shape."""
    if key.endswith(".running_var"):
        return 0.5, 1.0
    if key.endswith(".weight") and len(shape) == 1:
        return 0.1, 1.0  # a batchnorm scale
    if key.endswith(".weight"):  # He uniform over the fan-in (every dimension but the first)
        fan_in = math.prod(shape[1:])
        return math.sqrt(6.0 / (fan_in if fan_in > 0 else 1)), 0.0
    return 0.1, 0.0  # ".bias", ".running_mean" and anything else

def random_tensor(shape, seed, key, bound, center=0.0, chunk=1 << 22):
    k = np.uint64(splitmix64_int((seed ^ fnv1a64(key)) & M64))
    n = math.prod(shape)
    out = np.empty(n, dtype=np.float32)
    with np.errstate(over="ignore"):
        for start in range(0, n, chunk):
            x = np.arange(start, min(n, start + chunk), dtype=np.uint64)
            x += k
            u = (splitmix64_np(x) >> np.uint64(40)).astype(np.float64) / float(1 << 24)
            out[start:start + len(u)] = center + (2.0 * u - 1.0) * bound  # double, then rounded to float
    return out.reshape(shape)

def self_test():
    assert splitmix64_int(0) == 0xE220A8397B1DCDAF  # the well-known first splitmix64 output
    for seed, key, shape in ((5, "conv2d.weight", (6, 1, 5, 5)), (7, "bn1.running_var", (64,)),
                             (7, "bn1.weight", (64,)), (9, "input", (4, 4, 3))):
        bound, center = random_init(key, shape) if key != "input" else (1.0, 0.0)
        k = splitmix64_int((seed ^ fnv1a64(key)) & M64)
        got = random_tensor(shape, seed, key, bound, center).ravel()
        for i in range(8):
            u = (splitmix64_int((k + i) & M64) >> 40) / 2.0 ** 24
            want = np.float32(center + (2.0 * u - 1.0) * bound)
            assert got[i].tobytes() == want.tobytes(), (key, i, got[i], want)
    big = random_tensor((3, 5), 7, "x", 1.0, chunk=4)  # chunk boundaries must not matter
    assert np.array_equal(big, random_tensor((3, 5), 7, "x", 1.0))

# ---------------------------------------------------------------- parser
TOKEN = re.compile(r"(?P<ws>[ \t\r;]+|(?:#|//)[^\n]*)|(?P<nl>\n)|(?P<id>[A-Za-z_]\w*(?:\.\w+)*)"
                   r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<p>[{}()\[\],:=-])|(?P<bad>.)")

def tokenize(text, path):
    toks, line = [], 1
    for m in TOKEN.finditer(text):
        kind, v = m.lastgroup, m.group()
        if kind == "nl":
            line += 1
        elif kind == "bad":
            sys.exit(f"{path}:{line}: unexpected character {v!r}")
        elif kind == "num":
            toks.append((kind, float(v) if any(c in v for c in ".eE") else int(v), line))
        elif kind != "ws":
            toks.append((kind, v, line))
    toks.append(("eof", "<end of file>", line))
    return toks

def parse(path):
    """Returns dict(name, inputs=[(name, (H, W, C))], outputs=[name],
    layers=[dict(op, name, inputs, attrs, where)]) with every name and input resolved;
    an input statement is a layer of op "input" (it is the next statement's input)."""
    toks, pos = tokenize(open(path).read(), path), 0
    err = lambda msg: sys.exit(f"{path}:{toks[pos][2]}: {msg} (at {toks[pos][1]!r})")
    peek = lambda o=0: toks[min(pos + o, len(toks) - 1)][1]
    def take(kind=None, value=None):
        nonlocal pos
        k, v, _ = toks[pos]
        if (kind and k != kind) or (value and v != value):
            err(f"expected {value or kind}")
        pos += 1
        return v
    def value():
        if peek() == "(":
            take(value="("); vals = [value()]
            while peek() == ",":
                take(value=","); vals.append(value())
            take(value=")")
            return tuple(vals)
        if peek() == "-":
            take(); return -take("num")
        return take("num") if toks[pos][0] == "num" else take("id")

    take(value="model"); model = dict(name=take("id"), inputs=[], layers=[], outputs=None); take(value="{")
    while peek() != "}":
        if peek() == "input" and peek(1) != "=":
            take(); inname = take("id"); take(value=":"); take(value="f32"); take(value="[")
            dims = [value()]
            while peek() == ",":
                take(value=","); dims.append(value())
            take(value="]")
            if len(dims) != 3 or not all(type(d) is int for d in dims):
                err("expected a rank-3 input [H, W, C]")
            model["inputs"].append((inname, tuple(dims)))
            model["layers"].append(dict(op="input", name=inname, inputs=[], attrs={}, where=f"{path}"))
        elif peek() == "output" and peek(1) not in ("=", "("):
            take()
            if model["outputs"]:
                err("a second output statement")
            model["outputs"] = [take("id")]
            while peek() == ",":
                take(value=","); model["outputs"].append(take("id"))
        else:
            names = []
            if peek(1) in ("=", ","):  # a name, or split's names: a, b = split(...)
                names = [take("id")]
                while peek() == ",":
                    take(value=","); names.append(take("id"))
                take(value="=")
            line, op = toks[pos][2], take("id")
            if op not in OPS:
                pos -= 1; err(f"unsupported op '{op}'")
            if not model["inputs"]:
                err("layer before the input declaration")
            inputs, attrs = [], {}; take(value="(")
            while peek() != ")":
                if peek(1) != "=":
                    inputs.append(take("id"))  # a positional argument names an input
                else:
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
            where = f"{path}:{line}"
            if op != "split":
                if len(names) > 1:
                    sys.exit(f"{where}: only split has several results")
                model["layers"].append(dict(op=op, name=(names or [None])[0], inputs=inputs, attrs=attrs,
                                            where=where))
                continue
            parts = len(attrs["sizes"]) if isinstance(attrs["sizes"], tuple) else attrs["parts"]
            if (attrs["parts"] is None) == (attrs["sizes"] is None) or parts != len(names):
                sys.exit(f"{where}: split takes parts= or sizes= and one name per part")
            for k, name in enumerate(names):  # like the front end: a layer (a slice) per result
                model["layers"].append(dict(op=op, name=name, inputs=inputs, attrs=dict(attrs, part=k),
                                            where=where))
    take(value="}"); take("eof")
    if len(model["layers"]) == len(model["inputs"]):
        err("model has no layers")
    # Names as in frontend/Builder.cpp: unnamed layers count per prefix in statement
    # order, skipping names already defined; with no positional argument the
    # input is the previous statement's result.
    taken, counters, last = set(), {}, None
    for layer in model["layers"]:
        if layer["op"] == "input":
            if layer["name"] in taken:
                fail(layer, f"'{layer['name']}' is already defined")
            taken.add(layer["name"]); last = layer["name"]
            continue
        for n in layer["inputs"]:
            if n not in taken:
                fail(layer, f"unknown name '{n}'")
        layer["inputs"] = layer["inputs"] or [last]
        want = 2 if layer["op"] in MULTI_INPUT else 1
        if len(layer["inputs"]) < want or (want == 1 and len(layer["inputs"]) > 1):
            fail(layer, f"{layer['op']} takes {'2 or more inputs' if want == 2 else 'one input'}")
        if layer["name"] is None:
            prefix = PREFIX.get(layer["op"], layer["op"])
            k = counters.get(prefix, 0)
            while (prefix if k == 0 else f"{prefix}_{k}") in taken:
                k += 1
            layer["name"], counters[prefix] = prefix if k == 0 else f"{prefix}_{k}", k + 1
        elif layer["name"] in taken:
            fail(layer, f"'{layer['name']}' is already defined")
        taken.add(layer["name"]); last = layer["name"]
    model["outputs"] = model["outputs"] or [last]
    inputs = {n for n, _ in model["inputs"]}
    for out in model["outputs"]:
        if out not in taken or out in inputs or model["outputs"].count(out) > 1:
            sys.exit(f"{path}: output '{out}' is not a layer, or is named twice")
    return model

# ---------------------------------------------------------------- reference
def fail(layer, msg):
    sys.exit(f"{layer['where']}: {msg}")

def pair(v, what, layer):
    if type(v) is int or (isinstance(v, tuple) and len(v) == 2 and all(type(e) is int for e in v)):
        return (v, v) if type(v) is int else v
    fail(layer, f"{what} must be an int or (a, b), got {v!r}")

def same_pad(n, k, s):  # TensorFlow: out = ceil(n / s), the extra row/column at the bottom/right
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2

def pads(padding, x, k, s, layer):
    """Returns F.pad order (left, right, top, bottom)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same" and k is not None:
        t, b = same_pad(x.shape[2], k[0], s[0]); l, r = same_pad(x.shape[3], k[1], s[1])
        return (l, r, t, b)
    if isinstance(padding, tuple) and len(padding) == 4 and all(type(e) is int and e >= 0 for e in padding):
        t, b, l, r = padding
        return (l, r, t, b)
    if not isinstance(padding, str):
        h, w = pair(padding, "padding", layer)
        if h >= 0 and w >= 0:
            return (w, w, h, h)
    fail(layer, f"unsupported padding {padding!r} for {layer['op']}")

def activate(x, act, layer, attrs=None):
    """attrs: a standalone activation's; activation=NAME takes the defaults."""
    if act not in ACTIVATIONS:
        fail(layer, f"unknown activation {act!r}")
    p = {**OPS[act], **(attrs or {})}
    if act == "softmax" and p["axis"] != -1:
        fail(layer, f"softmax takes axis=-1 (the channels) only, got {p['axis']!r}")
    if act == "gelu" and p["approximate"] not in ("none", "tanh"):
        fail(layer, f"gelu's approximate must be none or tanh, got {p['approximate']!r}")
    fns = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t,
           "relu6": lambda t: torch.clamp(t, 0.0, 6.0), "leaky_relu": lambda t: F.leaky_relu(t, p["alpha"]),
           "softmax": lambda t: torch.softmax(t, dim=1),  # dim 1: channels (NCHW) or features
           "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish, "silu": F.silu, "swish": F.silu,
           "gelu": lambda t: F.gelu(t, approximate=p["approximate"]), "elu": lambda t: F.elu(t, p["alpha"]),
           "softplus": F.softplus}  # beta 1, threshold 20
    return fns[act](x)

def torch_pool(op, x, k, s, p, a, layer):
    """A pool with ceil_mode or count_include_pad=false: PyTorch's own padding,
    which is symmetric (its ceil_mode rule depends on the left padding alone)."""
    ceil, cip = a["ceil_mode"], a.get("count_include_pad", "true")
    if ceil not in ("true", "false") or cip not in ("true", "false"):
        fail(layer, "ceil_mode and count_include_pad must be true or false")
    if a["padding"] == "same" or p[0] != p[1] or p[2] != p[3]:
        fail(layer, "ceil_mode/count_include_pad=false need valid or symmetric numeric padding")
    pad, ceil = (p[2], p[0]), ceil == "true"
    if op == "maxpool2d":
        return F.max_pool2d(x, k, s, pad, ceil_mode=ceil)
    if op == "minpool2d":
        return -F.max_pool2d(-x, k, s, pad, ceil_mode=ceil)
    return F.avg_pool2d(x, k, s, pad, ceil_mode=ceil, count_include_pad=cip == "true")

def apply(layer, xs, weight):
    """One statement on NCHW (or [1, N]) tensors; returns (result, whether it is a softmax)."""
    op, a, name, x = layer["op"], layer["attrs"], layer["name"], xs[0]
    bias = a.get("use_bias", "true")
    if bias not in ("true", "false"):
        fail(layer, "use_bias must be true or false")
    rank = {"dense": 2, "conv2d": 4, "maxpool2d": 4, "avgpool2d": 4, "minpool2d": 4, "globalavgpool2d": 4,
            "globalmaxpool2d": 4, "zeropad2d": 4, "upsample2d": 4, "conv2d_transpose": 4}.get(op)
    if rank and x.dim() != rank:
        fail(layer, f"{op} applied to a rank-{x.dim() - 1} tensor")
    if op == "conv2d":
        k, s, g = pair(a["kernel"], "kernel", layer), pair(a["stride"], "stride", layer), a["groups"]
        d = pair(a["dilation"], "dilation", layer)
        span = tuple(d[i] * (k[i] - 1) + 1 for i in (0, 1))  # a dilated kernel's extent, for 'same'
        if type(g) is not int or g < 1 or x.shape[1] % g or a["filters"] % g:
            fail(layer, f"groups={g!r} must divide the {x.shape[1]} input channels and the filters")
        w = weight(name + ".weight", (a["filters"], x.shape[1] // g, k[0], k[1]))
        b = weight(name + ".bias", (a["filters"],)) if bias == "true" else None
        x = F.conv2d(F.pad(x, pads(a["padding"], x, span, s, layer)), w, b, stride=s, dilation=d, groups=g)
        return activate(x, a["activation"], layer), a["activation"] == "softmax"
    if op == "conv2d_transpose":
        x = conv_transpose(x, a, layer, weight, bias)
        return activate(x, a["activation"], layer), a["activation"] == "softmax"
    if op == "dense":
        w = weight(name + ".weight", (a["units"], x.shape[1]))
        b = weight(name + ".bias", (a["units"],)) if bias == "true" else None
        return activate(F.linear(x, w, b), a["activation"], layer), a["activation"] == "softmax"
    if op in ("maxpool2d", "avgpool2d", "minpool2d"):
        k = pair(a["size"], "size", layer)
        s = k if a["stride"] is None else pair(a["stride"], "stride", layer)
        p = pads(a["padding"], x, k, s, layer)
        if a["ceil_mode"] == "true" or a.get("count_include_pad") == "false":
            return torch_pool(op, x, k, s, p, a, layer), False
        if op == "maxpool2d":  # padded cells never win
            return F.max_pool2d(F.pad(x, p, value=-math.inf), k, s), False
        if op == "minpool2d":
            return -F.max_pool2d(F.pad(-x, p, value=-math.inf), k, s), False
        if a["padding"] != "same":  # valid or explicit: PyTorch's count_include_pad=True
            return F.avg_pool2d(F.pad(x, p), k, s), False
        ones = torch.ones_like(x[:, :1])  # same (Keras): average over real pixels only
        return F.avg_pool2d(F.pad(x, p), k, s) / F.avg_pool2d(F.pad(ones, p), k, s), False
    if op == "batchnorm":
        c, eps = x.shape[1], a["epsilon"]
        if not isinstance(eps, (int, float)) or eps <= 0:
            fail(layer, f"epsilon must be a positive number, got {eps!r}")
        w, b, m, v = (weight(f"{name}.{k}", (c,)).reshape((1, c) + (1,) * (x.dim() - 2))
                      for k in ("weight", "bias", "running_mean", "running_var"))
        return (x - m) / torch.sqrt(v + eps) * w + b, False
    if op in ("add", "sub", "mul", "div"):  # one shape, or an image and a vector of its channels
        a, b = xs
        if a.dim() != b.dim():
            a, b = (t.reshape(t.shape + (1, 1)) if t.dim() == 2 else t for t in (a, b))
        if a.shape != b.shape and a.shape[1] != b.shape[1]:
            fail(layer, f"{op} of incompatible shapes {[list(t.shape[1:]) for t in xs]}")
        return {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[op](a, b), False
    if op == "concat":
        if any(t.dim() != x.dim() or t.shape[2:] != x.shape[2:] for t in xs):
            fail(layer, f"concat of incompatible shapes {[list(t.shape[1:]) for t in xs]}")
        return torch.cat(xs, dim=1), False  # the channel axis
    if op in ("globalavgpool2d", "globalmaxpool2d"):  # the max propagates NaN
        keep = {"true": True, "false": False}.get(a["keepdims"])
        if keep is None:
            fail(layer, "keepdims must be true or false")
        f = torch.mean if op == "globalavgpool2d" else torch.amax
        return f(x, dim=(2, 3), keepdim=keep), False
    if op == "zeropad2d":
        if isinstance(a["padding"], str):
            fail(layer, "zeropad2d takes padding=N, (h, w) or (top, bottom, left, right)")
        return F.pad(x, pads(a["padding"], x, None, None, layer)), False
    if op == "upsample2d":
        return upsample(x, a, layer), False
    if op in ("prelu", "lrn", "channel_shuffle", "slice", "split"):
        return channel_op(layer, x, weight), False
    if op == "flatten":
        return torch.flatten(x, 1), False  # C, H, W order: the natural PyTorch model
    if op == "dropout":
        return x, False  # identity at inference
    if op == "clip":
        lo, hi = a["min"], a["max"]
        if not all(isinstance(v, (int, float)) for v in (lo, hi)) or lo > hi:
            fail(layer, f"clip needs numbers min <= max, got {lo!r}, {hi!r}")
        return torch.clamp(x, float(lo), float(hi)), False
    return activate(x, op, layer, a), op == "softmax"

def channel_op(layer, x, weight):
    """prelu, lrn, channel_shuffle, slice and one result of split, on the channel axis
    (1: NCHW images and [1, N] vectors)."""
    op, a, c = layer["op"], layer["attrs"], x.shape[1]
    if op == "prelu":
        if a["shared"] not in ("true", "false"):
            fail(layer, "prelu's shared is true or false")
        return F.prelu(x, weight(layer["name"] + ".weight", (1,) if a["shared"] == "true" else (c,)))
    if op == "lrn":  # F.local_response_norm needs a spatial axis
        y = F.local_response_norm(x if x.dim() > 2 else x.unsqueeze(-1), a["size"], a["alpha"], a["beta"],
                                  a["bias"])
        return y.reshape(x.shape)
    if op == "channel_shuffle":
        g = a["groups"]
        if type(g) is not int or g < 1 or c % g:
            fail(layer, f"groups={g!r} must divide the {c} channels")
        return x.reshape(x.shape[0], g, c // g, *x.shape[2:]).transpose(1, 2).reshape(x.shape)
    if op == "slice":
        start, end = (v + c if v < 0 else v for v in (a["start"], a["end"]))
        if not 0 <= start < end <= c:
            fail(layer, f"slice [{a['start']}, {a['end']}) of {c} channels")
        return x[:, start:end]
    sizes = a["sizes"] if a["sizes"] is not None else c // a["parts"]
    if (a["sizes"] is not None and sum(sizes) != c) or (a["parts"] is not None and c % a["parts"]):
        fail(layer, f"split of {c} channels into {a['parts'] or a['sizes']}")
    return torch.split(x, sizes, dim=1)[a["part"]]

def conv_transpose(x, a, layer, weight, bias):
    """F.conv_transpose2d, weights [C, filters / groups, kh, kw]. Symmetric numeric padding is
    PyTorch's own; 'same' (Keras: out = in * stride, the crop max(span - stride, 0) with the odd
    row at the bottom/right) and asymmetric padding crop (or extend) PyTorch's full output."""
    name, (k, s, d) = layer["name"], (pair(a[f], f, layer) for f in ("kernel", "stride", "dilation"))
    op, g, f = pair(a["output_padding"], "output_padding", layer), a["groups"], a["filters"]
    if type(g) is not int or g < 1 or x.shape[1] % g or f % g:
        fail(layer, f"groups={g!r} must divide the {x.shape[1]} input channels and the filters")
    if any(op[i] >= max(s[i], d[i]) for i in (0, 1)):
        fail(layer, "output_padding must be smaller than the stride or the dilation")
    w = weight(name + ".weight", (x.shape[1], f // g, k[0], k[1]))
    b = weight(name + ".bias", (f,)) if bias == "true" else None
    if a["padding"] == "same":
        if op != (0, 0):
            fail(layer, "output_padding needs valid or numeric padding")
        span = [d[i] * (k[i] - 1) + 1 for i in (0, 1)]
        crop = [max(span[i] - s[i], 0) for i in (0, 1)]
        t, bt, l, r = crop[0] // 2, crop[0] - crop[0] // 2, crop[1] // 2, crop[1] - crop[1] // 2
        op = tuple(max(s[i] - span[i], 0) for i in (0, 1))
    else:
        l, r, t, bt = pads(a["padding"], x, None, None, layer)
    if t == bt and l == r:
        return F.conv_transpose2d(x, w, b, stride=s, padding=(t, l), output_padding=op, groups=g,
                                  dilation=d)
    y = F.conv_transpose2d(x, w, None, stride=s, groups=g, dilation=d)  # uncropped
    y = F.pad(y, (-l, op[1] - r, -t, op[0] - bt))  # negative pads crop
    return y if b is None else y + b.reshape(1, -1, 1, 1)

def upsample(x, a, layer):
    """F.interpolate on NCHW: scale=s | (sh, sw) (an integer scale_factor; 2 by default) or
    size=(H, W); mode nearest (PyTorch's legacy floor rule) or bilinear (align_corners bilinear only)."""
    mode, corners = a["mode"], a["align_corners"]
    if mode not in ("nearest", "bilinear"):
        fail(layer, f"upsample2d's mode must be nearest or bilinear, got {mode!r}")
    if a["scale"] is not None and a["size"] is not None:
        fail(layer, "upsample2d takes scale= or size=, not both")
    if corners is not None and (mode != "bilinear" or corners not in ("true", "false")):
        fail(layer, "align_corners is true or false, and only with mode=bilinear")
    kw = dict(mode=mode) if mode == "nearest" else dict(mode=mode, align_corners=corners == "true")
    if a["size"] is not None:
        return F.interpolate(x, size=pair(a["size"], "size", layer), **kw)
    s = pair(2 if a["scale"] is None else a["scale"], "scale", layer)
    return F.interpolate(x, scale_factor=(float(s[0]), float(s[1])), **kw)

def run(model, seed, images, params, dtype=torch.float64):
    """Runs the model in `dtype` on one image per input; returns a list, one per output, of
    (the output without batch axis as float32, ends in softmax).
    Weights come from `params` ({key: float32 array}), generated there on first use."""
    def weight(key, shape):
        if key not in params:
            params[key] = random_tensor(shape, seed, key, *random_init(key, shape))
        if params[key].shape != tuple(shape):
            sys.exit(f"{model['name']}: weight '{key}' used with shapes {params[key].shape} and {shape}")
        return torch.from_numpy(params[key]).to(dtype)
    layers, out_names = model["layers"], model["outputs"]
    last_use = {n: i for i, l in enumerate(layers) for n in l["inputs"]}
    values = {name: (torch.from_numpy(image).to(dtype).permute(2, 0, 1).unsqueeze(0), False)
              for (name, _), image in zip(model["inputs"], images)}
    for i, layer in enumerate(layers):
        if layer["op"] == "input":
            continue
        values[layer["name"]] = apply(layer, [values[n][0] for n in layer["inputs"]], weight)
        for n in layer["inputs"]:  # free what no later statement reads
            if last_use[n] == i and n not in out_names:
                values.pop(n, None)
    result = []
    for name in out_names:
        out, softmax = values[name]
        out = out[0]
        if out.dim() == 3:
            out = out.permute(1, 2, 0)  # back to channels last [H, W, C]
        result.append((out.numpy().astype(np.float32), softmax))
    return result

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

def suffixed(stem, k):
    """input, input_1, input_2, ...: the k-th input's (or output's) name."""
    return stem if k == 0 else f"{stem}_{k}"

def write_or_remove(path, keep, write):
    if keep:
        write(path)
    elif os.path.exists(path):
        os.remove(path)
    return rel(path) if keep else None

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", help="model name (repeatable); default: all")
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures"))
    ap.add_argument("--models", action="append",
                    help="directory of .cnn files (repeatable); default: examples/seed, examples, tests/models")
    args = ap.parse_args()
    self_test()
    available = {}
    for d in args.models or [SEED_DIR, os.path.join(ROOT, "examples"), os.path.join(ROOT, "tests", "models")]:
        for f in sorted(os.listdir(d)):
            if f.endswith(".cnn"):
                if f[:-4] in available:
                    sys.exit(f"model name {f[:-4]} is not unique: {available[f[:-4]]} and {os.path.join(d, f)}")
                available[f[:-4]] = os.path.join(d, f)
    names = args.only or sorted(available)
    for n in names:
        if n not in available:
            sys.exit(f"no model {n}.cnn in {args.models or 'examples/seed or examples'}")
    index_path = os.path.join(args.out, "fixtures.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else {}
    start_all = time.time()
    for name in names:
        start, cnn = time.time(), available[name]
        if re.search(r"^\s*block\s+\w+\s*\(", open(cnn).read(), re.M):
            print(f"{name}: skipped: it defines blocks, which this interpreter does not expand "
                  "(tests/models/test_torchvision.cpp checks it against torchvision)")
            continue
        model = parse(cnn)
        seed = SEEDS.get(name, zlib.crc32(name.encode()) & 0x7FFFFFFF)
        shapes = [dims for _, dims in model["inputs"]]
        rng_input = (os.path.realpath(os.path.dirname(cnn)) == os.path.realpath(SEED_DIR)
                     or sum(math.prod(s) for s in shapes) * 4 <= INPUT_LIMIT)
        if rng_input:
            rng = np.random.default_rng(seed)
            images = [rng.random(s, dtype=np.float32) for s in shapes]
        else:
            images = [random_tensor(s, seed, suffixed("input", k), INPUT_BOUND.get(name, 1.0))
                      for k, s in enumerate(shapes)]
        params = {}
        outs = run(model, seed, images, params)
        f32 = run(model, seed, images, params, torch.float32)
        err32 = max(float(np.abs(b[0].astype(np.float64) - a[0]).max()) for a, b in zip(outs, f32))
        expected, softmax = outs[0]
        frozen = sum(p.size for k, p in params.items() if k.endswith((".running_mean", ".running_var")))
        count = sum(p.size for p in params.values())
        tol = TOLERANCE.get(name, 1e-5)
        print(f"{name}: seed {seed}, {count - frozen:,} trainable + {frozen:,} non-trainable parameters, "
              f"output shapes {', '.join(str(list(o.shape)) + (' (softmax)' if s else '') for o, s in outs)}")
        if name in KNOWN_PARAMS:
            assert count - frozen == KNOWN_PARAMS[name], f"{name}: {count - frozen} trainable, expected {KNOWN_PARAMS[name]}"
        d = os.path.join(args.out, name); os.makedirs(d, exist_ok=True)
        in_rel = [write_or_remove(os.path.join(d, suffixed("input", k) + ".npy"), rng_input,
                                  lambda p, image=image: np.save(p, image)) for k, image in enumerate(images)]
        ex_rel = []
        for k, (out, _) in enumerate(outs):
            np.save(os.path.join(d, suffixed("expected", k) + ".npy"), out)
            ex_rel.append(rel(os.path.join(d, suffixed("expected", k) + ".npy")))
        w_rel = write_or_remove(os.path.join(d, "weights.safetensors"), count * 4 < SAFETENSORS_LIMIT,
                                lambda p: write_safetensors(p, params))
        flat = np.concatenate([o.ravel() for o, _ in outs])
        print(f"  first {flat[:5].tolist()}\n  min {flat.min():.6g} max {flat.max():.6g} max|out| "
              f"{np.abs(flat).max():.6g} sum {flat.sum(dtype=np.float64):.6g}\n"
              f"  float32 vs float64 max abs error {err32:.3g} (tolerance {tol:g}); {time.time() - start:.1f} s")
        if err32 > tol / 3:
            print(f"  WARNING: {name}: PyTorch's own float32 error {err32:.3g} is "
                  f"{'over' if err32 > tol else 'over a third of'} the tolerance {tol:g}")
        one = lambda v: v[0] if len(v) == 1 else v  # a list only for several inputs or outputs
        index[name] = {"model": rel(cnn), "seed": seed, "weights": w_rel,
                       "input": None if not rng_input else one(in_rel), "expected": one(ex_rel),
                       "tolerance": tol, "softmax": one([s for _, s in outs])}
        if not rng_input:
            index[name]["input_bound"] = INPUT_BOUND.get(name, 1.0)
    with open(index_path, "w") as f:
        f.write(json.dumps(dict(sorted(index.items())), indent=2) + "\n")
    print(f"total {time.time() - start_all:.1f} s")

if __name__ == "__main__":
    main()

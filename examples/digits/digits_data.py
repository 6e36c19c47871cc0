"""The digits example's data and model, shared by train.py and check.py.

scikit-learn's bundled handwritten digits (1797 8x8 images, values 0-16, ink high)
become 28x28 uint8 images: bilinear 3x upsampling to 24x24, a 2-pixel black border
(MNIST's digits also sit inside a blank margin), scaled to 0-255 and rounded. The
model sees pixel / 255, so a PNG of such an image, read with plain scaling to [0, 1],
is exactly the model's input. The model is digits.cnn, run by make_fixtures.py's
interpreter of the DSL (so the weight keys and layouts are the DSL's by construction).
"""
import os, sys
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_fixtures as mf  # noqa: E402

MODEL = os.path.join(HERE, "digits.cnn")
WEIGHTS = os.path.join(HERE, "digits.safetensors")
SPLIT_SEED = 0  # train_test_split's random_state
TEST_FRACTION = 0.25


def images_uint8():
    """All 1797 digits as uint8 [N, 28, 28] and their labels [N]."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32)).unsqueeze(1)  # [N, 1, 8, 8], 0-16
    x = F.interpolate(x, size=(24, 24), mode="bilinear", align_corners=False)
    x = F.pad(x, (2, 2, 2, 2))
    x = torch.clamp(torch.round(x * (255.0 / 16.0)), 0, 255)
    return x[:, 0].numpy().astype(np.uint8), d.target.astype(np.int64)


def split():
    """(train images, train labels, test images, test labels): a fixed, stratified split."""
    from sklearn.model_selection import train_test_split
    x, y = images_uint8()
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED,
                                          stratify=y)
    return xtr, ytr, xte, yte


def to_input(u8):
    """uint8 [N, 28, 28] -> the model's float32 input [N, 28, 28, 1] (HWC, pixel / 255)."""
    return (u8.astype(np.float32) / np.float32(255.0))[..., None]


def parse(logits=False):
    """digits.cnn parsed; logits=True drops the final softmax (training uses cross entropy)."""
    model = mf.parse(MODEL)
    if logits:
        last = next(l for l in model["layers"] if l["name"] == model["outputs"][0])
        last["attrs"]["activation"] = "linear"
    return model


def forward(model, x, params, init=None):
    """The model on a batch x: float [N, H, W, C] (numpy or torch). params: {key: tensor};
    init(key, shape), if given, makes the ones missing on first use."""
    x = torch.as_tensor(x).permute(0, 3, 1, 2)
    def weight(key, shape):
        if key not in params and init:
            params[key] = init(key, shape)
        if tuple(params[key].shape) != tuple(shape):
            sys.exit(f"weight '{key}' has shape {tuple(params[key].shape)}, the model wants {shape}")
        return params[key]
    values = {model["inputs"][0][0]: x}
    for layer in model["layers"]:
        if layer["op"] != "input":
            values[layer["name"]] = mf.apply(layer, [values[n] for n in layer["inputs"]], weight)[0]
    return values[model["outputs"][0]]


def load_weights(path=WEIGHTS):
    """A .safetensors of float32 tensors (as make_fixtures.write_safetensors writes them)."""
    import json
    blob = open(path, "rb").read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    out = {}
    for key, h in header.items():
        if key == "__metadata__":
            continue
        a, b = h["data_offsets"]
        out[key] = torch.from_numpy(np.frombuffer(blob[8 + n + a:8 + n + b], dtype="<f4")
                                    .reshape(h["shape"]).copy())
    return out

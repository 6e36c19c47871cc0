#!/usr/bin/python3
"""The digits example end to end (the ctest examples.digits): the whole test split
through cnnc in one batched run, and the ten PNGs in another (cnnc run --image).

    /usr/bin/python3 examples/digits/check.py build/tools/cnnc/cnnc [--tmp DIR]

Fails unless cnnc's test accuracy is at least 97%, each of cnnc's predictions equals
PyTorch's (float32, make_fixtures.py's interpreter of digits.cnn on the committed
weights), and each N.png decodes (pixel / 255) to a test image that cnnc classifies as N.
No training here: the weights are committed (train.py writes them).
"""
import argparse, os, subprocess, sys, tempfile
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data as dd  # noqa: E402

MIN_ACCURACY = 0.97


def cnnc_run(cnnc, x, tmp, stem, images=None):
    """cnnc run digits.cnn on the batch x [N, 28, 28, 1], or on the image files `images`
    (--image: decoded, pixel / 255); returns its output [N, 10]."""
    xp, yp = os.path.join(tmp, stem + "_x.npy"), os.path.join(tmp, stem + "_y.npy")
    np.save(xp, x)
    given = ["--input", xp] if images is None else [a for f in images for a in ("--image", f)]
    cmd = [cnnc, "run", dd.MODEL, "--weights", dd.WEIGHTS, *given, "--batch", str(len(x)),
           "--output", yp]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    y = np.load(yp)
    if y.shape != (len(x), 10):
        sys.exit(f"FAIL: cnnc's output has shape {y.shape}, expected {(len(x), 10)}")
    return y


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cnnc", help="the cnnc executable")
    ap.add_argument("--tmp", help="directory for the .npy files (default: a temporary one)")
    args = ap.parse_args()
    _, _, xte, yte = dd.split()
    x = dd.to_input(xte)
    params = dd.load_weights()
    with torch.no_grad():
        ref = dd.forward(dd.parse(), x, params).numpy()
    failures = []
    with tempfile.TemporaryDirectory() as t:
        tmp = args.tmp or t
        y = cnnc_run(args.cnnc, x, tmp, "test")
        pred, ref_pred = y.argmax(1), ref.argmax(1)
        acc = (pred == yte).mean()
        print(f"cnnc: test accuracy {acc:.4f} ({(pred == yte).sum()} of {len(yte)}); PyTorch's "
              f"{(ref_pred == yte).mean():.4f}; max |cnnc - PyTorch| {np.abs(y - ref).max():.3g}")
        if acc < MIN_ACCURACY:
            failures.append(f"accuracy {acc:.4f} is under {MIN_ACCURACY}")
        for i in np.flatnonzero(pred != ref_pred):
            failures.append(f"test image {i} (a {yte[i]}): cnnc says {pred[i]}, PyTorch {ref_pred[i]}")
        pngs = np.stack([np.array(Image.open(os.path.join(dd.HERE, f"{c}.png"))) for c in range(10)])
        for c in range(10):
            if pngs[c].shape != (28, 28) or not (xte == pngs[c]).all(axis=(1, 2)).any():
                failures.append(f"{c}.png is not a 28x28 image of the test split")
        files = [os.path.join(dd.HERE, f"{c}.png") for c in range(10)]
        y_png = cnnc_run(args.cnnc, dd.to_input(pngs), tmp, "png", images=files)
        # --image scales by a multiply-add (x * (1/255)), numpy divides: an ulp apart.
        if not np.allclose(y_png, cnnc_run(args.cnnc, dd.to_input(pngs), tmp, "pngx"), atol=1e-6):
            failures.append("--image and the same pixels / 255 as .npy give different outputs")
        png_pred = y_png.argmax(1)
        print(f"cnnc on 0.png ... 9.png: {' '.join(map(str, png_pred))}")
        failures += [f"{c}.png: cnnc says {p}" for c, p in enumerate(png_pred) if p != c]
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Trains digits.cnn (the notes' mnist_pool) on scikit-learn's handwritten digits and
writes digits.safetensors and one test digit per class as 0.png ... 9.png.

    /usr/bin/python3 examples/digits/train.py     # about 35 s on one (busy) core

PyTorch on the CPU, one thread, seed 0: on the same machine and PyTorch it writes the
committed files bit for bit (other CPUs may round differently; the accuracy does not
change). The data (digits_data.py): 1797 8x8 digits upsampled to 28x28 uint8, a
stratified 75/25 train/test split with random_state 0 (1347 train, 450 test). Training
never sees the test split; check.py (a ctest) runs it through cnnc.
The PNGs are the first test image of each class that the model classifies correctly,
as 28x28 8-bit grayscale: read as pixel / 255 they are the model's input exactly.
"""
import math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data as dd  # noqa: E402

SEED, EPOCHS, BATCH, LR = 0, 16, 32, 1e-3


def init(key, shape):
    """He uniform weights over the fan-in (ReLU layers), zero biases."""
    if key.endswith(".bias"):
        return torch.nn.Parameter(torch.zeros(shape))
    bound = math.sqrt(6.0 / math.prod(shape[1:]))
    return torch.nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


def accuracy(model, params, x, y):
    with torch.no_grad():
        return (dd.forward(model, x, params).argmax(1).numpy() == y).mean()


def main():
    start = time.time()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    xtr, ytr, xte, yte = dd.split()
    xtr_f, xte_f = torch.from_numpy(dd.to_input(xtr)), dd.to_input(xte)
    ytr_t = torch.from_numpy(ytr)
    model = dd.parse(logits=True)
    params = {}
    dd.forward(model, xtr_f[:1], params, init)  # creates every parameter, in layer order
    opt = torch.optim.Adam(params.values(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    for epoch in range(EPOCHS):
        order = torch.randperm(len(xtr_f))
        total = 0.0
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            loss = F.cross_entropy(dd.forward(model, xtr_f[idx], params), ytr_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        print(f"epoch {epoch + 1:2d}: loss {total / len(order):.4f}, train accuracy "
              f"{accuracy(model, params, xtr_f, ytr):.4f}, {time.time() - start:.1f} s")
    weights = {k: p.detach().numpy().astype(np.float32) for k, p in params.items()}
    probs = dd.parse()
    with torch.no_grad():
        pred = dd.forward(probs, xte_f, {k: torch.from_numpy(v) for k, v in weights.items()})
    pred = pred.argmax(1).numpy()
    print(f"test accuracy {(pred == yte).mean():.4f} ({(pred == yte).sum()} of {len(yte)})")
    dd.mf.write_safetensors(dd.WEIGHTS, weights)
    for c in range(10):
        i = next(i for i in range(len(yte)) if yte[i] == c and pred[i] == c)
        Image.fromarray(xte[i], mode="L").save(os.path.join(dd.HERE, f"{c}.png"), optimize=True)
    print(f"wrote {os.path.relpath(dd.WEIGHTS)} and 0.png ... 9.png; {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()

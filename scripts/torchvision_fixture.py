#!/usr/bin/python3
"""Run one of torchvision's models on the weights of cnnc's shared generator,
and write what a cnnc test needs to check that a .cnn model is the same model:

    /usr/bin/python3 scripts/torchvision_fixture.py efficientnet_b0 --out DIR [--seed 10] [--bound 1]

Every floating-point tensor of the model's state_dict gets the values
runtime/Random.h's randomWeights(seed) gives that key (make_fixtures.py's
generator, bit for bit); integer ones (batchnorm's num_batches_tracked) stay.
The input is randomTensor([H, W, C], seed, "input", bound). Writes, in DIR:
  NAME.safetensors      the state_dict as torch has it, keys and dtypes unchanged
  NAME-input.npy        the input, float32 [H, W, C]
  NAME-expected.npy     torchvision's output, computed in float64, as float32
tests/models/test_torchvision.cpp runs it and compares examples/NAME.cnn.
"""
import argparse, json, os, sys
import numpy as np
import torch, torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import random_init, random_tensor  # noqa: E402

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, state):
    header, blobs, offset = {}, [], 0
    for key, t in state.items():
        if t.dtype not in DTYPES:
            sys.exit(f"{key}: dtype {t.dtype} is not written")
        name, np_type = DTYPES[t.dtype]
        data = np.ascontiguousarray(t.numpy(), dtype=np_type).tobytes()
        header[key] = {"dtype": name, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little") + head + b"".join(blobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a torchvision.models constructor, e.g. efficientnet_b0")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bound", type=float, default=1.0, help="the input's bound (default 1)")
    ap.add_argument("--size", type=int, default=224, help="the input's height and width (default 224)")
    a = ap.parse_args()
    model = getattr(torchvision.models, a.model)().eval()
    state = model.state_dict()
    for key, t in state.items():
        if t.is_floating_point():
            shape = tuple(t.shape)
            t.copy_(torch.from_numpy(random_tensor(shape, a.seed, key, *random_init(key, shape))))
    model.load_state_dict(state)
    image = random_tensor((a.size, a.size, 3), a.seed, "input", a.bound)
    with torch.no_grad():
        y = model.double()(torch.from_numpy(image).double().permute(2, 0, 1).unsqueeze(0))[0]
    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, a.model + ".safetensors"), state)
    np.save(os.path.join(a.out, a.model + "-input.npy"), image)
    np.save(os.path.join(a.out, a.model + "-expected.npy"), y.numpy().astype(np.float32))
    print(f"{a.model}: {len(state)} tensors, output {list(y.shape)}, max |y| {y.abs().max().item():.4g}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Fails if a generated kernel spills a vector register inside an innermost loop.

    python3 scripts/check_spills.py CNNC [MODEL.cnn ...]

For each model (default: ResNet-18, VGG-16, MobileNet v1, AlexNet, LeNet, and AlexNet
compiled for a batch of 7: the batched dense GEMM) and each target (host, avx2), runs
`CNNC --target T --dump-asm FILE MODEL` and reads LLVM's
verbose assembly: every spill or reload carries a comment ("# 64-byte Spill") and
every loop block its depth ("This Inner Loop Header: Depth=5"). A vector spill
(a store of 16 bytes or more to the stack) in an innermost loop -- the FMA loops of
the conv tiles, the dense and pooling loops -- is an error: a value that changes
every iteration (an accumulator) no longer fits in the registers. A reload there of
a value spilled before the loop is a loop-invariant operand (an exp polynomial's
constants in a softmax on AVX2's 16 registers), as cheap as a constant-pool load;
it is counted, as are spills outside innermost loops (a tanh epilogue over 28 live
accumulators, say), but not failed.
"""
import os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["examples/resnet18.cnn", "examples/vgg16.cnn", "examples/mobilenet_v1.cnn",
          "examples/seed/alexnet.cnn", "examples/seed/lenet.cnn", "examples/seed/alexnet.cnn:7"]
SPILL = re.compile(r"(\d+)-byte (?:Folded )?(Spill|Reload)")


def spills(asm):
    """(innermost-loop vector spills by function, other vector spills and reloads)."""
    inner, other, fn, in_inner = {}, 0, None, False
    for line in asm.splitlines():
        m = re.match(r"^([A-Za-z_]\w*):", line)
        if m:
            fn, in_inner = m.group(1), False
            continue
        if re.match(r"^(\.LBB\w+:|# %bb)", line):
            in_inner = False  # a new block; its loop comments follow
        if line.lstrip().startswith("#") or line.startswith(".LBB"):
            if "Inner Loop Header" in line:
                in_inner = True
        m = SPILL.search(line)
        if m and int(m.group(1)) >= 16:
            if in_inner and m.group(2) == "Spill":
                inner[fn] = inner.get(fn, 0) + 1
            else:
                other += 1
    return inner, other


def main():
    cnnc, models = sys.argv[1], sys.argv[2:] or [os.path.join(ROOT, m) for m in MODELS]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            for target in ("host", "avx2"):
                out = os.path.join(tmp, "k.s")
                path, _, batch = model.partition(":")  # MODEL:N compiles for a batch of N
                cmd = [cnnc, "--target", target, "--dump-asm", out, path]
                if batch:
                    cmd = [cnnc, "bench", "--batch", batch, "--runs", "1"] + cmd[1:]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                asm = open(out).read()
                if "Inner Loop Header" not in asm:
                    sys.exit(f"{model}: no loop comments in the assembly (not verbose?)")
                inner, other = spills(asm)
                name = os.path.basename(path) + (f" batch {batch}" if batch else "")
                print(f"{name:18} {target:5} vector spills in innermost loops: "
                      f"{sum(inner.values())}; other vector spills and reloads: {other}")
                for fn, n in sorted(inner.items()):
                    print(f"  {fn}: {n}")
                    failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

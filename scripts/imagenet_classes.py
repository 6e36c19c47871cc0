#!/usr/bin/python3
"""Writes data/imagenet_classes.txt: ImageNet's 1000 class names, one a line in
class-index order, as torchvision's own list (the weights' meta["categories"]).

    /usr/bin/python3 scripts/imagenet_classes.py
"""
import os

from torchvision.models import ResNet18_Weights

names = ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
assert len(names) == 1000
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "imagenet_classes.txt")
with open(path, "w") as f:
    f.write("".join(n + "\n" for n in names))
print(f"wrote {path}: {len(names)} classes")

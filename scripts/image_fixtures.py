#!/usr/bin/python3
"""Test images and their torchvision references for cnnc's image input.

    /usr/bin/python3 scripts/image_fixtures.py   # writes tests/fixtures/images/

Writes, with Debian's PIL and torchvision:
  photo.jpg, small.jpg, photo.png, gray.png, rgba.png, tall.png   synthetic images
  ref_<case>.npy   torchvision's Resize + CenterCrop + ToTensor of each case, as
                   float32 [H, W, C] (before Normalize: tests compare within 1/255)
  cases.json       {case: {image, channels, height, width, resize, crop}}; resize 0
                   means Resize((height, width)) with no crop, as cnnc's Preprocess
  hostile/         images cnnc must refuse with a clear error (truncated, corrupt,
                   0x0, a 100000x100000 header, CMYK), also the seeds of fuzz/image.cpp
The references follow cnnc's rule for a model input other than crop x crop:
the shorter side goes to floor(min(H, W) * resize / crop), then the centre H x W.
"""
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image
from torchvision import transforms

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "images")


def synthetic(width, height, seed):
    """Gradients, a disc and a little noise: edges and smooth parts, small as a JPEG."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = np.where((x - width / 2) ** 2 + (y - height / 3) ** 2 < (min(width, height) / 4) ** 2, 230, 40)
    rgb = np.stack([r, g, b], -1) + rng.normal(0, 6, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def reference(image, channels, height, width, resize, crop):
    img = image.convert({1: "L", 3: "RGB", 4: "RGBA"}[channels])
    if resize == 0:
        steps = [transforms.Resize((height, width))]
    else:
        steps = [transforms.Resize(min(height, width) * resize // crop), transforms.CenterCrop((height, width))]
    t = transforms.Compose(steps + [transforms.ToTensor()])(img)
    return t.permute(1, 2, 0).numpy().astype(np.float32)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width, height):
    """A PNG whose IHDR claims width x height, with a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_with_size(data, width, height):
    """The JPEG with its frame header (SOF0) patched to claim width x height."""
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


def write_hostile(photo_jpg, photo_png):
    out = os.path.join(OUT, "hostile")
    os.makedirs(out, exist_ok=True)
    files = {
        "truncated.jpg": photo_jpg[: len(photo_jpg) // 2],
        "truncated.png": photo_png[: len(photo_png) // 2],
        "zero.png": png_header_only(0, 0),
        "bomb.png": png_header_only(100000, 100000),
        "wide.png": png_header_only(70000, 10),  # few pixels, a side over JPEG's 65535
        "bomb.jpg": jpeg_with_size(photo_jpg, 65000, 65000),
        "zero.jpg": jpeg_with_size(photo_jpg, 0, 0),
        "notimage.png": b"GIF89a not an image cnnc reads",
    }
    # Scan data with its middle overwritten: libjpeg would decode gray blocks.
    corrupt = bytearray(photo_jpg)
    start = photo_jpg.index(b"\xff\xda") + 20
    for i in range(start, start + 200):
        corrupt[i] = 0xFF if i % 2 else 0xD9 - (i % 3)
    files["corrupt.jpg"] = bytes(corrupt)
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    Image.new("CMYK", (8, 8), (10, 20, 30, 40)).save(os.path.join(out, "cmyk.jpg"))


def main():
    os.makedirs(OUT, exist_ok=True)
    Image.fromarray(synthetic(96, 72, 1)).save(os.path.join(OUT, "photo.jpg"), quality=80)
    Image.fromarray(synthetic(61, 45, 2)).save(os.path.join(OUT, "photo.png"))
    Image.fromarray(synthetic(40, 30, 3)[:, :, 1]).save(os.path.join(OUT, "gray.png"))
    rgba = np.concatenate([synthetic(33, 21, 4), np.full((21, 33, 1), 128, np.uint8)], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "rgba.png"))
    Image.fromarray(synthetic(20, 50, 5)).save(os.path.join(OUT, "tall.png"))
    Image.fromarray(synthetic(24, 16, 6)).save(os.path.join(OUT, "small.jpg"), quality=90)
    cases = {
        "jpg_rgb_24": ("photo.jpg", 3, 24, 24, 256, 224),  # downscale 72 -> 27, crop 24
        "jpg_own_size": ("small.jpg", 3, 16, 24, 0, 224),  # no resize: the decode itself
        "png_rgb_wide": ("photo.png", 3, 20, 24, 256, 224),  # a non-square input
        "png_upscale": ("tall.png", 3, 24, 24, 256, 224),  # an upscale, 20x50 to 27x67
        "gray_to_rgb": ("gray.png", 3, 16, 16, 256, 224),
        "rgb_to_gray": ("photo.jpg", 1, 28, 28, 0, 224),  # a digit model: straight to 28x28
        "rgba_to_rgb": ("rgba.png", 3, 12, 12, 256, 224),
        "tall_odd_crop": ("tall.png", 3, 11, 11, 256, 224),
    }
    for name, (image, channels, height, width, resize, crop) in cases.items():
        ref = reference(Image.open(os.path.join(OUT, image)), channels, height, width, resize, crop)
        np.save(os.path.join(OUT, f"ref_{name}.npy"), ref)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        keys = ("image", "channels", "height", "width", "resize", "crop")
        json.dump({n: dict(zip(keys, c)) for n, c in cases.items()}, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "photo.jpg"), "rb") as f:
        jpg = f.read()
    with open(os.path.join(OUT, "photo.png"), "rb") as f:
        png = f.read()
    write_hostile(jpg, png)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes tests/fixtures/npy_dtypes/: .npy files of every dtype cnnc converts to
float32, each with NAME.want.npy (numpy's own astype(float32), C order).

    /usr/bin/python3 scripts/npy_fixtures.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "npy_dtypes")

CASES = {
    "float64": np.array([[1.5, -2.25], [1e300, 3]], "<f8"),  # 1e300 is inf in float32
    "float16": np.array([1.0, -0.5, 65504, 6e-8, np.inf, -0.0, np.nan], "<f2"),
    "uint8": np.array([0, 7, 255], "|u1"),
    "int8": np.array([-128, 0, 127], "|i1"),
    "int16": np.array([-32768, 5, 32767], "<i2"),
    "uint16": np.array([0, 65535], "<u2"),
    "int32": np.array([-2147483648, 16777217], "<i4"),
    "uint32": np.array([4294967295], "<u4"),
    "int64": np.array([-3, 1 << 40], "<i8"),
    "uint64": np.array([1 << 63], "<u8"),
    "bool": np.array([True, False, True], "|b1"),
    "bigendian_float32": np.array([1.5, -2], ">f4"),
    "bigendian_int32": np.array([-7, 9], ">i4"),
    "fortran_float64": np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4)),
    "fortran_uint8_image": np.asfortranarray(np.arange(4 * 5 * 3, dtype="|u1").reshape(4, 5, 3)),
}

os.makedirs(OUT, exist_ok=True)
with np.errstate(over="ignore"):
    for name, a in CASES.items():
        np.save(os.path.join(OUT, name + ".npy"), a)
        np.save(os.path.join(OUT, name + ".want.npy"), np.ascontiguousarray(a).astype("<f4"))
print(f"wrote {len(CASES)} arrays to {OUT}")

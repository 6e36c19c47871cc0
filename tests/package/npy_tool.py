"""tests/package/aarch64.cmake's numpy steps (CMake lists split at ';').
  npy_tool.py random OUT.npy 224,224,3     a seeded random input in [0, 1)
  npy_tool.py compare A.npy B.npy TOL NAME   max|a - b| / max|b| <= TOL, or exit 1
"""
import sys

import numpy as np

if sys.argv[1] == "random":
    dims = tuple(int(d) for d in sys.argv[3].split(","))
    np.save(sys.argv[2], np.random.default_rng(3).random(dims, dtype=np.float32))
else:
    a, b = np.load(sys.argv[2]), np.load(sys.argv[3])
    err = float(abs(a.astype(np.float64) - b).max() / abs(b).max())
    print(f"{sys.argv[5]}: aarch64 vs x86 JIT, max error / max |y| = {err:.2e}")
    sys.exit(0 if a.shape == b.shape and err <= float(sys.argv[4]) else 1)

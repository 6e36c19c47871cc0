"""Shared helpers of the Python module's tests (run by ctest: tests/CMakeLists.txt sets
PYTHONPATH to build/python, CNNC_CLI to the cnnc tool and CNNC_SOURCE_DIR)."""
import os
import pathlib
import subprocess

import numpy as np
import pytest

import cnnc

SRC = pathlib.Path(os.environ.get("CNNC_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CLI = os.environ.get("CNNC_CLI", str(SRC / "build" / "tools" / "cnnc" / "cnnc"))
LENET = SRC / "examples" / "seed" / "lenet.cnn"


def random_inputs(model, seed):
    """The inputs of `cnnc run --random-input SEED`: keys input, input_1, ..."""
    return [cnnc.random_input(s, seed, f"input_{k}" if k else "input")
            for k, s in enumerate(model.input_shapes)]


def run_cli(*args):
    """Runs the cnnc tool; returns (exit code, stdout, stderr)."""
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def lenet():
    model = cnnc.compile(LENET)
    model.random_weights(5)
    return model


def as_tuple(y):
    return y if isinstance(y, tuple) else (y,)

"""Every example model through the Python module against the C++ API: the
outputs equal `cnnc run`'s (same random weights and input) bit for bit, and
match the PyTorch fixtures of tests/fixtures/fixtures.json."""
import json
import sys

import numpy as np
import pytest

import cnnc
from conftest import SRC, as_tuple, random_inputs, run_cli

EXAMPLES = sorted(p.relative_to(SRC).as_posix()
                  for p in [*SRC.glob("examples/*.cnn"), *SRC.glob("examples/seed/*.cnn")])
sys.path.insert(0, str(SRC / "scripts"))
from make_fixtures import random_tensor  # noqa: E402  (the generator of runtime/Random.h)

FIXTURES = json.loads((SRC / "tests/fixtures/fixtures.json").read_text())


def test_the_examples_are_there():
    assert len(EXAMPLES) >= 13, EXAMPLES  # 7 in examples/, 6 in examples/seed/


@pytest.mark.parametrize("rel", EXAMPLES)
def test_example_equals_cnnc_run(rel, tmp_path):
    model = cnnc.compile(SRC / rel)
    model.random_weights(3)
    got = as_tuple(model(*random_inputs(model, 4)))
    out = tmp_path / "y.npz"
    code, _, err = run_cli("run", SRC / rel, "--random-weights", 3, "--random-input", 4,
                           "--output", out)
    assert code == 0, err
    want = np.load(out)
    assert len(got) == len(model.output_names) == len(want.files)
    for name, y in zip(model.output_names, got):
        assert y.dtype == np.float32 and y.flags.c_contiguous
        np.testing.assert_array_equal(y, want[name], err_msg=f"{rel} output {name}")


def fixture_inputs(fx, model):
    if fx["input"] is None:  # the shared generator's, as tests/models/test_pytorch.cpp makes it
        return [random_tensor(s, fx["seed"], f"input_{k}" if k else "input", fx.get("input_bound", 1.0))
                for k, s in enumerate(model.input_shapes)]
    paths = fx["input"] if isinstance(fx["input"], list) else [fx["input"]]
    return [np.load(SRC / p) for p in paths]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_matches_pytorch(name):
    fx = FIXTURES[name]
    model = cnnc.compile(SRC / fx["model"])
    if fx["weights"] is None:
        model.random_weights(fx["seed"])
    else:
        model.load_weights(SRC / fx["weights"])
    got = as_tuple(model(*fixture_inputs(fx, model)))
    expected = fx["expected"] if isinstance(fx["expected"], list) else [fx["expected"]]
    assert len(got) == len(expected)
    for y, path in zip(got, expected):
        np.testing.assert_allclose(y, np.load(SRC / path), rtol=0, atol=fx["tolerance"])

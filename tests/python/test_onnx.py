"""cnnc.compile("model.onnx"): the fixtures of scripts/make_onnx_fixtures.py run
in the ONNX graph's own layout (NCHW in, the graph's shapes out) against
PyTorch in float64 on four targets, bit for bit like `cnnc run MODEL.onnx`,
batched, and the malformed models of tests/onnx/errors end in their error."""
import json

import numpy as np
import pytest

import cnnc
from conftest import SRC, run_cli

ONNX = SRC / "tests" / "onnx"
FIXTURES = json.loads((ONNX / "fixtures.json").read_text())
ERRORS = json.loads((ONNX / "errors.json").read_text())
TARGETS = ["host", "avx2", "sse4", "generic"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_matches_pytorch_in_nchw(name, target):
    model = cnnc.compile(ONNX / f"{name}.onnx", target=target, check_arena=True)
    x, want = np.load(ONNX / f"{name}.x.npy"), np.load(ONNX / f"{name}.y.npy")
    assert model.channels_first
    assert model.input_shape == x.shape and model.output_shape == want.shape
    y = model(x)
    assert y.shape == want.shape and y.dtype == np.float32
    # tests/onnx/test_onnx.cpp's bound: PyTorch float32's own error, or 1e-4 of the peak
    bound = max(1e-4 * np.abs(want).max(), 4 * FIXTURES[name]["err32"])
    np.testing.assert_allclose(y, want, rtol=0, atol=bound)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_onnx_equals_cnnc_run(name, tmp_path):
    model = cnnc.compile(ONNX / f"{name}.onnx")
    out = tmp_path / "y.npy"
    code, _, err = run_cli("run", ONNX / f"{name}.onnx", "--input", ONNX / f"{name}.x.npy",
                           "--output", out)
    assert code == 0, err
    np.testing.assert_array_equal(model(np.load(ONNX / f"{name}.x.npy")), np.load(out))


def test_onnx_batch_and_repr():
    one = cnnc.compile(ONNX / "graph.onnx")
    three = cnnc.compile(ONNX / "graph.onnx", batch=3)
    assert three.input_shape == (3, 4, 9, 11) and three.output_shape == (3, 5)
    assert "input [3, 4, 9, 11]" in repr(three) and "batch 3" in repr(three)
    rng = np.random.default_rng(7)
    xs = rng.random((3, 4, 9, 11), dtype=np.float32)
    ys = three(xs)
    for i in range(3):
        np.testing.assert_allclose(ys[i:i + 1], one(xs[i:i + 1]), rtol=0, atol=1e-6)
    # a strided (non-contiguous) input is converted like any other
    np.testing.assert_array_equal(three(np.asfortranarray(xs)), ys)


def test_a_cnn_model_stays_channels_last(lenet):
    assert not lenet.channels_first and lenet.input_shape == (32, 32, 1)


def test_the_wrong_layout_names_the_nchw_shape():
    model = cnnc.compile(ONNX / "graph.onnx")
    with pytest.raises(cnnc.Error, match=r"must be \[1, 4, 9, 11\] \(the ONNX graph's NCHW"):
        model(np.zeros((1, 9, 11, 4), np.float32))


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_onnx_files_raise_their_error(name):
    path = ONNX / "errors" / f"{name}.onnx"
    with pytest.raises(cnnc.Error) as e:
        cnnc.compile(path)
    assert str(e.value).startswith(f"{path}: error: ") and ERRORS[name] in str(e.value)

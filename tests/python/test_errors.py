"""cnnc.Error carries the CLI's located diagnostics; bad inputs, weights and
options are errors, never crashes."""
import numpy as np
import pytest

import cnnc
from conftest import LENET, SRC, run_cli

ERRORS = sorted((SRC / "tests" / "error").glob("*.cnn"))


def test_bad_source_is_located():
    src = "model m {\n  input x: f32[8, 8, 3]\n  conv2d(filters=4, kernel=3, bogus=1)\n}\n"
    with pytest.raises(cnnc.Error) as e:
        cnnc.compile(src)
    assert "<string>:3:" in str(e.value) and "error:" in str(e.value)
    assert isinstance(e.value, RuntimeError)


@pytest.mark.parametrize("path", ERRORS[:: max(1, len(ERRORS) // 12)], ids=lambda p: p.name)
def test_file_errors_equal_the_cli(path):
    with pytest.raises(cnnc.Error) as e:
        cnnc.compile(path)
    code, _, err = run_cli("summary", path)
    assert code == 1
    assert str(e.value).strip() == err.strip()
    assert f"{path}:" in str(e.value)


def test_missing_file():
    with pytest.raises(cnnc.Error, match="no_such.cnn"):
        cnnc.compile("no_such.cnn")


def test_bad_options():
    with pytest.raises(cnnc.Error, match="target"):
        cnnc.compile(LENET, target="riscv")
    with pytest.raises(TypeError):
        cnnc.compile(LENET, 1)  # the options are keywords


def test_wrong_shapes_and_counts(lenet):
    with pytest.raises(cnnc.Error, match=r"shape \[32, 32, 3\].*expects \[32, 32, 1\]"):
        lenet(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(cnnc.Error, match="1 input"):
        lenet(np.zeros((32, 32, 1), np.float32), np.zeros((32, 32, 1), np.float32))
    with pytest.raises(cnnc.Error, match="got 0 tensors"):
        lenet()
    with pytest.raises(TypeError, match="not an array"):
        lenet("image")
    with pytest.raises(TypeError):
        lenet(object())


def test_no_weights():
    m = cnnc.compile(LENET)
    with pytest.raises(cnnc.Error, match="no weights"):
        m(np.zeros(m.input_shape, np.float32))


def test_bad_weights(lenet, tmp_path):
    w = lenet.random_weights(1)
    key = next(iter(w))
    with pytest.raises(cnnc.Error, match="missing weight"):
        lenet.load_weights({k: v for k, v in w.items() if k != key})
    with pytest.raises(cnnc.Error, match=f"weight '{key}' has shape"):
        lenet.load_weights({**w, key: np.zeros((2, 2), np.float32)})
    with pytest.raises(cnnc.Error, match="unexpected weight 'extra'"):
        lenet.load_weights({**w, "extra": np.zeros(3, np.float32)})
    with pytest.raises(TypeError, match="not an array"):
        lenet.load_weights({**w, key: "nope"})
    with pytest.raises(TypeError, match="load_weights takes"):
        lenet.load_weights(42)
    with pytest.raises(cnnc.Error, match="missing.safetensors"):
        lenet.load_weights(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x01\x02")
    with pytest.raises(cnnc.Error, match="bad.safetensors"):
        lenet.load_weights(str(bad))
    # A failed load leaves the model as it was: it still runs.
    assert lenet(np.zeros(lenet.input_shape, np.float32)).shape == (10,)

"""A float32, C-contiguous, aligned input is read where it is: no allocation of
its size happens during the call (tracemalloc sees NumPy's allocations); any
other input is converted once, which is an allocation of its size."""
import tracemalloc

import numpy as np
import pytest

import cnnc

# 4 MiB in, 16 bytes out: any copy of the input stands out.
SOURCE = """model big {
  input x: f32[512, 512, 4]
  y = globalavgpool2d()
  output y
}
"""


@pytest.fixture(scope="module")
def model():
    return cnnc.compile(SOURCE)


def peak_during(fn):
    """The most memory (bytes, as tracemalloc traces it) allocated during fn() at once."""
    tracemalloc.start()
    try:
        fn()  # warm: any lazy one-off allocations
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_aligned_float32_is_not_copied(model):
    x = cnnc.random_input(model.input_shape, 1)
    assert x.flags.c_contiguous and x.flags.aligned and x.dtype == np.float32
    assert peak_during(lambda: model(x)) < 64 * 1024
    y = np.random.default_rng(0).random(model.input_shape, dtype=np.float32)  # NumPy's own
    assert peak_during(lambda: model(y)) < 64 * 1024
    np.testing.assert_allclose(model(y), y.mean(axis=(0, 1)), rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda x: x.astype(np.float64),
    lambda x: np.asfortranarray(x),
    lambda x: x.astype(">f4"),
], ids=["float64", "fortran", "big-endian"])
def test_other_inputs_are_converted_once(model, make):
    x = cnnc.random_input(model.input_shape, 2)
    other = make(x)
    assert 4 << 20 <= peak_during(lambda: model(other)) < 6 << 20
    np.testing.assert_array_equal(model(other), model(x))


def test_misaligned_float32_is_converted(model):
    x = cnnc.random_input(model.input_shape, 3)
    raw = np.zeros(x.nbytes + 1, np.uint8)
    odd = raw[1:].view(np.float32).reshape(x.shape)
    odd[...] = x
    assert not odd.flags.aligned
    np.testing.assert_array_equal(model(odd), model(x))

"""The Model object: compiling from a path or source, shapes, names, summary,
layers, weight shapes, flops, memory, repr, dump_graph, input conversion,
several inputs and outputs, batches."""
import pathlib

import numpy as np
import pytest

import cnnc
from conftest import LENET, SRC, as_tuple, random_inputs, run_cli

HEADS = SRC / "tests" / "models" / "heads.cnn"


def test_compile_from_path_str_and_source_agree(lenet):
    x = cnnc.random_input(lenet.input_shape, 1)
    for arg in (str(LENET), pathlib.Path(LENET), LENET.read_text()):
        m = cnnc.compile(arg)
        m.random_weights(5)
        np.testing.assert_array_equal(m(x), lenet(x))


def test_shapes_names_and_counts(lenet):
    assert lenet.name == "lenet"
    assert lenet.input_shape == (32, 32, 1) and lenet.output_shape == (10,)
    assert lenet.input_shapes == [(32, 32, 1)] and lenet.output_shapes == [(10,)]
    assert lenet.input_names == ["image"] and lenet.output_names == ["probs"]
    assert lenet.params == 61706 and lenet.batch == 1 and lenet.threads == 1
    assert lenet.flops > 0 and lenet.compile_seconds > 0


def test_summary_is_the_cli_table(lenet):
    code, out, err = run_cli("summary", LENET)
    assert code == 0, err
    assert lenet.summary().strip() == out.strip()
    assert "61,706" in lenet.summary() or "61706" in lenet.summary()


def test_layers_and_weight_shapes(lenet):
    layers = lenet.layers
    assert [l.type for l in layers][:2] == ["InputLayer", "Conv2D"] or layers[0].type == "Conv2D"
    assert sum(l.params for l in layers) == lenet.params
    assert layers[-1].output_shape == (10,)
    shapes = lenet.weight_shapes()
    assert all(isinstance(s, tuple) for s in shapes.values())
    assert sum(int(np.prod(s)) for s in shapes.values()) == lenet.params
    assert "cnnc.Layer" in repr(layers[-1])


def test_memory(lenet):
    mem = lenet.memory
    assert 0 < mem.largest_bytes <= mem.arena_bytes <= mem.naive_bytes
    assert mem.table


def test_repr_names_model_shapes_and_target(lenet):
    r = repr(lenet)
    assert "'lenet'" in r and "image [32, 32, 1]" in r and "probs [10]" in r
    assert "target " + lenet.target in r


def test_random_weights_returns_what_it_loaded(lenet):
    w = lenet.random_weights(9)
    assert {k: v.shape for k, v in w.items()} == lenet.weight_shapes()
    other = cnnc.compile(LENET)
    other.load_weights(w)
    x = cnnc.random_input(lenet.input_shape, 2)
    np.testing.assert_array_equal(other(x), lenet(x))


def test_inputs_are_converted_when_not_float32_contiguous(lenet):
    x = cnnc.random_input(lenet.input_shape, 3)
    want = lenet(x)
    np.testing.assert_array_equal(lenet.run(x.astype(np.float64)), want)
    np.testing.assert_array_equal(lenet(x.tolist()), want)
    wide = np.zeros((32, 64, 1), np.float32)
    wide[:, ::2] = x
    assert not wide[:, ::2].flags.c_contiguous
    np.testing.assert_array_equal(lenet(wide[:, ::2]), want)
    big_endian = x.astype(">f4")
    np.testing.assert_array_equal(lenet(big_endian), want)
    np.testing.assert_array_equal(lenet(x[None]), want[None])  # the batch axis


def test_several_inputs_and_outputs():
    m = cnnc.compile(HEADS)
    m.random_weights(7)
    assert m.input_names == ["image", "extra"]
    assert m.output_names == ["head1", "head2", "c3"]
    xs = random_inputs(m, 1)
    ys = m(*xs)
    assert isinstance(ys, tuple) and len(ys) == 3
    assert [y.shape for y in ys] == m.output_shapes
    with pytest.raises(cnnc.Error, match="several|input"):
        m.input_shape
    assert "(image [20, 24, 3], extra [10, 12, 5])" in repr(m)


def test_batch():
    m = cnnc.compile(LENET, batch=3, threads=2)
    m.random_weights(5)
    xs = np.stack([cnnc.random_input((32, 32, 1), s) for s in range(3)])
    y = m(xs)
    assert y.shape == (3, 10) and m.batch == 3 and m.threads == 2
    one = cnnc.compile(LENET)
    one.random_weights(5)
    for i in range(3):
        np.testing.assert_array_equal(y[i], one(xs[i]))


@pytest.mark.parametrize("target", ["generic", "sse4", "avx2"])
def test_targets_agree(lenet, target):
    m = cnnc.compile(LENET, target=target, winograd=False, check_arena=True)
    m.random_weights(5)
    x = cnnc.random_input(lenet.input_shape, 4)
    np.testing.assert_allclose(m(x), lenet(x), atol=1e-6)
    assert target in m.target


def test_dump_graph(lenet, tmp_path):
    lenet.dump_graph(tmp_path, format="svg")
    svgs = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert svgs and all((tmp_path / s.replace(".svg", ".dot")).exists() for s in svgs)
    assert (tmp_path / svgs[0]).read_text().lstrip().startswith("<?xml")
    lenet.dump_graph(str(tmp_path / "dot"), "dot")
    assert list((tmp_path / "dot").glob("*.dot"))
    with pytest.raises(ValueError, match="format"):
        lenet.dump_graph(tmp_path, format="pdf")


def test_outputs_own_their_memory(lenet):
    x = cnnc.random_input(lenet.input_shape, 5)
    a, b = lenet(x), lenet(x)
    a[:] = 0
    assert b.sum() > 0.99
    assert a.base is not None and b.flags.writeable


def test_compile_cache_dir(tmp_path, lenet):
    """cache_dir: the second identical compilation loads its machine code; "" turns it off."""
    x = cnnc.random_input(lenet.input_shape, 1)
    first = cnnc.compile(LENET, cache_dir=tmp_path)
    second = cnnc.compile(str(LENET), cache_dir=str(tmp_path))
    assert not first.from_cache and second.from_cache
    assert len(list(tmp_path.iterdir())) == 1
    for m in (first, second):
        m.random_weights(5)
    np.testing.assert_array_equal(first(x), second(x))
    assert not cnnc.compile(LENET, cache_dir="").from_cache

"""examples/dask/score.py on a LocalCluster of 2 worker processes (1 thread each) on
loopback: the scores equal a single-process run element for element and in order,
each worker compiles the model once however many tasks it runs, and a worker killed
mid-run loses no input (Dask reruns its tasks; the nanny starts a new worker, which
compiles the model once too). Every wait has a timeout, and the cluster is closed
in a finally, so a failure ends the test instead of hanging it."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import LENET, SRC

sys.path.insert(0, str(SRC / "examples" / "dask"))
import score  # noqa: E402

TIMEOUT = 60  # seconds for any one computation

# About 5 ms per image: long enough to kill a worker while work remains.
HEAVY = """model heavy {
  input image: f32[48, 48, 3]
  conv2d(filters=64, kernel=3, padding=same, activation=relu)
  conv2d(filters=64, kernel=3, padding=same, activation=relu)
  conv2d(filters=64, kernel=3, padding=same, activation=relu)
  maxpool2d(size=2)
  conv2d(filters=128, kernel=3, padding=same, activation=relu)
  conv2d(filters=128, kernel=3, padding=same, activation=relu)
  globalavgpool2d()
  dense(units=10, activation=softmax)
}
"""


@pytest.fixture
def client():
    client, cluster = score.start_client(None, workers=2, threads=1)
    try:
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield client
    finally:
        client.close(timeout=10)
        cluster.close(timeout=10)


def images(n, shape, seed):
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)


def test_2000_inputs_equal_one_process_and_each_worker_compiles_once(client):
    spec = score.ModelSpec(str(LENET), random_weights=5, batch=8)
    x = images(2000, (32, 32, 1), 1)
    score.register(client, spec)
    y = client.compute(score.score_array(client, x, partition=100)).result(timeout=TIMEOUT)
    want = score.score_local(spec, x)
    assert y.shape == (2000, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y, want)
    # and the same as one image at a time with a batch-1 model (padding changes nothing)
    one = score.ModelSpec(str(LENET), random_weights=5, batch=1).compile()
    np.testing.assert_allclose(y[::97], np.stack([one(xi) for xi in x[::97]]), rtol=0, atol=1e-6)
    stats = score.worker_stats(client)
    assert len(stats) == 2
    assert all(s["compiles"] == 1 for s in stats.values()), stats
    # 20 partitions of 104 images (100 rounded up to whole batches): many tasks per compile
    assert sum(s["images"] for s in stats.values()) == 2000, stats
    assert sum(s["batches"] for s in stats.values()) == 250, stats
    assert all(s["batches"] > 1 for s in stats.values()), stats


def test_a_directory_of_npy_images_in_name_order_with_a_padded_last_batch(client, tmp_path):
    spec = score.ModelSpec(str(LENET), random_weights=2, batch=8).shipped()
    x = images(203, (32, 32, 1), 2)
    for i in reversed(range(len(x))):  # written out of order: the names give the order
        np.save(tmp_path / f"img{i:04d}.npy", x[i])
    score.register(client, spec)
    y = client.compute(score.score_files(client, sorted(tmp_path.glob("*.npy")), 40))
    np.testing.assert_array_equal(y.result(timeout=TIMEOUT), score.score_local(spec, x))


def test_the_wrong_image_shape_is_an_error_before_any_task(client):
    score.register(client, score.ModelSpec(str(LENET), random_weights=1))
    with pytest.raises(ValueError, match=r"the model takes \[N, 32, 32, 1\]"):
        score.score_array(client, images(10, (28, 28, 1), 3))


def wait_for(predicate, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_worker_killed_mid_run_loses_no_input(client, tmp_path):
    model = tmp_path / "heavy.cnn"
    model.write_text(HEAVY)
    spec = score.ModelSpec(str(model), random_weights=3, batch=8)
    n = 1200
    x = images(n, (48, 48, 3), 4)
    score.register(client, spec)
    before = score.worker_stats(client)
    future = client.compute(score.score_array(client, x, partition=24))  # 50 tasks
    scored = lambda: sum(s.get("images", 0) for s in score.worker_stats(client).values())
    wait_for(lambda: scored() >= n // 5 or future.done(), "a fifth of the images")
    at_kill = scored()
    victim = min(s["pid"] for s in before.values())
    os.kill(victim, signal.SIGKILL)
    assert at_kill < n and not future.done(), "the run ended before the kill: no work remained"
    y = future.result(timeout=TIMEOUT)
    np.testing.assert_array_equal(y, score.score_local(spec, x))
    # The nanny replaced the killed worker; the new one compiled the model once.
    client.wait_for_workers(2, timeout=TIMEOUT)
    wait_for(lambda: len(score.worker_stats(client)) == 2, "a replacement worker")
    after = score.worker_stats(client)
    pids = {s["pid"] for s in after.values()}
    assert victim not in pids and len(pids) == 2, (before, after)
    assert all(s["compiles"] == 1 for s in after.values()), after


def run_script(*args):
    p = subprocess.run([sys.executable, SRC / "examples" / "dask" / "score.py", *map(str, args)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def test_the_command_line_scores_a_file_and_reports_a_bad_model(tmp_path):
    x = images(50, (32, 32, 1), 5)
    np.save(tmp_path / "x.npy", x)
    code, out, err = run_script(LENET, tmp_path / "x.npy", "--random-weights", 6, "--workers", 1,
                                "--threads", 2, "--partition", 16, "--ship",
                                "--output", tmp_path / "y.npy")
    assert code == 0, err
    assert "50 images -> [50, 10]" in out and "compiled 1x" in out
    spec = score.ModelSpec(str(LENET), random_weights=6)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), score.score_local(spec, x))
    bad = tmp_path / "bad.cnn"
    bad.write_text(LENET.read_text().replace("padding=valid", "paddin=valid", 1))
    code, out, err = run_script(bad, tmp_path / "x.npy", "--random-weights", 6, "--workers", 1)
    assert code == 1
    assert f"score.py: error: {bad}:" in err and "unknown attribute 'paddin'" in err, err

"""8 Python threads calling one model at once (the GIL is released while it
runs) get the outputs of sequential runs, bit for bit."""
import threading
import time

import numpy as np

import cnnc
from conftest import SRC


def test_eight_threads_equal_sequential_runs():
    model = cnnc.compile(SRC / "examples" / "seed" / "mnist_pool.cnn", threads=2)
    model.random_weights(11)
    inputs = [cnnc.random_input(model.input_shape, s) for s in range(8)]
    want = [model(x) for x in inputs]
    results = [[None] * 40 for _ in range(8)]
    start = threading.Barrier(8)

    def work(t):
        start.wait()
        for i in range(40):
            results[t][i] = model(inputs[(t + i) % 8])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for t in range(8):
        for i in range(40):
            np.testing.assert_array_equal(results[t][i], want[(t + i) % 8])


def test_the_gil_is_released_while_running():
    # A model that runs for a while; a Python thread counts meanwhile. With the
    # GIL held, the counter could not move during the call.
    model = cnnc.compile(SRC / "examples" / "resnet18.cnn")
    model.random_weights(1)
    x = cnnc.random_input(model.input_shape, 1)
    model(x)
    ticks, running = [0], threading.Event()

    def count():
        running.set()
        while running.is_set():
            ticks[0] += 1
            time.sleep(0.0005)

    counter = threading.Thread(target=count)
    counter.start()
    counter_started = running.wait(5)
    # Calls for at least 0.1 s (one ResNet-18 call can take under 20 ms). With
    # the GIL held during a call the counter could tick only between calls.
    before, calls = ticks[0], 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.1:
        model(x)
        calls += 1
    elapsed = time.perf_counter() - t0
    during = ticks[0] - before
    running.clear()
    counter.join()
    assert counter_started
    assert during >= 5 * calls, f"{during} ticks in {calls} calls, {elapsed * 1e3:.0f} ms"


def test_load_weights_waits_for_running_calls():
    model = cnnc.compile(SRC / "examples" / "seed" / "lenet.cnn")
    a, b = model.random_weights(1), model.random_weights(2)
    x = cnnc.random_input(model.input_shape, 3)
    model.load_weights(a)
    ya = model(x)
    model.load_weights(b)
    yb = model(x)
    stop = threading.Event()
    errors = []

    def runs():
        while not stop.is_set():
            y = model(x)
            if not (np.array_equal(y, ya) or np.array_equal(y, yb)):
                errors.append(y)

    threads = [threading.Thread(target=runs) for _ in range(3)]
    for th in threads:
        th.start()
    for i in range(200):
        model.load_weights(a if i % 2 else b)
    stop.set()
    for th in threads:
        th.join()
    assert not errors

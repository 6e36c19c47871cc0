#!/usr/bin/python3
"""Batch inference with cnnc on a Dask cluster: score a large array of images, or a
directory of .npy images, with one compiled model per worker process.

    # a LocalCluster of 2 worker processes, 1 thread each (the default)
    PYTHONPATH=build/python /usr/bin/python3 examples/dask/score.py \\
        examples/seed/lenet.cnn --weights lenet.safetensors images.npy --output scores.npy
    # a directory of .npy files, one image each, scored in the order of their names
    ... examples/seed/lenet.cnn --weights lenet.safetensors images/ --output scores.npy
    # a running cluster (`dask scheduler`, `dask worker tcp://HOST:8786` on each machine)
    ... --scheduler tcp://HOST:8786

The input is either one .npy file holding [N, H, W, C] (memory-mapped: each task reads
its own rows) or a directory of .npy files holding one [H, W, C] image each (decoding
JPEG/PNG is not done here: convert images to .npy first). An ONNX model takes the
graph's own layout instead: [N, C, H, W] and [C, H, W] images. The output is one .npy
file, [N, ...] in input order.

How the work is split: the images are a dask array of partitions of --partition
images (rounded up to a multiple of --batch); a task scores one partition in batches
of --batch with a model compiled for that batch, the last partial batch padded with
zeros (the padding's outputs are dropped). Each worker process compiles the model
once, when the worker plugin CnncModel is registered with it (and again only in a
worker that replaces a dead one); tasks use that model and never compile.

From Python: `spec = ModelSpec("m.cnn", weights="w.safetensors", batch=8)`,
`register(client, spec)`, then `score_array(client, images)` (a NumPy or dask array)
or `score_files(client, paths)` give a dask array to compute; `score_local(spec, images)`
is the same computation in this process, without Dask.
"""
import argparse
import asyncio
import dataclasses
import os
import pathlib
import sys
import tempfile
import threading
import time
from typing import Optional

import cloudpickle
import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

PLUGIN = "cnnc-model"
DEFAULT_PARTITION = 256


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """How every worker compiles and loads the model. The paths must exist on every
    worker (the same path, e.g. a shared file system), unless shipped(): then the
    files' bytes travel with the plugin and each worker writes them to a temp dir."""
    model: str                            # .cnn or .onnx
    weights: Optional[str] = None         # .safetensors (an ONNX file holds its own)
    random_weights: Optional[int] = None  # a seed instead (demos, benchmarks)
    batch: int = 8
    threads: int = 1                      # cnnc's threads per run
    target: str = "host"
    winograd: bool = True
    model_bytes: Optional[bytes] = None
    weights_bytes: Optional[bytes] = None

    def shipped(self) -> "ModelSpec":
        """This spec with the files' contents, read here, for workers without the files."""
        read = lambda p: None if p is None else pathlib.Path(p).read_bytes()
        return dataclasses.replace(self, model_bytes=read(self.model),
                                   weights_bytes=read(self.weights))

    def compile(self):
        """Compiles and loads the model in this process (the files are only read here)."""
        import cnnc  # on the workers: the client needs no cnnc
        with tempfile.TemporaryDirectory(prefix="cnnc-dask-") as tmp:
            model_path, weights_path = self.model, self.weights
            if self.model_bytes is not None:  # keep the name: diagnostics and .onnx
                model_path = os.path.join(tmp, os.path.basename(self.model))
                pathlib.Path(model_path).write_bytes(self.model_bytes)
            if self.weights_bytes is not None:
                weights_path = os.path.join(tmp, os.path.basename(self.weights))
                pathlib.Path(weights_path).write_bytes(self.weights_bytes)
            model = cnnc.compile(model_path, threads=self.threads, batch=self.batch,
                                 target=self.target, winograd=self.winograd)
            if weights_path is not None:
                model.load_weights(weights_path)
            elif self.random_weights is not None:
                model.random_weights(self.random_weights)
        if len(model.input_names) != 1 or len(model.output_names) != 1:
            raise ValueError(f"{self.model}: score.py takes a model of one input and one "
                             f"output, not {model.input_names} -> {model.output_names}")
        return model


def image_shapes(model):
    """(one input image's shape, one output's shape): without the batch axis. An ONNX
    model's shapes carry the batch axis; a .cnn model's do not."""
    if model.channels_first:
        return model.input_shape[1:], model.output_shape[1:]
    return model.input_shape, model.output_shape


def score_batches(model, images: np.ndarray, on_batch=None) -> np.ndarray:
    """Scores images [n, *image] in batches of model.batch from the first; the last
    partial batch is padded with zeros. Returns [n, *output], float32."""
    b = model.batch
    images = np.ascontiguousarray(images, dtype=np.float32)
    _, out_shape = image_shapes(model)
    out = np.empty((len(images), *out_shape), np.float32)
    for start in range(0, len(images), b):
        x = images[start:start + b]
        n = len(x)
        if n < b:
            x = np.concatenate([x, np.zeros((b - n, *x.shape[1:]), np.float32)])
        out[start:start + n] = model(x)[:n]
        if on_batch is not None:
            on_batch(n)
    return out


class CnncModel(WorkerPlugin):
    """The worker plugin: compiles the model once per worker process, when it is
    registered (and when a worker starts: the scheduler hands new workers its
    plugins before their first task), and counts what that worker scored."""
    name = PLUGIN

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.__setstate__({"spec": spec})

    def __getstate__(self):  # only the spec travels; the model is the worker's own
        return {"spec": self.spec}

    def __setstate__(self, state):
        self.spec = state["spec"]
        self.model, self.compiles, self.images, self.batches = None, 0, 0, 0
        self.lock = threading.Lock()

    async def setup(self, worker):
        # cnnc.compile releases the GIL: the worker's event loop keeps talking to the
        # scheduler while a big model compiles.
        await asyncio.get_running_loop().run_in_executor(None, self.get)

    def get(self):
        """The model; compiled on first use, which setup() makes the registration."""
        with self.lock:
            if self.model is None:
                self.model = self.spec.compile()
                self.compiles += 1
            return self.model

    def count(self, n: int):
        with self.lock:
            self.images += n
            self.batches += 1

    def stats(self) -> dict:
        with self.lock:
            return {"pid": os.getpid(), "compiles": self.compiles, "images": self.images,
                    "batches": self.batches}


def _plugin() -> CnncModel:
    try:
        return get_worker().plugins[PLUGIN]
    except KeyError:
        raise RuntimeError("this worker has no cnnc model: call register(client, spec) "
                           "before scoring") from None


def _score_block(block: np.ndarray) -> np.ndarray:
    plugin = _plugin()
    return score_batches(plugin.get(), block, plugin.count)


def _worker_shapes():
    model = _plugin().get()
    return image_shapes(model), model.batch


def _worker_stats(dask_worker) -> dict:
    plugin = dask_worker.plugins.get(PLUGIN)
    return plugin.stats() if plugin is not None else {"pid": os.getpid(), "compiles": 0}


def register(client: Client, spec: ModelSpec) -> None:
    """Makes every worker, present and future, compile the model once."""
    # Functions and classes of this file travel by value, so workers need only cnnc
    # and Dask installed, not this script (it is __main__ or an imported module).
    if __name__ != "__main__":
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    client.register_worker_plugin(CnncModel(spec), name=PLUGIN)


def worker_stats(client: Client) -> dict:
    """Per worker address: pid, compiles, images and batches scored."""
    return client.run(_worker_stats)


def model_shapes(client: Client):
    """((image shape, output shape), batch), asked of a worker's model."""
    return client.submit(_worker_shapes, pure=False).result()


def whole_batches(partition: int, batch: int) -> int:
    """Partitions of whole batches, so that every batch but the very last is full and
    the batches are score_local()'s (results equal bit for bit)."""
    return -(-max(partition, 1) // batch) * batch


def score_array(client: Client, images, partition: int = DEFAULT_PARTITION) -> da.Array:
    """A lazy [N, *output] array: `images` (NumPy [N, *image], or a dask array, which is
    rechunked) scored in partitions, in order."""
    (image, out_shape), batch = model_shapes(client)
    if tuple(images.shape[1:]) != tuple(image):
        raise ValueError(f"images have shape {list(images.shape)}; the model takes "
                         f"[N, {', '.join(map(str, image))}]")
    part = whole_batches(partition, batch)
    chunks = (part,) + (-1,) * len(image)
    # A NumPy array is sliced here, one graph key per partition.
    x = images.rechunk(chunks) if isinstance(images, da.Array) else da.from_array(images, chunks)
    x = x.astype(np.float32)
    out_nd, kw = 1 + len(out_shape), {}
    if out_nd < x.ndim:
        kw["drop_axis"] = list(range(out_nd, x.ndim))
    elif out_nd > x.ndim:
        kw["new_axis"] = list(range(x.ndim, out_nd))
    return x.map_blocks(_score_block, dtype=np.float32,
                        chunks=(x.chunks[0],) + tuple((d,) for d in out_shape),
                        meta=np.empty((0,) * out_nd, np.float32), **kw)


def _load_rows(path: str, start: int, stop: int) -> np.ndarray:
    return np.asarray(np.load(path, mmap_mode="r")[start:stop], dtype=np.float32)


def _load_files(paths: list, shape: tuple) -> np.ndarray:
    out = np.empty((len(paths), *shape), np.float32)
    for i, p in enumerate(paths):
        x = np.load(p)
        if x.shape != shape:
            raise ValueError(f"{p}: an image of shape {list(x.shape)}, not {list(shape)}")
        out[i] = x
    return out


def npy_array(path, partition: int = DEFAULT_PARTITION) -> da.Array:
    """One .npy file [N, ...] as a dask array whose tasks read their own rows (the
    file must be at this path on every worker)."""
    head = np.load(path, mmap_mode="r")
    n, rest = head.shape[0], head.shape[1:]
    parts = [da.from_delayed(dask.delayed(_load_rows)(str(path), a, min(a + partition, n)),
                             shape=(min(a + partition, n) - a, *rest), dtype=np.float32)
             for a in range(0, n, partition)]
    return da.concatenate(parts)


def files_array(paths: list, partition: int = DEFAULT_PARTITION) -> da.Array:
    """.npy files of one image each, in this order, as a dask array (each task loads
    its files: they must be at these paths on every worker)."""
    if not paths:
        raise ValueError("no .npy images to score")
    shape = tuple(np.load(paths[0], mmap_mode="r").shape)
    parts = [da.from_delayed(dask.delayed(_load_files)([str(p) for p in paths[a:a + partition]],
                                                       shape),
                             shape=(len(paths[a:a + partition]), *shape), dtype=np.float32)
             for a in range(0, len(paths), partition)]
    return da.concatenate(parts)


def score_files(client: Client, paths: list, partition: int = DEFAULT_PARTITION) -> da.Array:
    """score_array() of .npy files of one image each, in this order."""
    _, batch = model_shapes(client)
    part = whole_batches(partition, batch)
    return score_array(client, files_array(paths, part), part)


def score_local(spec: ModelSpec, images: np.ndarray) -> np.ndarray:
    """The same scores in this process, without Dask (the reference of the tests)."""
    return score_batches(spec.compile(), images)


def start_client(scheduler: Optional[str], workers: int, threads: int):
    """A client of the scheduler at `scheduler`, or of a new LocalCluster of `workers`
    processes with `threads` threads each on loopback (its HTTP server on a free port:
    the scheduler always has one). Returns (client, cluster or None)."""
    if scheduler:
        return Client(scheduler, timeout="30s"), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0")
    return Client(cluster, timeout="30s"), cluster


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a .cnn or .onnx model")
    p.add_argument("input", help="a .npy file [N, ...] or a directory of .npy images")
    p.add_argument("--weights", help=".safetensors weights of a .cnn model")
    p.add_argument("--random-weights", type=int, metavar="SEED",
                   help="random weights instead (demos)")
    p.add_argument("--output", help="where to save the scores (.npy)")
    p.add_argument("--batch", type=int, default=8, help="images per run (default 8)")
    p.add_argument("--model-threads", type=int, default=1, help="cnnc threads per run")
    p.add_argument("--target", default="host")
    p.add_argument("--partition", type=int, default=DEFAULT_PARTITION,
                   help="images per task (rounded up to whole batches)")
    p.add_argument("--scheduler", help="tcp://HOST:8786 (default: start a LocalCluster)")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    p.add_argument("--threads", type=int, default=1, help="LocalCluster threads per worker")
    p.add_argument("--ship", action="store_true",
                   help="send the model and weights files to the workers (else every "
                        "worker reads them at the same path)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    spec = ModelSpec(a.model, a.weights, a.random_weights, a.batch, a.model_threads, a.target)
    client, cluster = start_client(a.scheduler, a.workers, a.threads)
    try:
        return score_main(a, spec, client)
    except (ValueError, RuntimeError, OSError) as e:  # cnnc.Error is a RuntimeError
        print(f"score.py: error: {e}", file=sys.stderr)
        return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def score_main(a, spec: ModelSpec, client: Client) -> int:
    t0 = time.perf_counter()
    register(client, spec.shipped() if a.ship else spec)
    t1 = time.perf_counter()
    src = pathlib.Path(a.input)
    if src.is_dir():
        y = score_files(client, sorted(src.glob("*.npy")), a.partition)
    else:
        y = score_array(client, npy_array(src, a.partition), a.partition)
    scores = client.compute(y).result()
    t2 = time.perf_counter()
    if a.output:
        np.save(a.output, scores)
    print(f"{len(scores)} images -> {list(scores.shape)} in {t2 - t1:.2f} s "
          f"({len(scores) / (t2 - t1):.1f} images/s; compiling on the workers took {t1 - t0:.2f} s)")
    for addr, s in sorted(worker_stats(client).items()):
        print(f"  {addr}: pid {s['pid']}, compiled {s['compiles']}x, "
              f"{s.get('images', 0)} images in {s.get('batches', 0)} batches")
    return 0


if __name__ == "__main__":
    sys.exit(main())

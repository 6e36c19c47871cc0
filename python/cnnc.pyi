"""cnnc: compile .cnn convolutional networks to native code and run them on NumPy arrays.

    import cnnc, numpy as np
    model = cnnc.compile("examples/seed/lenet.cnn", threads=1)
    model.load_weights("lenet.safetensors")   # or a dict of arrays / a torch state_dict
    y = model(np.zeros(model.input_shape, np.float32))
"""
import os
from typing import Any, Mapping, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
Shape = tuple[int, ...]

class Error(RuntimeError):
    """A bad model, weights file, input or option; str(e) holds the diagnostics
    ("file:line:col: error: ..." with the source line and a caret for model errors)."""

class Layer:
    """One row of the summary table."""
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def output_shape(self) -> Shape: ...
    @property
    def params(self) -> int: ...
    @property
    def trainable(self) -> int: ...
    @property
    def inputs(self) -> list[str]: ...

class Memory:
    """The activation arena of one run, in bytes."""
    @property
    def arena_bytes(self) -> int: ...
    @property
    def naive_bytes(self) -> int: ...
    @property
    def largest_bytes(self) -> int: ...
    @property
    def table(self) -> str: ...

class Model:
    """A compiled model. Calling it runs it: one array per input (float32 arrays
    that are C-contiguous and aligned are read in place, others are converted),
    with the GIL released; returns one array, or a tuple for several outputs."""
    def __call__(self, *inputs: ArrayLike) -> Union[np.ndarray, tuple[np.ndarray, ...]]: ...
    def run(self, *inputs: ArrayLike) -> Union[np.ndarray, tuple[np.ndarray, ...]]: ...
    def load_weights(self, weights: Union[str, os.PathLike[str], Mapping[str, Any]]) -> None:
        """A .safetensors file, or a mapping of PyTorch key to array: NumPy arrays
        or torch tensors (a state_dict); integer tensors are skipped."""
    def random_weights(self, seed: int) -> dict[str, np.ndarray]:
        """Loads deterministic random weights (cnnc run --random-weights SEED) and returns them."""
    def weight_shapes(self) -> dict[str, Shape]:
        """The keys and PyTorch shapes the model expects."""
    def dump_graph(self, dir: Union[str, os.PathLike[str]], format: str = "svg") -> None:
        """Writes DIR/NN-<stage>.dot (and .svg or .png) for every compiler stage."""
    def summary(self) -> str:
        """Keras's model.summary() table."""
    def ir(self) -> str:
        """The final textual IR."""
    @property
    def name(self) -> str: ...
    @property
    def input_shape(self) -> Shape:
        """The only input's shape, without the batch axis (Error if there are several);
        for an ONNX model the graph's own [batch, C, H, W], which model(x) takes."""
    @property
    def output_shape(self) -> Shape: ...
    @property
    def input_shapes(self) -> list[Shape]: ...
    @property
    def output_shapes(self) -> list[Shape]: ...
    @property
    def channels_first(self) -> bool:
        """An ONNX model: it takes and returns the graph's own layout ([batch, C, H, W])."""
    @property
    def input_names(self) -> list[str]: ...
    @property
    def output_names(self) -> list[str]: ...
    @property
    def layers(self) -> list[Layer]: ...
    @property
    def flops(self) -> int:
        """Floating point operations of one run (a multiply-add counts as two)."""
    @property
    def memory(self) -> Memory: ...
    @property
    def params(self) -> int: ...
    @property
    def trainable_params(self) -> int: ...
    @property
    def batch(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def target(self) -> str: ...
    @property
    def compile_seconds(self) -> float: ...
    @property
    def from_cache(self) -> bool:
        """Whether the machine code came from the compile cache (cache_dir)."""

def compile(path_or_source: Union[str, os.PathLike[str]], *, threads: int = 1, batch: int = 1,
            target: str = "host", winograd: bool = True, check_arena: bool = False,
            cache_dir: Optional[Union[str, os.PathLike[str]]] = None) -> Model:
    """Compiles a .cnn or .onnx model: a path, or .cnn source itself (a str with a newline
    or a brace). An ONNX model's inputs and outputs are in the graph's layout (NCHW).
    threads: per run (0: one per CPU); batch: images per run ([batch, H, W, C] in and out);
    target: host, avx512, avx2, sse4 or generic; check_arena: debug guard zones;
    cache_dir: the compile cache, where an identical compilation's machine code is kept
    (default None: $XDG_CACHE_HOME/cnnc or ~/.cache/cnnc; "" turns it off)."""

def random_input(shape: Sequence[int], seed: int, key: str = "input") -> np.ndarray:
    """The random input of `cnnc run --random-input SEED` (keys input, input_1, ...)."""

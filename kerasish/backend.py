"""Devices, dtypes and random generators.

This is the only module that imports CuPy, and only when a 'cuda' device is asked for.
'cpu' runs on NumPy; 'cuda' / 'cuda:N' runs on CuPy. Every op takes its array module
from its operands through `get_array_module`, so no NumPy call ever touches device data.
"""
import contextlib

import numpy as np

_FLOATX = np.dtype("float32")
_VALID_DTYPES = (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool",
)
_cupy = None
# Extra array modules by device name (tests register a 'fake' device here), and their scopes.
_EXTRA_DEVICES = {}
_EXTRA_SCOPES = {}
_NO_SCOPE = contextlib.nullcontext()

CUPY_HINT = ("CuPy is needed for device 'cuda': install it with `pip install kerasish[gpu]` "
             "(or the cupy-cudaXXx wheel matching your CUDA version) on a machine with an NVIDIA GPU.")


def floatx():
    """Returns the default float dtype name ('float32' unless changed)."""
    return _FLOATX.name


def set_floatx(dtype):
    """Sets the default float dtype used for float data and new weights."""
    global _FLOATX
    dt = parse_dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"set_floatx expects a float dtype (float16/32/64), got {dt.name!r}")
    _FLOATX = dt


def floatx_dtype():
    """Returns the default float dtype as a numpy dtype object."""
    return _FLOATX


def parse_dtype(dtype):
    """Converts a dtype name, numpy type or dtype object to a `numpy.dtype`.

    Example:
        >>> parse_dtype('float32')
        dtype('float32')
    """
    if dtype is None:
        return _FLOATX
    if isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, str) and dtype not in _VALID_DTYPES:
        raise ValueError(f"Unknown dtype {dtype!r}; valid names are: {', '.join(_VALID_DTYPES)}")
    try:
        return np.dtype(dtype)
    except TypeError:
        raise ValueError(f"Unknown dtype {dtype!r}; valid names are: {', '.join(_VALID_DTYPES)}") from None


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as exc:
            raise RuntimeError(CUPY_HINT) from exc
        try:
            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no GPU")
        except Exception as exc:  # CUDA driver missing or no device
            raise RuntimeError(
                f"Device 'cuda' needs an NVIDIA GPU, but CuPy {cupy.__version__} found none it can use ({exc}). "
                "Check the GPU driver (`nvidia-smi`) and that the cupy-cudaXXx wheel matches its CUDA version, "
                "or use device 'cpu'.") from exc
        _cupy = cupy
    return _cupy


def cupy_available():
    """True when CuPy imports and sees at least one GPU."""
    try:
        _import_cupy()
        return True
    except RuntimeError:
        return False


def parse_device(device):
    """Canonical device name: 'cpu', 'cuda:N' or a registered extra device; raises ValueError."""
    if device is None:
        return "cpu"
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda:0', got {type(device).__name__}")
    name = device.strip().lower()
    if name == "cpu":
        return "cpu"
    if name == "gpu":
        name = "cuda"
    if name == "cuda" or name.startswith("cuda:"):
        index = name[5:] if name.startswith("cuda:") else "0"
        if not index.isdigit():
            raise ValueError(f"Bad device {device!r}: expected 'cuda' or 'cuda:N' with N an integer")
        return f"cuda:{int(index)}"
    if name in _EXTRA_DEVICES:
        return name
    raise ValueError(f"Unknown device {device!r}; expected 'cpu', 'cuda' or 'cuda:N'")


def array_module_for(device):
    """The array module (numpy or cupy) that holds data on `device`."""
    device = parse_device(device)
    if device == "cpu":
        return np
    if device in _EXTRA_DEVICES:
        return _EXTRA_DEVICES[device][0]
    return _import_cupy()


def get_array_module(*arrays):
    """The array module of the operands: cupy if any is a cupy array, else numpy."""
    if _cupy is not None or _EXTRA_DEVICES:
        for a in arrays:
            if hasattr(a, "requires_grad") and hasattr(a, "_ctx"):  # a Tensor
                a = a.data
            if _cupy is not None and isinstance(a, _cupy.ndarray):
                return _cupy
            for xp, array_type in _EXTRA_DEVICES.values():
                if isinstance(a, array_type):
                    return xp
    return np


def device_of(array):
    """The canonical device name that holds `array`."""
    if type(array) is np.ndarray:
        return "cpu"
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return f"cuda:{array.device.id}"
    for name, (_, array_type) in _EXTRA_DEVICES.items():
        if isinstance(array, array_type):
            return name
    if _cupy is None and type(array).__module__.startswith("cupy"):
        _import_cupy()  # a CuPy array made by the user: CuPy is already imported
        return device_of(array)
    return "cpu"


def to_device(array, device, dtype=None):
    """Returns `array` (any array-like) on `device`, cast to `dtype` if given; no copy when already there."""
    device = parse_device(device)
    src = device_of(array) if hasattr(array, "shape") else "cpu"
    if device == "cpu":
        if src.startswith("cuda"):
            array = array.get()
        elif src != "cpu":
            array = _EXTRA_DEVICES[src][0].asnumpy(array)
        return np.asarray(array, dtype=dtype)
    xp = array_module_for(device)
    with device_scope(device):
        if device.startswith("cuda"):
            if src.startswith("cuda") and src != device:
                array = xp.copy(array)  # asarray would leave it on its own GPU
        elif src != "cpu" and src != device:
            array = to_device(array, "cpu")
        return xp.asarray(array, dtype=dtype)


def to_numpy(array):
    """A host numpy array from any device array."""
    return to_device(array, "cpu")


def device_scope(device):
    """A context manager making `device` the current device, where kernels run and arrays are made.

    CuPy runs every kernel on its *current* GPU, so work on 'cuda:1' data must run inside
    `with device_scope('cuda:1'):` (like `torch.cuda.device(1)`). kerasish enters it itself
    for ops, backward, layer calls, optimizer steps and fit/evaluate/predict; raw CuPy code
    of your own on a second GPU needs it too. For 'cpu' it does nothing.
    """
    if device == "cpu" or device is None:
        return _NO_SCOPE
    device = parse_device(device)
    if device == "cpu":
        return _NO_SCOPE
    if device in _EXTRA_DEVICES:
        scope = _EXTRA_SCOPES.get(device)
        return scope() if scope is not None else _NO_SCOPE
    return _import_cupy().cuda.Device(int(device[5:]))


def register_device(name, xp, array_type, scope=None):
    """Registers an extra device backed by array module `xp` (used by the test-only 'fake' device).

    `scope`, if given, is called with no arguments to make that device's `device_scope`.
    """
    _EXTRA_DEVICES[name] = (xp, array_type)
    if scope is not None:
        _EXTRA_SCOPES[name] = scope


# --- random generators ---------------------------------------------------------------
_seed = None
_generators = {}


def set_seed(seed):
    """Seeds one generator per device (and Python's `random`) so runs are reproducible."""
    import random
    global _seed
    _seed = seed
    _generators.clear()
    random.seed(seed)


def new_rng(device="cpu", seed=None):
    """A fresh generator on `device` (numpy Generator API) seeded with `seed`."""
    device = parse_device(device)
    xp = array_module_for(device)
    if xp is np:
        return np.random.default_rng(seed)
    if device in _EXTRA_DEVICES:
        with device_scope(device):
            return xp.random.default_rng(seed)
    return _CupyGenerator(xp, seed, int(device[5:]))


def rng(device="cpu"):
    """The seeded random generator of `device`, with numpy's Generator API on every device.

    Draws (`random`, `standard_normal`, `uniform`, `normal`, `integers`, `permutation`)
    land on `device`.
    """
    device = parse_device(device)
    gen = _generators.get(device)
    if gen is None:
        gen = _generators[device] = new_rng(device, _seed)
    return gen


class _CupyGenerator:
    """numpy-Generator-like methods on top of cupy.random.RandomState, drawing on one GPU.

    A RandomState belongs to the GPU current at its creation, so it is made, and draws,
    inside that GPU's scope.
    """

    def __init__(self, cupy, seed, device_id=0):
        self._scope = lambda: cupy.cuda.Device(device_id)
        with self._scope():
            self._state = cupy.random.RandomState(seed)

    def random(self, size=None, dtype=np.float64):
        with self._scope():
            return self._state.random_sample(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        with self._scope():
            return self._state.standard_normal(size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        with self._scope():
            return self._state.uniform(low, high, size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        with self._scope():
            return self._state.normal(loc, scale, size)

    def integers(self, low, high=None, size=None):
        with self._scope():
            return self._state.randint(low, high, size)

    def permutation(self, x):
        with self._scope():
            return self._state.permutation(x)


def get_rng_state():
    """Picklable-free snapshot of the CPU generator state (a dict), for resuming training."""
    return rng("cpu").bit_generator.state


def set_rng_state(state):
    """Restores a state from `get_rng_state`."""
    rng("cpu").bit_generator.state = state


def scatter_add(target, index, values):
    """target[index] += values with repeated indices accumulating, on any device."""
    if type(target) is np.ndarray:
        np.add.at(target, index, values)
    elif _cupy is not None and isinstance(target, _cupy.ndarray):
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        get_array_module(target).add.at(target, index, values)

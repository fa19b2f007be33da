"""A test-only device, 'fake', that behaves like CuPy towards NumPy.

Its arrays (`FakeArray`) wrap a numpy array but refuse implicit mixing, as CuPy does:
`np.asarray(fake)` raises, and any ufunc or numpy function that receives both a fake
array and a plain numpy array raises. Ops on fake arrays alone work (through
`__array_ufunc__` / `__array_function__`, as with CuPy). Running the device-parametrised
tests on it proves on a CPU-only machine that no code calls `np.` on device data.

It acts as a GPU other than CuPy's current one ('cuda:1' while GPU 0 is current): work on
its data outside `kerasish.backend.device_scope('fake')` raises WrongDeviceError, so every
kerasish path that touches device data must enter its device's scope, as 'cuda:1' needs.

It also offers only what CuPy offers: names of the `cupy` namespace, of `cupy.ndarray` and
of CuPy's ufuncs, each with CuPy's parameters, as recorded from a real CuPy in
fixtures/cupy_api.json (fixtures/make_cupy_api.py). A function CuPy lacks, or a keyword
argument it does not take, fails here as it would on a GPU.
"""
import contextlib
import inspect
import json
import pathlib
import types

import numpy as np

from kerasish import backend


class MixedDeviceError(TypeError):
    """Raised when fake-device data meets plain numpy data."""


class WrongDeviceError(ValueError):
    """Raised for device work outside `device_scope('fake')` (see `_check_scope`)."""


_SCOPE_DEPTH = [0]


@contextlib.contextmanager
def _device_scope():
    _SCOPE_DEPTH[0] += 1
    try:
        yield
    finally:
        _SCOPE_DEPTH[0] -= 1


def _check_scope(what):
    """'fake' acts as a GPU that is not CuPy's current one ('cuda:1' while GPU 0 is current).

    CuPy runs kernels and allocates on its current GPU, so any kernel or new array on 'fake'
    outside `backend.device_scope('fake')` raises. Transfers to the host (`get`, `float()`,
    `item()`) are allowed anywhere, as CuPy's set their device themselves.
    """
    if not _SCOPE_DEPTH[0]:
        raise WrongDeviceError(f"{what} ran on device 'fake' outside device_scope('fake'): on a second GPU "
                               "('cuda:1') CuPy would run it on the current GPU instead")


CUPY_API = json.loads((pathlib.Path(__file__).resolve().parent / "fixtures" / "cupy_api.json").read_text())
_CUPY = f"CuPy {CUPY_API['cupy_version']}"


def check_cupy_call(space, name, args, kwargs):
    """Raises TypeError, as CuPy would, when `space`.`name` (a table of cupy_api.json) can't take these arguments."""
    table = CUPY_API[space]
    prefix = "cupy" if space == "module" else f"cupy.{space}"
    if name not in table:
        raise AttributeError(f"{prefix}.{name} does not exist in {_CUPY} (tests/fixtures/cupy_api.json)")
    params = table[name]
    if params is None:
        return
    if "/" in params:
        positional_only = params[:params.index("/")]
        params = params[params.index("/") + 1:]
    else:
        positional_only = []
    if not any(p.startswith("**") for p in params):
        allowed = {p for p in params if not p.startswith("*")}
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise TypeError(f"{prefix}.{name}() takes no keyword argument {unknown[0]!r} in {_CUPY}; "
                            f"its parameters are {positional_only + params}")
    if not any(p.startswith("*") and p != "*" for p in params):
        before_star = params[:params.index("*")] if "*" in params else params
        if len(args) > len(positional_only) + len(before_star):
            raise TypeError(f"{prefix}.{name}() takes at most {len(positional_only) + len(before_star)} "
                            f"positional arguments in {_CUPY}, got {len(args)}")


_TRANSFERS = {"get", "item", "tolist", "tobytes"}


def _cupy_checked(space, name, fn):
    def call(*args, **kwargs):
        check_cupy_call(space, name, args, kwargs)
        if name not in _TRANSFERS:
            _check_scope(f"cupy.{name}" if space == "module" else f"cupy.{space}.{name}")
        return fn(*args, **kwargs)
    call.__name__ = name
    return call


def _unwrap(x, strict=True):
    if isinstance(x, FakeArray):
        return x._a
    if isinstance(x, np.ndarray) and strict and x.ndim > 0:
        raise MixedDeviceError("a 'fake' device array was mixed with a numpy array "
                               f"of shape {x.shape} (like CuPy, implicit host/device mixing is refused)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, strict) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v, strict) for k, v in x.items()}
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        return FakeArray(x)
    if isinstance(x, np.generic):  # CuPy returns 0-d device arrays, not host scalars
        return FakeArray(np.asarray(x))
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap(v) for v in x)
    return x


def _has_array(index):
    if isinstance(index, tuple):
        return any(_has_array(i) for i in index)
    return isinstance(index, (FakeArray, list, np.ndarray))


def _wrap_method(fn):
    def method(*args, **kwargs):
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    return method


class FakeArray:
    """A numpy array that lives on the 'fake' device."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, array):
        object.__setattr__(self, "_a", array)

    def __array__(self, dtype=None, copy=None):
        raise MixedDeviceError("implicit conversion of a 'fake' device array to numpy is not allowed; "
                               "use the device's asnumpy() (like CuPy's .get())")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if name not in CUPY_API["module"]:
            return NotImplemented  # CuPy has no such ufunc
        if method == "__call__":
            check_cupy_call("module", name, inputs, kwargs)
        else:
            check_cupy_call("ufunc", method, inputs, kwargs)
        _check_scope(f"ufunc {name}")
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        # As CuPy: numpy.X dispatches to cupy.X of the same (sub)module, or is not implemented.
        space = func.__module__.removeprefix("numpy").lstrip(".") or "module"
        if space not in CUPY_API or func.__name__ not in CUPY_API[space]:
            return NotImplemented
        check_cupy_call(space, func.__name__, args, kwargs)
        _check_scope(f"numpy.{func.__name__}")
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, name):
        if name.startswith("__"):  # hide __array_interface__ & co: numpy must not see the host buffer
            raise AttributeError(name)
        if name not in CUPY_API["ndarray"]:
            raise AttributeError(f"cupy.ndarray has no attribute {name!r} in {_CUPY}")
        value = getattr(self._a, name)
        if callable(value):
            return _cupy_checked("ndarray", name, _wrap_method(value))
        return _wrap(value)

    def get(self):
        """A host numpy copy (CuPy's name)."""
        return self._a.copy()

    def __getitem__(self, index):
        if _has_array(index):  # advanced indexing launches a kernel; slicing makes a view
            _check_scope("indexing")
        return _wrap(self._a[_unwrap(index)])

    def __setitem__(self, index, value):
        _check_scope("assignment")
        self._a[_unwrap(index)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return f"FakeArray({self._a!r})"

    @property
    def T(self):
        return FakeArray(self._a.T)

    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def flags(self):
        return self._a.flags


def _binary(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


def _inplace(ufunc):
    def op(self, other):
        ufunc(self, other, out=self)
        return self
    return op


for _name, _uf in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                   ("floordiv", np.floor_divide), ("mod", np.remainder), ("pow", np.power),
                   ("matmul", np.matmul), ("and", np.logical_and), ("or", np.logical_or), ("xor", np.bitwise_xor)]:
    _fwd, _rev = _binary(_uf)
    setattr(FakeArray, f"__{_name}__", _fwd)
    setattr(FakeArray, f"__r{_name}__", _rev)
    setattr(FakeArray, f"__i{_name}__", _inplace(_uf))
FakeArray.__and__ = lambda self, other: np.bitwise_and(self, other)
FakeArray.__iand__ = _inplace(np.bitwise_and)
FakeArray.__or__ = lambda self, other: np.bitwise_or(self, other)
FakeArray.__ior__ = _inplace(np.bitwise_or)
for _name, _uf in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                   ("eq", np.equal), ("ne", np.not_equal)]:
    setattr(FakeArray, f"__{_name}__", _binary(_uf)[0])
FakeArray.__neg__ = lambda self: np.negative(self)
FakeArray.__pos__ = lambda self: self
FakeArray.__abs__ = lambda self: np.absolute(self)
FakeArray.__invert__ = lambda self: np.invert(self)


class _FakeGenerator:
    """numpy Generator whose draws land on the fake device.

    Only the methods and arguments of `backend._CupyGenerator` (what a 'cuda' device
    offers) are available, so code that passes here also runs on CuPy.
    """

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        spec = getattr(backend._CupyGenerator, name, None)
        if name.startswith("_") or spec is None:
            raise AttributeError(f"the 'cuda' device's generator has no method {name!r} "
                                 "(see backend._CupyGenerator)")
        method = _wrap_method(getattr(self._g, name))

        def checked(*args, **kwargs):
            inspect.signature(spec).bind(self, *args, **kwargs)  # TypeError like on 'cuda'
            _check_scope(f"random draw {name}")
            return method(*args, **kwargs)
        return checked


def _host_creator(fn):
    def create(*args, **kwargs):
        check_cupy_call("module", fn.__name__, args, kwargs)
        _check_scope(f"cupy.{fn.__name__}")
        args = tuple(a._a if isinstance(a, FakeArray) else a for a in args)
        return FakeArray(np.asarray(fn(*args, **kwargs)))
    return create


def _as_strided(x, shape=None, strides=None):
    """CuPy's signature: no `writeable=` / `subok=` keywords."""
    return FakeArray(np.lib.stride_tricks.as_strided(_unwrap(x), shape, strides))


class _CheckedUfunc:
    """A numpy ufunc offering only CuPy's ufunc methods and keywords."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        check_cupy_call("module", self.__name__, args, kwargs)
        _check_scope(f"ufunc {self.__name__}")
        return self._ufunc(*args, **kwargs)

    def __getattr__(self, name):
        value = getattr(self._ufunc, name)
        if callable(value):
            return _cupy_checked("ufunc", name, value)
        check_cupy_call("ufunc", name, (), {})
        return value


class FakeNumpy(types.ModuleType):
    """The array module of the 'fake' device: numpy, with creation routines making FakeArrays."""

    ndarray = FakeArray

    def __init__(self):
        super().__init__("fake_numpy")
        for name in ["array", "asarray", "ascontiguousarray", "zeros", "ones", "empty", "full", "arange",
                     "eye", "linspace", "asanyarray"]:
            setattr(self, name, _host_creator(getattr(np, name)))
        self.random = types.SimpleNamespace(default_rng=_FakeGenerator)
        self.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
            as_strided=_as_strided, sliding_window_view=_wrap_method(np.lib.stride_tricks.sliding_window_view)))

    def __getattr__(self, name):
        if name not in CUPY_API["module"]:
            raise AttributeError(f"cupy has no attribute {name!r} in {_CUPY} (tests/fixtures/cupy_api.json)")
        value = getattr(np, name)
        if isinstance(value, np.ufunc):
            return _CheckedUfunc(value)
        if callable(value) and not isinstance(value, type):
            return _cupy_checked("module", name, value)
        return value

    @staticmethod
    def asnumpy(x):
        """Device to host copy."""
        return x._a.copy() if isinstance(x, FakeArray) else np.asarray(x)


fake_numpy = FakeNumpy()


def register():
    """Makes device 'fake' available to kerasish."""
    backend.register_device("fake", fake_numpy, FakeArray, scope=_device_scope)

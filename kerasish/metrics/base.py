"""The `Metric` base class, `Mean`, `Sum` and `MeanMetricWrapper`.

Metrics never build a graph: they read raw arrays (`x.data` of a Tensor) and compute on
the predictions' device. State lives in `MetricVariable`s that stay on that device, so an
update costs no device -> host sync; `result()` brings the sums to the host once. Sums
are weighted by sample count, so a partial last batch counts for what it holds.
"""
import contextlib
import functools
import re

import numpy as np

from kerasish import backend
from kerasish._config import no_grad
from kerasish.losses.base import align_target
from kerasish.tensor import Tensor


def raw(x):
    """The raw array behind a Tensor, array, list or scalar (never a graph node)."""
    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic):
        return x
    return np.asarray(x)


def target_and_prediction(y_true, y_pred):
    """Raw (y_true, y_pred), y_true moved to y_pred's device."""
    p = raw(y_pred)
    return backend.to_device(raw(y_true), backend.device_of(p)), p


def aligned(y_true, y_pred, what):
    """Raw (y_true, y_pred) of one shape ((N,) vs (N, 1) allowed), y_true in y_pred's float dtype."""
    t, p = target_and_prediction(y_true, y_pred)
    if p.dtype.kind != "f":
        p = p.astype(backend.floatx())
    return align_target(t.astype(p.dtype, copy=False), p, what), p


def mean_last(values):
    """Per-sample values: the mean over the last axis for rank >= 2, elementwise for 1-D."""
    return values.mean(axis=-1) if values.ndim >= 2 else values


def broadcast_weights(sample_weight, values):
    """`sample_weight` as a float array of `values`' shape (per-sample weights spread over extra axes)."""
    sw = backend.to_device(raw(sample_weight), backend.device_of(values), "float64")
    if sw.ndim == values.ndim + 1 and sw.shape[-1] == 1:
        sw = sw.reshape(sw.shape[:-1])
    while sw.ndim < values.ndim:
        sw = sw.reshape(sw.shape + (1,))
    try:
        ok = np.broadcast_shapes(sw.shape, values.shape) == values.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"sample_weight of shape {tuple(raw(sample_weight).shape)} cannot be applied to "
                         f"values of shape {values.shape}; give one weight per sample")
    return backend.get_array_module(sw).broadcast_to(sw, values.shape)


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def accumulate(total, value):
    """`total + value` on value's device, without a host sync (`total` is moved there if needed)."""
    if hasattr(total, "shape") and hasattr(value, "shape"):
        device = backend.device_of(value)
        if backend.device_of(total) != device:  # the first update, or the model changed device
            total = backend.to_device(total, device)
    return total + value


# id(device array) -> (array, host copy), filled by `prefetched` for the length of its block.
_PREFETCHED = {}


def host_values(*values):
    """Host numpy copies of `values` (arrays on any device, or numbers): one transfer per device."""
    out = list(values)
    by_device = {}
    for i, v in enumerate(values):
        device = backend.device_of(v) if hasattr(v, "shape") else "cpu"
        if device == "cpu":
            continue
        hit = _PREFETCHED.get(id(v))
        if hit is not None and hit[0] is v:
            out[i] = hit[1]
        else:
            by_device.setdefault(device, []).append(i)
    for device, indices in by_device.items():
        xp = backend.get_array_module(values[indices[0]])
        with backend.device_scope(device):
            flat = backend.to_numpy(xp.concatenate([values[i].reshape(-1).astype("float64") for i in indices]))
        start = 0
        for i in indices:
            size = values[i].size
            out[i] = flat[start:start + size].reshape(values[i].shape)
            start += size
    return [np.asarray(v) if hasattr(v, "shape") else v for v in out]


@contextlib.contextmanager
def prefetched(arrays):
    """Inside the block, `host_values` of any of these device arrays is served from copies read in
    one transfer per device (the fit loop reads every loss and metric state of a batch at once)."""
    arrays = [a for a in arrays if hasattr(a, "shape") and backend.device_of(a) != "cpu"]
    if not arrays:
        yield
        return
    _PREFETCHED.update((id(a), (a, h)) for a, h in zip(arrays, host_values(*arrays)))
    try:
        yield
    finally:
        _PREFETCHED.clear()


class MetricVariable:
    """A metric's state (Keras's `add_variable`): assign / assign_add / assign_sub / numpy.

    The value stays on the device of the data added to it (no host sync per update);
    `numpy()`, `float()` and `value` bring it to the host.
    """

    def __init__(self, shape=(), initializer="zeros", dtype="float64", name=None):
        self.name = name
        self._initial = (np.ones if initializer == "ones" else np.zeros)(shape, dtype=dtype or "float64")
        self._value = None  # None: still the initial value

    def raw(self):
        """The value as an array on its current device."""
        return self._initial if self._value is None else self._value

    @property
    def value(self):
        """The value as a host numpy array; assigning sets it."""
        return host_values(self.raw())[0].astype(self._initial.dtype, copy=True)

    @value.setter
    def value(self, value):
        self.assign(value)

    def assign(self, value):
        """Sets the value (kept on value's device)."""
        v = raw(value)
        xp = backend.get_array_module(v)
        with backend.device_scope(backend.device_of(v) if hasattr(v, "shape") else "cpu"):
            self._value = xp.broadcast_to(v, self._initial.shape).astype(self._initial.dtype)

    def assign_add(self, value):
        """Adds to the value."""
        v = raw(value)
        if self._value is None and not self._initial.any():  # 0 + v: no copy of the zeros to v's device
            self.assign(v)
        else:
            self.assign(accumulate(self.raw(), v))

    def assign_sub(self, value):
        """Subtracts from the value."""
        self.assign_add(-raw(value))

    def reset(self):
        """Back to the initial value."""
        self._value = None

    def numpy(self):
        """The value as a numpy array."""
        return self.value

    def __float__(self):
        return float(self.value)

    # Arithmetic gives a gradient-free Tensor on the value's device, so Keras's custom-metric
    # idiom `self.total.assign(self.total + ops.sum(values))` and `return self.tp / self.n` work.
    def _binary(self, other, fn):
        a, b = self.raw(), raw(other)
        device = backend.device_of(a)
        if backend.device_of(b) != device:
            if b.ndim == 0 and backend.device_of(b) == "cpu":
                b = b.item()  # a scalar goes to the value's device
            else:
                device = backend.device_of(b)
                a = backend.to_device(a, device)
        with backend.device_scope(device):
            return Tensor._wrap(fn(a, b), False, None)

    def __add__(self, other):
        return self._binary(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._binary(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._binary(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._binary(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._binary(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._binary(other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._binary(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._binary(other, lambda a, b: b / a)

    def __neg__(self):
        return self._binary(0.0, lambda a, _: -a)  # on the value's device

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)


def _in_device_scope(update_state):
    """Wraps `update_state` to run in the device scope of its first Tensor or device-array argument."""
    @functools.wraps(update_state)
    def scoped(self, *args, **kwargs):
        for a in args:
            device = a.device if isinstance(a, Tensor) else backend.device_of(a) if hasattr(a, "shape") else "cpu"
            if device != "cpu":
                with backend.device_scope(device):
                    return update_state(self, *args, **kwargs)
        return update_state(self, *args, **kwargs)
    return scoped


class Metric:
    """Base class of streaming metrics.

    Subclasses implement `update_state(y_true, y_pred, sample_weight=None)`, `result()`
    (a Python float) and `reset_state()`. Calling a metric runs `update_state` then
    returns `result()` (Keras semantics; the seed's `Accuracy` differs, see there).
    Custom metrics may keep state in `self.add_variable(...)`, reset automatically.
    Every `update_state` (and a subclass's own `__call__`) runs in the device scope of its
    first array argument, so a metric on 'cuda:1' data computes on that GPU.

    Args:
        name: the metric's name (its key in training logs).
        dtype: accepted for Keras compatibility (results are Python floats).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("update_state", "__call__"):
            if name in cls.__dict__:
                setattr(cls, name, _in_device_scope(cls.__dict__[name]))

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        """A host-side state variable, reset by `reset_state()`."""
        var = MetricVariable(shape, initializer, dtype, name)
        self.__dict__.setdefault("_variables", []).append(var)
        return var

    add_weight = add_variable

    @property
    def variables(self):
        """The variables made with `add_variable`."""
        return list(self.__dict__.get("_variables", []))

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        """The metric's value over everything seen since the last reset."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self):
        """Forgets all accumulated statistics."""
        for var in self.variables:
            var.reset()

    def reset_states(self):
        """Keras 2 name of `reset_state`."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Builds the metric from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The (weighted) mean of the values given to `update_state(values, sample_weight=None)`.

    The sums stay on the values' device; only `result()` (and reading `total` / `count`)
    brings them to the host.

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7])
        >>> m.update_state([2], sample_weight=[4.0])
        >>> m.result()      # (16 + 8) / (4 + 4)
        3.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._total = self.add_variable(name="total")
        self._count = self.add_variable(name="count")

    @property
    def total(self):
        """The weighted sum so far (a float)."""
        return float(self._total)

    @property
    def count(self):
        """The sum of the weights (or the number of values) so far (a float)."""
        return float(self._count)

    def update_state(self, values, sample_weight=None):
        """Adds sum(values * weights) to the total and sum(weights) (or the size) to the count."""
        v = raw(values)
        if sample_weight is None:
            self._total.assign_add(v.sum(dtype="float64"))
            self._count.assign_add(v.size)
            return
        w = broadcast_weights(sample_weight, v)
        self._total.assign_add((v * w).sum(dtype="float64"))
        self._count.assign_add(w.sum(dtype="float64"))

    def result(self):
        """total / count (0.0 before any update)."""
        total, count = host_values(self._total.raw(), self._count.raw())
        return float(total) / float(count) if count else 0.0


class Sum(Metric):
    """The (weighted) sum of the values given to `update_state(values, sample_weight=None)`."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._total = self.add_variable(name="total")

    @property
    def total(self):
        """The sum so far (a float)."""
        return float(self._total)

    def update_state(self, values, sample_weight=None):
        """Adds sum(values * weights)."""
        v = raw(values)
        if sample_weight is not None:
            v = v * broadcast_weights(sample_weight, v)
        self._total.assign_add(v.sum(dtype="float64"))

    def result(self):
        """The total."""
        return float(self._total)


class MeanMetricWrapper(Mean):
    """Streams the mean of a per-sample function `fn(y_true, y_pred, **kwargs)`.

    Built-in metric functions take raw arrays; a user function given to `metrics.get`
    is wrapped to receive Tensors (under `no_grad`).

    Args:
        fn: the per-sample function.
        name: defaults to `fn.__name__`.
        **kwargs: passed to `fn` on every update (and saved in the config).
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds this batch's per-sample values."""
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self):
        """Name, dtype and the function's keyword arguments (and its name for this class)."""
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", repr(self._fn))
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds the metric; a wrapper's 'fn' must be a function object by now."""
        config = dict(config)
        if cls is MeanMetricWrapper:
            fn = config.pop("fn")
            if isinstance(fn, str):
                raise ValueError(f"Unknown metric function {fn!r} in config; pass it through "
                                 "custom_objects={name: function} to deserialize()")
            return cls(fn, **config)
        return cls(**config)


def tensor_function(fn):
    """Wraps a user function `fn(y_true, y_pred)` so it gets Tensors and no graph is built."""
    def wrapped(y_true, y_pred, **kwargs):
        p = y_pred if isinstance(y_pred, Tensor) else Tensor(raw(y_pred))
        t = Tensor._wrap(backend.to_device(raw(y_true), p.device), False, None)
        with no_grad():
            return raw(fn(t, p, **kwargs))
    wrapped.__name__ = getattr(fn, "__name__", "metric")
    wrapped.wrapped_function = fn
    return wrapped

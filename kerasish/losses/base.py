"""The `Loss` base class, input conversion, sample weights and reductions.

Argument order (DESIGN §10): Keras-style losses are called `loss(y_true, y_pred)`;
the seed's losses (`kerasish.losses.seed`) are called `loss_fn(prediction, target)`.
Each class says which through its `argument_order` attribute.
"""
import inspect
import re
import warnings

import numpy as np

from kerasish import backend
from kerasish import ops
from kerasish.tensor import Tensor

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")


# --- input conversion -----------------------------------------------------------------
def as_prediction(y_pred):
    """`y_pred` as a floating Tensor (arrays and lists are wrapped; integer data is cast)."""
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.astype(y_pred, backend.floatx())
    return y_pred


def as_target(y_true, y_pred, dtype=None):
    """`y_true` as a raw array on `y_pred`'s device (a constant: no gradient flows to it).

    Args:
        y_true: Tensor, numpy/cupy array, list or scalar.
        y_pred: the prediction Tensor whose device (and, with dtype='float', dtype) is used.
        dtype: None keeps y_true's dtype; 'float' casts to y_pred's dtype; else a dtype.
    """
    arr = y_true.data if isinstance(y_true, Tensor) else y_true
    if dtype == "float":
        dtype = y_pred.dtype
    return backend.to_device(arr, y_pred.device, dtype)


def align_target(y_true, y_pred, what):
    """Reshapes `y_true` to `y_pred.shape`, allowing only Keras's (N,) vs (N, 1) convenience.

    Raises:
        ValueError: naming both shapes when they differ otherwise.
    """
    ts, ps = tuple(y_true.shape), tuple(y_pred.shape)
    if ts == ps:
        return y_true
    if (len(ts) == len(ps) + 1 and ts[-1] == 1 and ts[:-1] == ps) or \
            (len(ps) == len(ts) + 1 and ps[-1] == 1 and ps[:-1] == ts):
        return y_true.reshape(ps)
    raise ValueError(f"{what}: y_true has shape {ts} but y_pred has shape {ps}; they must match "
                     "(a trailing axis of size 1 may differ)")


def mean_last(values):
    """Per-sample values: the mean over the last axis for rank >= 2 (Keras), elementwise for 1-D."""
    return values.mean(axis=-1) if values.ndim >= 2 else values


def move_axis_last(y_pred, y_true, axis):
    """Moves `axis` of y_pred (a Tensor) and y_true (an array or None) to the end."""
    nd = y_pred.ndim
    if not -nd <= axis < nd:
        raise ValueError(f"axis {axis} is out of range for y_pred of shape {y_pred.shape}")
    axis %= nd
    if axis == nd - 1:
        return y_pred, y_true
    perm = [i for i in range(nd) if i != axis] + [axis]
    if y_true is not None:
        y_true = backend.get_array_module(y_true).moveaxis(y_true, axis, -1)
    return ops.transpose(y_pred, perm), y_true


# --- weights and reductions -----------------------------------------------------------
def standardize_reduction(reduction):
    """Checks a reduction name; None means 'none' (as in Keras)."""
    if reduction is None:
        return "none"
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid reduction {reduction!r}; expected one of {', '.join(REDUCTIONS)}")
    return reduction


def _weights_like(sample_weight, values):
    """`sample_weight` on values' device and dtype, ranked to broadcast against `values`."""
    sw = as_target(sample_weight, values, dtype=values.dtype)
    if sw.ndim == values.ndim + 1 and sw.shape[-1] == 1:
        sw = sw.reshape(sw.shape[:-1])
    while sw.ndim < values.ndim:
        sw = sw.reshape(sw.shape + (1,))
    try:
        shape = np.broadcast_shapes(sw.shape, values.shape)  # shapes only, no data
    except ValueError:
        shape = None
    if shape != values.shape:
        raise ValueError(f"sample_weight of shape {tuple(sample_weight_shape(sample_weight))} cannot be "
                         f"applied to per-sample losses of shape {values.shape}; give one weight "
                         "per sample, e.g. shape (batch_size,)")
    return sw


def sample_weight_shape(sample_weight):
    """The shape of a weight given as Tensor, array, list or scalar."""
    if hasattr(sample_weight, "shape"):
        return sample_weight.shape
    return backend.to_device(sample_weight, "cpu").shape


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Applies `sample_weight` (and a validity `mask`) to per-sample `values`, then reduces.

    'sum_over_batch_size' / 'mean' divide the weighted sum by the number of values (by the
    number of valid ones when a mask is given), 'mean_with_sample_weight' by the sum of
    the weights, 'sum' returns the sum, 'none' the weighted values.
    """
    weights = None
    if sample_weight is not None:
        weights = _weights_like(sample_weight, values)
        values = values * weights
    if reduction == "none" or values.ndim == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    xp = backend.get_array_module(values.data)
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = xp.broadcast_to(weights, values.shape).sum()
        if mask is not None:
            divisor = (weights * mask).sum()
        return total / xp.where(divisor == 0, 1, divisor).astype(values.dtype)
    if mask is not None:
        return total / xp.maximum(mask.sum(), 1).astype(values.dtype)
    return total / max(values.size, 1)


def filter_config(cls, config, what):
    """Drops (with a warning) config keys that `cls.__init__` does not take, e.g. from Keras files."""
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return config
    unknown = sorted(set(config) - set(params))
    if unknown:
        warnings.warn(f"{what} {cls.__name__}: ignoring config keys {unknown} that kerasish does not support",
                      stacklevel=3)
    return {k: v for k, v in config.items() if k in params}


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# --- the base class -------------------------------------------------------------------
class Loss:
    """Base class of Keras-style losses, called `loss(y_true, y_pred, sample_weight=None)`.

    Subclasses implement `call(y_true, y_pred)` returning per-sample losses (a Tensor);
    `__call__` converts the inputs (y_pred to a float Tensor, y_true to a constant Tensor
    on y_pred's device), applies `sample_weight` and the reduction.

    Args:
        name: name of the loss (defaults to the class name in snake_case).
        reduction: 'sum_over_batch_size' (default; 'mean' is an alias), 'sum', 'none'
            (or None), or 'mean_with_sample_weight'.
        dtype: accepted for Keras compatibility; the computation uses y_pred's dtype.

    Example:
        >>> class MyMSE(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((y_pred - y_true) ** 2).mean(axis=-1)
        >>> MyMSE()([[0.0, 1.0]], Tensor([[1.0, 1.0]])).item()
        0.5
    """

    argument_order = "target_first"

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = dtype

    def call(self, y_true, y_pred):
        """Returns the per-sample losses (a Tensor); subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = as_prediction(y_pred)
        with backend.device_scope(y_pred.device):
            return self._weighted_values(y_true, y_pred, sample_weight)

    def _weighted_values(self, y_true, y_pred, sample_weight):
        y_true = Tensor._wrap(as_target(y_true, y_pred), False, None)
        values = self.call(y_true, y_pred)
        if not isinstance(values, Tensor):
            values = Tensor._wrap(backend.to_device(values, y_pred.device), False, None)
        return reduce_weighted_values(values, sample_weight, self.reduction,
                                      self._valid_mask(y_true.data, values))

    def _valid_mask(self, y_true, values):
        """A 0/1 array marking the values that count (None: all do); see ignore_class."""
        return None

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        config = {"name": self.name, "reduction": self.reduction}
        if self.dtype is not None:
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        """Builds the loss from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """Turns a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses into a `Loss`.

    This is how a custom loss given as a plain function gets sample weights and reductions.

    Args:
        fn: the function; it receives Tensors (y_true is a constant Tensor).
        reduction, name: as for `Loss` (name defaults to `fn.__name__`).
        **kwargs: extra keyword arguments passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper needs a callable, got {type(fn).__name__}")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        """Calls the wrapped function with the stored keyword arguments."""
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        """Name, reduction, the function's keyword arguments and (for this class) its name."""
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is LossFunctionWrapper:
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds the wrapper; a 'fn' given by name must be a built-in loss function."""
        config = dict(config)
        if cls is LossFunctionWrapper:
            fn = config.pop("fn")
            if isinstance(fn, str):
                from kerasish.losses import functional
                if fn not in functional.FUNCTIONS:
                    raise ValueError(f"Unknown loss function {fn!r} in config; pass it through "
                                     "custom_objects={name: function} to deserialize()")
                fn = functional.FUNCTIONS[fn]
            return cls(fn, **config)
        return cls(**config)

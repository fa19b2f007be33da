"""Weight initializers: callables `(shape, dtype) -> numpy array`, and `get(name)`.

Fan-in/fan-out follow Keras: for a kernel of shape (..., in, out) the receptive field
(the product of the leading dimensions) multiplies both.
"""
import inspect
import math

import numpy as np

from kerasish import backend


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, Keras's rule."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: `init(shape, dtype=None)` returns a host numpy array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self):
        """Constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds from `get_config()`; Keras-only keys set to None (e.g. 'input_axes') are ignored."""
        params = inspect.signature(cls.__init__).parameters
        unknown = sorted(k for k, v in config.items() if k not in params and v is not None)
        if unknown:
            raise ValueError(f"{cls.__name__}.from_config: unsupported arguments {unknown}; "
                             f"valid: {sorted(k for k in params if k != 'self')}")
        return cls(**{k: v for k, v in config.items() if k in params})

    def _rng(self):
        seed = getattr(self, "seed", None)
        return np.random.default_rng(seed) if seed is not None else backend.rng("cpu")


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=backend.parse_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=backend.parse_dtype(dtype))


class Constant(Initializer):
    """Every element equal to `value`."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=backend.parse_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """Normal(mean, stddev)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return self._rng().normal(self.mean, self.stddev, shape).astype(backend.parse_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(backend.parse_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) redrawn outside two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        rng = self._rng()
        out = rng.standard_normal(shape)
        bad = np.abs(out) > 2
        while bad.any():
            out[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(out) > 2
        return np.asarray(self.mean + self.stddev * out).astype(backend.parse_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Keras's family: scale / fan (fan_in, fan_out or fan_avg), normal or uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if not scale > 0:
            raise ValueError(f"VarianceScaling scale must be positive, got {scale!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "normal", "uniform"):
            raise ValueError("distribution must be 'truncated_normal', 'untruncated_normal' or "
                             f"'uniform', got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return RandomUniform(-limit, limit, self.seed)(shape, dtype)
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a standard normal truncated to [-2, 2]
            return TruncatedNormal(0.0, math.sqrt(var) / 0.87962566103423978, self.seed)(shape, dtype)
        return RandomNormal(0.0, math.sqrt(var), self.seed)(shape, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _family(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _family("GlorotUniform", 1.0, "fan_avg", "uniform", "Xavier uniform: U(±sqrt(6 / (in + out))).")
GlorotNormal = _family("GlorotNormal", 1.0, "fan_avg", "truncated_normal", "Xavier normal (truncated).")
HeUniform = _family("HeUniform", 2.0, "fan_in", "uniform", "He uniform: U(±sqrt(6 / in)).")
HeNormal = _family("HeNormal", 2.0, "fan_in", "truncated_normal", "He normal (truncated), stddev sqrt(2 / in).")
LecunUniform = _family("LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform: U(±sqrt(3 / in)).")
LecunNormal = _family("LecunNormal", 1.0, "fan_in", "truncated_normal", "LeCun normal (truncated).")


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; non-square ones get a rectangular eye)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(backend.parse_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR of a normal matrix."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape with at least 2 dims, got {tuple(shape)}")
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(backend.parse_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "normal": RandomNormal, "random_uniform": RandomUniform, "uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "identity": Identity,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform, "xavier": GlorotUniform,
    "xavier_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "xavier_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
}


_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def _plain(value):
    """numpy scalars (e.g. a float32 `value`, an int64 `seed`) as Python numbers, for JSON."""
    return value.item() if isinstance(value, np.generic) else value


def serialize(initializer):
    """{'class_name': ..., 'config': ...} for an initializer object; a plain function's name."""
    if isinstance(initializer, Initializer):
        config = {k: _plain(v) for k, v in initializer.get_config().items()}
        return {"class_name": type(initializer).__name__, "config": config}
    return getattr(initializer, "__name__", type(initializer).__name__)


def get(identifier):
    """An initializer from a name ('xavier', 'he_normal', ...), a config dict, an instance or a callable."""
    if isinstance(identifier, Initializer) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        name = identifier.get("class_name", "")
        if name not in _CLASSES:
            raise ValueError(f"Unknown initializer class {name!r}; valid: {', '.join(sorted(_CLASSES))}")
        return _CLASSES[name].from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)  # 'he_normal' or 'HeNormal'
        if cls is None:
            raise ValueError(f"Unknown initializer {identifier!r}; valid names are: {', '.join(sorted(_BY_NAME))} "
                             f"(or a class name: {', '.join(sorted(_CLASSES))})")
        return cls()
    raise TypeError(f"Could not interpret initializer {identifier!r}: expected a name, dict, "
                    "Initializer or callable")

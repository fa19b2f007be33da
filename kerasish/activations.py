"""Activation functions (Tensor -> Tensor) and activation layers.

Functions are looked up by name for layer arguments (`Dense(10, activation='relu')`) through
`get`, and named back for configs through `serialize`. The seed's abstract `Activation` and
Keras's `Activation('relu')` layer are one class; `Tanh, ReLU, Sigmoid, Softmax, LeakyReLU, ELU`
derive from it and are usable as layers:

    relu = ReLU(device='cpu')
    y = relu(x)
    layer = Activation('gelu')

`gelu` defaults to the exact erf form (as Keras); `gelu(x, approximate=True)` is the tanh form.
"""
import numbers
import warnings

from kerasish import ops
from kerasish.layers.base import LAYER_REGISTRY, Layer
from kerasish.ops import activation as _a
from kerasish.tensor import Tensor


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# --- functions ----------------------------------------------------------------------------
def linear(x):
    """Identity: returns `x` unchanged."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); Keras's options give `negative_slope * (x - threshold)` below `threshold`
    and cap the output at `max_value`."""
    if negative_slope == 0 and max_value is None and threshold == 0:
        return ops.relu(x)
    x = _t(x)
    below = (x - threshold) * negative_slope if negative_slope else x * 0.0
    out = ops.where(x.data >= threshold, x, below)
    return out if max_value is None else ops.minimum(out, float(max_value))


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def _warn_if_single_class(x, axis):
    shape = getattr(x, "shape", None)
    if shape and isinstance(axis, int) and -len(shape) <= axis < len(shape) and axis % len(shape) \
            and shape[axis] == 1:
        shape = (None,) + tuple(shape[1:])  # without the batch size, so the warning shows once
        warnings.warn(f"softmax over axis {axis} of a tensor of shape {shape}: that axis has size 1, "
                      "so the output is always 1. For a binary output use Dense(1, activation='sigmoid') "
                      "with binary_crossentropy, or Dense(2, activation='softmax')", stacklevel=3)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (warns when that axis has size 1: the output is then all ones)."""
    _warn_if_single_class(x, axis)
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


def exponential(x):
    """exp(x)."""
    return ops.exp(x)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, `negative_slope * x` otherwise (Keras 3's function default 0.2)."""
    return _a.LeakyReLU.apply(_t(x), alpha=negative_slope)


def elu(x, alpha=1.0):
    """x for x > 0, `alpha * (exp(x) - 1)` otherwise."""
    return _a.ELU.apply(_t(x), alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants (alpha 1.6733, scale 1.0507)."""
    return _a.ELU.apply(_t(x), alpha=_a.SELU_ALPHA, scale=_a.SELU_SCALE)


def gelu(x, approximate=False):
    """x * Phi(x) (Phi: the standard normal CDF); `approximate=True` uses the tanh form."""
    return _a.GELU.apply(_t(x), approximate=bool(approximate))


def softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    return _a.Softplus.apply(_t(x))


def softsign(x):
    """x / (1 + |x|)."""
    return _a.Softsign.apply(_t(x))


def silu(x):
    """x * sigmoid(x) (Swish)."""
    return _a.Swish.apply(_t(x))


swish = silu


def mish(x):
    """x * tanh(softplus(x))."""
    return _a.Mish.apply(_t(x))


def relu6(x):
    """min(max(x, 0), 6)."""
    return _a.ReLU6.apply(_t(x))


def hard_sigmoid(x):
    """relu6(x + 3) / 6, Keras 3's piecewise-linear sigmoid."""
    return _a.HardSigmoid.apply(_t(x))


def hard_silu(x):
    """x * hard_sigmoid(x) (hard Swish)."""
    return _a.HardSwish.apply(_t(x))


hard_swish = hard_silu

_BY_NAME = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "exponential": exponential, "leaky_relu": leaky_relu, "elu": elu,
    "selu": selu, "gelu": gelu, "softplus": softplus, "softsign": softsign, "silu": silu,
    "swish": swish, "mish": mish, "relu6": relu6, "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu, "hard_swish": hard_swish,
}
# canonical name of each function (aliases share one function object)
_NAME_OF = {}
for _name, _fn in _BY_NAME.items():
    _NAME_OF.setdefault(id(_fn), _name)


def get(identifier):
    """The activation callable for a name, a config dict, a callable, or None (-> linear).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}; valid names are: "
                             f"{', '.join(sorted(_BY_NAME))}")
        return fn
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = LAYER_REGISTRY.get(name)
        if cls is None or not issubclass(cls, Activation):
            valid = sorted(k for k, v in LAYER_REGISTRY.items() if issubclass(v, Activation))
            raise ValueError(f"Unknown activation class {name!r}; valid: {', '.join(valid)}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Activation):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation {identifier!r}: expected a name, a callable or None")


def serialize(activation):
    """A JSON-friendly form: the name of a built-in function, a {'class_name', 'config'} dict
    for an activation layer, or a custom function's `__name__`."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return _NAME_OF[id(get(activation))]
    name = _NAME_OF.get(id(activation))
    if name is not None:
        return name
    if isinstance(activation, Layer):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    return getattr(activation, "__name__", type(activation).__name__)


# --- layers -------------------------------------------------------------------------------
class Activation(Layer):
    """Applies an activation function; the base of the seed's activation classes.

    Args:
        activation: a name ('relu', 'gelu', ...) or a callable Tensor -> Tensor.
        name, dtype, device, trainable: as for every layer.

    Example:
        >>> layer = Activation('relu')
        >>> layer(Tensor([-1.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    def __init__(self, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = get(activation)

    def forward(self, x):
        """Applies the activation to `x`."""
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        """The input shape (activations are elementwise; softmax keeps the shape too)."""
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        if type(self) is Activation:  # subclasses fix their function: no `activation` argument
            config["activation"] = serialize(self.activation)
        return config


class Tanh(Activation):
    """Hyperbolic tangent layer."""

    def __init__(self, **kwargs):
        super().__init__(tanh, **kwargs)


class Sigmoid(Activation):
    """Logistic sigmoid layer."""

    def __init__(self, **kwargs):
        super().__init__(sigmoid, **kwargs)


class ReLU(Activation):
    """Rectified linear unit layer (Keras's options: `max_value`, `negative_slope`, `threshold`).

    Computes `x` for `x >= threshold`, `negative_slope * (x - threshold)` below, capped at
    `max_value`. With the defaults it is max(x, 0).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU max_value must be >= 0 or None, got {max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU negative_slope must be >= 0, got {negative_slope}")
        super().__init__(relu, **kwargs)
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def forward(self, x):
        return relu(x, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class Softmax(Activation):
    """Softmax layer over `axis` (default the last)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(softmax, **kwargs)
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else tuple(int(a) for a in axis)

    def forward(self, x):
        _warn_if_single_class(x, self.axis)
        return ops.softmax(x, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis if isinstance(self.axis, int) else list(self.axis)
        return config


class LeakyReLU(Activation):
    """x for x > 0, `alpha * x` otherwise.

    Args:
        alpha: slope below zero (default 0.3, as Keras's layer); `negative_slope` is an alias.
    """

    def __init__(self, alpha=0.3, negative_slope=None, **kwargs):
        super().__init__(leaky_relu, **kwargs)
        alpha = alpha if negative_slope is None else negative_slope
        if alpha < 0:
            raise ValueError(f"LeakyReLU alpha (negative_slope) must be >= 0, got {alpha}")
        self.alpha = float(alpha)

    @property
    def negative_slope(self):
        """Keras 3's name for `alpha`."""
        return self.alpha

    def forward(self, x):
        return _a.LeakyReLU.apply(x, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ELU(Activation):
    """x for x > 0, `alpha * (exp(x) - 1)` otherwise (default alpha 1.0)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(elu, **kwargs)
        self.alpha = float(alpha)

    def forward(self, x):
        return _a.ELU.apply(x, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


__all__ = ["Activation", "Tanh", "ReLU", "Sigmoid", "Softmax", "LeakyReLU", "ELU", "get",
           "serialize"] + list(_BY_NAME)

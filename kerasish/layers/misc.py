"""Small layers: Dot (batched dot product of two inputs), PReLU, ActivityRegularization, Identity."""
import math
import numbers

from kerasish import initializers, ops, regularizers
from kerasish.backend import get_array_module
from kerasish.function import Function
from kerasish.layers.base import InputSpec, Layer
from kerasish.layers.core import _no_constraint


class Dot(Layer):
    """Dot product of two tensors along one axis of each, per sample (Keras's `Dot`).

    For inputs of shapes (batch, n) the output is (batch, 1); in general the output holds
    the remaining axes of the first input then those of the second, e.g. (batch, T, d) and
    (batch, S, d) with `axes=2` give (batch, T, S).

    Args:
        axes: one axis for both inputs or a pair (one per input); the batch axis 0 not allowed.
        normalize: L2-normalise both inputs along their dot axes first (cosine similarity).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, numbers.Integral) else tuple(axes)
        if len(pair) != 2 or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in pair):
            raise ValueError(f"Dot: axes must be an int or a pair of ints, got {axes!r}")
        self.axes = axes if isinstance(axes, numbers.Integral) else [int(a) for a in pair]
        self._pair = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)

    def _resolve(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"Layer '{self.name}' (Dot) must be called on a list of exactly 2 tensors, got "
                             f"{type(inputs).__name__}" + (f" of length {len(inputs)}"
                                                            if isinstance(inputs, (list, tuple)) else ""))
        a, b = inputs
        axes = []
        for t, axis in zip((a, b), self._pair):
            if t.ndim < 2 or not -t.ndim <= axis < t.ndim or axis % t.ndim == 0:
                raise ValueError(f"Layer '{self.name}' (Dot): axes {self._pair} must name a non-batch axis of "
                                 f"each input, got input shapes {a.shape} and {b.shape}")
            axes.append(axis % t.ndim)
        if a.shape[axes[0]] != b.shape[axes[1]] or a.shape[0] != b.shape[0]:
            raise ValueError(f"Layer '{self.name}' (Dot): the dot axes must have equal sizes (and the batch "
                             f"sizes match), got shapes {a.shape} and {b.shape} with axes {tuple(axes)}")
        return a, b, axes

    def forward(self, inputs):
        """The per-sample dot product of the two inputs."""
        a, b, (ax_a, ax_b) = self._resolve(inputs)
        if self.normalize:
            a, b = _l2_normalize(a, ax_a), _l2_normalize(b, ax_b)
        batch, size = a.shape[0], a.shape[ax_a]
        rest_a = [i for i in range(1, a.ndim) if i != ax_a]
        rest_b = [i for i in range(1, b.ndim) if i != ax_b]
        a2 = ops.transpose(a, (0, *rest_a, ax_a)).reshape(batch, -1, size)
        b2 = ops.transpose(b, (0, ax_b, *rest_b)).reshape(batch, size, -1)
        out_shape = [a.shape[i] for i in rest_a] + [b.shape[i] for i in rest_b]
        return (a2 @ b2).reshape(batch, *(out_shape or [1]))

    def compute_output_shape(self, input_shape):
        """(batch, remaining axes of the first input, remaining axes of the second) or (batch, 1)."""
        sa, sb = (tuple(s) for s in input_shape)
        ax_a, ax_b = self._pair[0] % len(sa), self._pair[1] % len(sb)
        rest = [n for i, n in enumerate(sa) if i not in (0, ax_a)] + [n for i, n in enumerate(sb) if i not in (0, ax_b)]
        return (sa[0], *(rest or [1]))

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis, epsilon=1e-7):
    # the floor goes under the root, so an all-zero sample gets a zero gradient, not a NaN
    return x / ops.sqrt(ops.maximum((x * x).sum(axis=axis, keepdims=True), epsilon * epsilon))


class _PReLU(Function):
    """x where x > 0, alpha * x elsewhere; alpha broadcasts against x."""

    def forward(self, x, alpha):
        xp = get_array_module(x, alpha)
        self.x, self.alpha = x, alpha
        self.pos = x > 0
        return xp.where(self.pos, x, alpha * x)

    def backward(self, g):
        xp = get_array_module(g)
        zero = xp.zeros((), dtype=g.dtype)
        need_x, need_alpha = self.needs_input_grad
        gx = xp.where(self.pos, g, g * self.alpha) if need_x else None
        galpha = xp.where(self.pos, zero, g * self.x) if need_alpha else None
        return gx, galpha


class PReLU(Layer):
    """Parametric ReLU: `x` for x > 0, `alpha * x` otherwise, with a learnt `alpha` per position
    and channel (shared along `shared_axes`).

    Args:
        alpha_initializer: initializer of alpha (default 'zeros').
        alpha_regularizer: penalty on alpha.
        shared_axes: non-batch axes (1-based) along which alpha is shared, e.g. [1, 2] for one
            alpha per channel of (batch, H, W, C) images.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        _no_constraint("PReLU", alpha_constraint=alpha_constraint)
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, numbers.Integral) else list(shared_axes)
            if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(f"PReLU: shared_axes must be positive axis indices (the batch axis 0 "
                                 f"excluded), got {shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]
        self.alpha = None

    def build(self, input_shape):
        """Creates `alpha` of shape input_shape[1:], with 1 on the shared axes."""
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis > len(shape):
                raise ValueError(f"PReLU '{self.name}': shared axis {axis} is out of range for inputs of shape "
                                 f"{tuple(input_shape)}")
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"PReLU '{self.name}' needs every non-shared axis size known, got input shape "
                             f"{tuple(input_shape)}; share the unknown axes with shared_axes=")
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={i + 1: (None if n == 1 else n)
                                                                  for i, n in enumerate(shape)})
        self.built = True

    def forward(self, x):
        """max(x, 0) + alpha * min(x, 0)."""
        return _PReLU.apply(x, self.alpha)

    def compute_output_shape(self, input_shape):
        """The input shape."""
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer), "alpha_constraint": None,
                "shared_axes": self.shared_axes}


class ActivityRegularization(Layer):
    """Identity that adds `l1 * sum(|x|) + l2 * sum(x ** 2)` of its input to `losses`.

    Args:
        l1, l2: the penalty factors (>= 0).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        for what, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0 or math.isinf(value):
                raise ValueError(f"ActivityRegularization '{self.name}': {what} must be a finite number >= 0, "
                                 f"got {value!r}")
        self.l1, self.l2 = float(l1), float(l2)
        self._activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def forward(self, x):
        """x, unchanged."""
        return x

    def compute_output_shape(self, input_shape):
        """The input shape."""
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


class Identity(Layer):
    """Returns its input unchanged (a placeholder layer)."""

    def forward(self, x):
        """x."""
        return x

    def compute_output_shape(self, input_shape):
        """The input shape."""
        return input_shape


"""Merge layers: combine a list of tensors into one (Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate), plus Keras's lowercase functional forms (`add([a, b])`, ...)."""
from kerasish import ops
from kerasish.layers.base import Layer
from kerasish.tensor import Tensor


class _Merge(Layer):
    """Base of the elementwise merge layers: checks the input list and its shapes."""

    _min_inputs = 1
    _max_inputs = None

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or not all(isinstance(t, Tensor) for t in inputs):
            raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                            f"tensors, got {type(inputs).__name__}")
        n = len(inputs)
        if n < self._min_inputs or (self._max_inputs is not None and n > self._max_inputs):
            want = (f"exactly {self._min_inputs}" if self._min_inputs == self._max_inputs
                    else f"at least {self._min_inputs}")
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs {want} inputs, got {n}")
        _broadcast_shape(self, [t.shape for t in inputs])

    def forward(self, inputs):
        self._check_inputs(inputs)
        out = inputs[0]
        for t in inputs[1:]:
            out = self._merge(out, t)
        return out

    def _merge(self, a, b):
        raise NotImplementedError(f"{type(self).__name__} must implement _merge(a, b)")


def _broadcast_shape(layer, shapes):
    """The broadcast shape of `shapes`, or a ValueError naming the layer and every shape."""
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis and s[axis] != 1}
        if len(sizes) > 1:
            raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) got inputs of incompatible "
                             f"shapes {[tuple(s) for s in shapes]}: sizes must match or be 1 on each axis")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


class Add(_Merge):
    """Adds a list of tensors elementwise (with broadcasting).

    Example:
        >>> Add()([x1, x2])
    """

    def _merge(self, a, b):
        return a + b


class Subtract(_Merge):
    """Subtracts the second of exactly two tensors from the first."""

    _min_inputs = _max_inputs = 2

    def _merge(self, a, b):
        return a - b


class Multiply(_Merge):
    """Multiplies a list of tensors elementwise."""

    def _merge(self, a, b):
        return a * b


class Average(_Merge):
    """Averages a list of tensors elementwise."""

    def forward(self, inputs):
        self._check_inputs(inputs)
        total = inputs[0]
        for t in inputs[1:]:
            total = total + t
        return total * (1.0 / len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of a list of tensors."""

    def _merge(self, a, b):
        return ops.maximum(a, b)


class Minimum(_Merge):
    """Elementwise minimum of a list of tensors."""

    def _merge(self, a, b):
        return ops.minimum(a, b)


class Concatenate(Layer):
    """Joins a list of tensors along `axis` (default the last).

    Args:
        axis: the axis to join on; every other size must match.

    Example:
        >>> Concatenate()([x1, x2])      # (None, 3) + (None, 5) -> (None, 8)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def forward(self, inputs):
        if not isinstance(inputs, (list, tuple)) or not all(isinstance(t, Tensor) for t in inputs):
            raise TypeError(f"Layer '{self.name}' (Concatenate) must be called on a list of tensors, "
                            f"got {type(inputs).__name__}")
        if not inputs:
            raise ValueError(f"Layer '{self.name}' (Concatenate) needs at least 1 input, got 0")
        shapes = [t.shape for t in inputs]
        ndim = len(shapes[0])
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Layer '{self.name}' (Concatenate): axis {self.axis} is out of range for "
                             f"inputs of rank {ndim}, shapes {shapes}")
        axis = self.axis % ndim
        rest = {s[:axis] + s[axis + 1:] if len(s) == ndim else None for s in shapes}
        if len(rest) > 1:
            raise ValueError(f"Layer '{self.name}' (Concatenate) needs inputs whose shapes match except on "
                             f"the concat axis ({self.axis}), got shapes {shapes}")
        if len(inputs) == 1:
            return inputs[0]
        return ops.concatenate(list(inputs), axis=axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Functional form of `Add`: `add([a, b])`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([a, b], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)

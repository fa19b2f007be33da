"""Reductions: sum, mean, max, min, var (+ argmax/argmin without gradient)."""
import operator

from kerasish.backend import get_array_module
from kerasish.function import Function


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(operator.index(a) % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _expand(g, axes, keepdims):
    """Reinserts reduced axes so `g` broadcasts against the input."""
    if keepdims or not axes:
        return g
    shape = list(g.shape)
    for a in axes:
        shape.insert(a, 1)
    return g.reshape(shape)


class Sum(Function):
    """Sum over axes."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a):
        self.shape = a.shape
        self.axes = _normalize_axis(self.axis, a.ndim)
        return a.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        xp = get_array_module(g)
        return xp.broadcast_to(_expand(g, self.axes, self.keepdims), self.shape)


class Mean(Function):
    """Mean over axes."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a):
        self.shape = a.shape
        self.axes = _normalize_axis(self.axis, a.ndim)
        self.count = 1
        for ax in self.axes:
            self.count *= a.shape[ax]
        return a.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        xp = get_array_module(g)
        return xp.broadcast_to(_expand(g, self.axes, self.keepdims) / self.count, self.shape)


class Max(Function):
    """Max (or min) reduction; tied elements share the gradient equally."""

    def __init__(self, axis=None, keepdims=False, minimum=False):
        self.axis, self.keepdims, self.minimum = axis, keepdims, minimum

    def forward(self, a):
        if a.size == 0:
            raise ValueError("max/min of an empty tensor")
        self.a = a
        self.axes = _normalize_axis(self.axis, a.ndim)
        reduce = a.min if self.minimum else a.max
        self.out = reduce(axis=self.axes, keepdims=True)
        return self.out if self.keepdims else self.out.reshape(
            [n for i, n in enumerate(a.shape) if i not in self.axes])

    def backward(self, g):
        mask = self.a == self.out
        count = mask.sum(axis=self.axes, keepdims=True, dtype=g.dtype)  # an int count would promote
        return mask * (_expand(g, self.axes, self.keepdims) / count)


class Var(Function):
    """Variance over axes (ddof)."""

    def __init__(self, axis=None, keepdims=False, ddof=0):
        self.axis, self.keepdims, self.ddof = axis, keepdims, ddof

    def forward(self, a):
        self.axes = _normalize_axis(self.axis, a.ndim)
        n = 1
        for ax in self.axes:
            n *= a.shape[ax]
        self.denom = max(n - self.ddof, 1)
        self.centered = a - a.mean(axis=self.axes, keepdims=True)
        out = (self.centered * self.centered).sum(axis=self.axes, keepdims=self.keepdims) / self.denom
        return out.astype(a.dtype, copy=False) if a.dtype.kind == "f" else out

    def backward(self, g):
        return _expand(g, self.axes, self.keepdims) * (2.0 / self.denom) * self.centered

"""Shape ops: reshape, transpose, indexing, concatenate, stack, pad, squeeze, broadcast."""
from kerasish import backend
from kerasish.backend import get_array_module
from kerasish.function import Function


class Reshape(Function):
    """Same data, new shape."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        self.in_shape = a.shape
        try:
            return a.reshape(self.shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                             f"into shape {tuple(self.shape)}") from None

    def backward(self, g):
        return g.reshape(self.in_shape)


class Transpose(Function):
    """Axis permutation."""

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, a):
        axes = tuple(range(a.ndim))[::-1] if self.axes is None else tuple(self.axes)
        if sorted(ax % a.ndim for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of {a.ndim} axes")
        self.inverse = tuple(sorted(range(a.ndim), key=lambda i: axes[i] % a.ndim))
        return a.transpose(axes)

    def backward(self, g):
        return g.transpose(self.inverse)


def _is_advanced(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(hasattr(i, "shape") and getattr(i, "ndim", 0) > 0 or isinstance(i, list) for i in items)


class GetItem(Function):
    """Indexing; backward scatters (repeated indices accumulate)."""

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        index = self.index
        if getattr(index, "ndim", 0) > 0 and getattr(index, "dtype", None) is not None \
                and index.dtype.kind in "iu":
            return a.take(index, axis=0)  # one integer array on axis 0 (embeddings): take is faster
        return a[index]

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        if _is_advanced(self.index):
            backend.scatter_add(grad, self.index, g)  # repeated indices accumulate
        else:
            grad[self.index] = g
        return grad


class SetItem(Function):
    """`out = a.copy(); out[index] = value`: the graph of `tensor[index] = value`.

    The assigned positions take their gradient from `value` only; the rest from `a`.
    """

    def __init__(self, index):
        self.index = index

    def forward(self, a, value):
        out = a.copy()
        out[self.index] = value
        return out

    def backward(self, g):
        ga = gv = None
        if self.needs_input_grad[1]:
            gv = g[self.index]
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.index] = 0
        return ga, gv


class Concatenate(Function):
    """Join along an existing axis."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        self.sizes = [a.shape[self.axis] for a in arrays]
        return get_array_module(*arrays).concatenate(arrays, axis=self.axis)

    def backward(self, g):
        xp = get_array_module(g)
        bounds = []
        total = 0
        for n in self.sizes[:-1]:
            total += n
            bounds.append(total)
        return tuple(xp.split(g, bounds, axis=self.axis))


class Stack(Function):
    """Join along a new axis."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        self.count = len(arrays)
        return get_array_module(*arrays).stack(arrays, axis=self.axis)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.take(g, i, axis=self.axis) for i in range(self.count))


class Pad(Function):
    """Constant padding."""

    def __init__(self, pad_width, constant_values=0):
        self.pad_width, self.constant_values = pad_width, constant_values

    def forward(self, a):
        xp = get_array_module(a)
        width = xp_pad_width(self.pad_width, a.ndim)
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(width, a.shape))
        return xp.pad(a, width, mode="constant", constant_values=self.constant_values)

    def backward(self, g):
        return g[self.slices]


def xp_pad_width(pad_width, ndim):
    """Normalizes numpy-style pad widths to ((lo, hi),) * ndim."""
    if isinstance(pad_width, int):
        return ((pad_width, pad_width),) * ndim
    pw = tuple(pad_width)
    if len(pw) == 2 and all(isinstance(p, int) for p in pw):
        return (pw,) * ndim
    if len(pw) != ndim:
        raise ValueError(f"pad width {pad_width} does not match a tensor with {ndim} dimensions")
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in pw)


class BroadcastTo(Function):
    """Broadcast to a shape; the engine sums the gradient back."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, a):
        return get_array_module(a).broadcast_to(a, self.shape)

    def backward(self, g):
        return g  # the engine sums it back to the input shape

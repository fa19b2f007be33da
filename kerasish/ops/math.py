"""Elementwise ops: arithmetic, exp/log, the basic nonlinearities, clip, where.

Broadcasting is handled by the engine: a backward may return a gradient of the
output's shape and `backward()` sums it down to each input's shape (`sum_to`).
"""
import math

from kerasish import backend
from kerasish.backend import get_array_module
from kerasish.function import Function


class Add(Function):
    """a + b."""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """a - b."""

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Function):
    """a * b."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        need_a, need_b = self.needs_input_grad
        return (g * self.b if need_a else None), (g * self.a if need_b else None)


class Div(Function):
    """a / b."""

    def forward(self, a, b):
        self.b = b
        self.out = a / b
        return self.out

    def backward(self, g):
        ga = g / self.b
        gb = -ga * self.out if self.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """a ** b (gradients for both)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = g * b * a ** (b - 1) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            if hasattr(a, "dtype"):
                xp = get_array_module(a)
                log_a = xp.log(xp.where(a > 0, a, 1))
            else:  # a Python scalar base (`2 ** t`): a Python float keeps float32 float32
                log_a = math.log(a) if a > 0 else 0.0
            gb = g * self.out * log_a
        return ga, gb


class Neg(Function):
    """-a."""

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Exp(Function):
    """e ** a."""

    def forward(self, a):
        self.out = get_array_module(a).exp(a)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    """Natural logarithm."""

    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, g):
        return g / self.a


class Sqrt(Function):
    """Square root."""

    def forward(self, a):
        self.out = get_array_module(a).sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Abs(Function):
    """|a| (gradient sign(a))."""

    def forward(self, a):
        self.a = a
        return abs(a)

    def backward(self, g):
        return g * get_array_module(self.a).sign(self.a)


class Tanh(Function):
    """Hyperbolic tangent."""

    def forward(self, a):
        self.out = get_array_module(a).tanh(a)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Sigmoid(Function):
    """Logistic function, computed through tanh for stability."""

    def forward(self, a):
        # tanh form: stable for large |a| without a branch
        self.out = get_array_module(a).tanh(a * 0.5) * 0.5 + 0.5
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)


class ReLU(Function):
    """max(a, 0)."""

    def forward(self, a):
        self.mask = a > 0
        return a * self.mask

    def backward(self, g):
        return g * self.mask


class Maximum(Function):
    """Elementwise maximum; ties send the gradient to `a`."""

    def forward(self, a, b):
        self.a_wins = a >= b
        return get_array_module(a, b).maximum(a, b)

    def backward(self, g):
        need_a, need_b = self.needs_input_grad
        return (g * self.a_wins if need_a else None), (g * ~self.a_wins if need_b else None)


class Minimum(Function):
    """Elementwise minimum; ties send the gradient to `a`."""

    def forward(self, a, b):
        self.a_wins = a <= b
        return get_array_module(a, b).minimum(a, b)

    def backward(self, g):
        need_a, need_b = self.needs_input_grad
        return (g * self.a_wins if need_a else None), (g * ~self.a_wins if need_b else None)


class Clip(Function):
    """Clamp into [lo, hi]; zero gradient outside."""

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def forward(self, a):
        xp = get_array_module(a)
        self.mask = xp.ones(a.shape, dtype=bool)
        if self.lo is not None:
            self.mask &= a >= self.lo
        if self.hi is not None:
            self.mask &= a <= self.hi
        return xp.clip(a, self.lo, self.hi)

    def backward(self, g):
        return g * self.mask


class Where(Function):
    """where(condition, a, b); the condition is a constant."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return get_array_module(a, b, self.condition).where(self.condition, a, b)

    def backward(self, g):
        xp = get_array_module(g)
        zero = xp.zeros((), dtype=g.dtype)
        need_a, need_b = self.needs_input_grad
        return (xp.where(self.condition, g, zero) if need_a else None,
                xp.where(self.condition, zero, g) if need_b else None)


class Cast(Function):
    """astype(dtype); the gradient is cast back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        self.src = a.dtype
        return a.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.src) if self.src.kind == "f" else None


class ToDevice(Function):
    """Copy to another device; the gradient is copied back."""

    def __init__(self, device):
        self.device = device

    def forward(self, a):
        self.src = backend.device_of(a)
        return backend.to_device(a, self.device)

    def backward(self, g):
        return backend.to_device(g, self.src)

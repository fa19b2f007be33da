"""Elementwise activation ops beyond ops/math.py: each forward next to its backward.

Every op saves only what its backward reads (a mask, the output, or the input), and
takes its array module from the operand, so the same code runs on NumPy and CuPy.
relu, sigmoid, tanh, softmax, log_softmax and exp live in ops/math.py and ops/nn.py.
"""
import math

from kerasish.backend import get_array_module
from kerasish.function import Function

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# erfc(z) = t * exp(-z**2 + P(t)) for z >= 0 with t = 2 / (2 + z); P is a Chebyshev series in
# s = 2t - 1 on t in (0, 1]. The coefficients were fitted for this module (least squares at 400
# Chebyshev nodes against 40-digit mpmath values); relative error ~1e-14 in float64. Float32
# and float16 use the first 13 terms (relative error ~6e-9), which is below their resolution.
_ERFC_CHEB = (
    -0.6513268598908551, 0.6419697923564902, 0.01947647320418583, -0.009561514786808561,
    -0.0009465953444819306, 0.0003668394978526942, 4.252332480686984e-05, -2.0278578112704116e-05,
    -1.6242900047859729e-06, 1.3036558356184493e-06, 1.5626441435484684e-08, -8.523809594006207e-08,
    6.529054357472433e-09, 5.059343491400346e-09, -9.913642822113102e-10, -2.273651533102058e-10,
    9.646797121130922e-11, 2.3939827754535004e-12, -6.88608010344613e-12, 8.94481673712147e-13,
    3.1301363256319756e-13, -1.1266983483514776e-13, 4.710277376051329e-16, 7.035976830476672e-15,
    -1.5700924586837763e-15,
)


def erfc(x):
    """The complementary error function of a float array (NumPy has none; this works on CuPy too)."""
    xp = get_array_module(x)
    z = abs(x)
    t = 2.0 / (2.0 + z)
    s = 2.0 * t - 1.0
    coeffs = _ERFC_CHEB if x.dtype.itemsize >= 8 else _ERFC_CHEB[:13]
    # Clenshaw recurrence for sum(c_k T_k(s))
    b1 = xp.zeros_like(s)
    b2 = xp.zeros_like(s)
    s2 = 2.0 * s
    for c in coeffs[:0:-1]:
        b1, b2 = s2 * b1 - b2 + c, b1
    series = s * b1 - b2 + coeffs[0]
    out = t * xp.exp(series - z * z)
    return xp.where(x < 0, 2.0 - out, out)


def normal_cdf(x):
    """Phi(x), the standard normal CDF, accurate in both tails."""
    return 0.5 * erfc(x * -_INV_SQRT_2)


class LeakyReLU(Function):
    """x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha=0.3):
        self.alpha = alpha

    def forward(self, x):
        self.mask = x > 0
        return get_array_module(x).where(self.mask, x, x * self.alpha)

    def backward(self, g):
        return get_array_module(g).where(self.mask, g, g * self.alpha)


class ELU(Function):
    """scale * (x for x > 0, alpha * (exp(x) - 1) otherwise); SELU is scale=SELU_SCALE."""

    def __init__(self, alpha=1.0, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = x > 0
        negative = xp.expm1(xp.minimum(x, 0)) * (self.alpha * self.scale)
        out = xp.where(self.mask, x * self.scale if self.scale != 1.0 else x, negative)
        self.out = out
        return out

    def backward(self, g):
        xp = get_array_module(g)
        # for x <= 0 the derivative is scale * alpha * exp(x) = out + scale * alpha
        return xp.where(self.mask, g * self.scale, g * (self.out + self.alpha * self.scale))


class GELU(Function):
    """x * Phi(x): exact (erf form, Keras's default) or the tanh approximation."""

    def __init__(self, approximate=False):
        self.approximate = approximate

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        if self.approximate:
            self.th = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1.0 + self.th)
        self.cdf = normal_cdf(x)
        return x * self.cdf

    def backward(self, g):
        xp = get_array_module(g)
        x = self.x
        if self.approximate:
            th = self.th
            inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * inner)
        pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (self.cdf + x * pdf)


class Softplus(Function):
    """log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) (no overflow)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-abs(x)))

    def backward(self, g):
        xp = get_array_module(g)
        return g * (xp.tanh(self.x * 0.5) * 0.5 + 0.5)


class Softsign(Function):
    """x / (1 + |x|)."""

    def forward(self, x):
        self.denom = 1.0 + abs(x)
        return x / self.denom

    def backward(self, g):
        return g / (self.denom * self.denom)


class Swish(Function):
    """x * sigmoid(x) (also called SiLU)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.s = xp.tanh(x * 0.5) * 0.5 + 0.5
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1.0 + self.x * (1.0 - s)))


class Mish(Function):
    """x * tanh(softplus(x))."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.th = xp.tanh(xp.maximum(x, 0) + xp.log1p(xp.exp(-abs(x))))
        return x * self.th

    def backward(self, g):
        xp = get_array_module(g)
        th = self.th
        sig = xp.tanh(self.x * 0.5) * 0.5 + 0.5
        return g * (th + self.x * (1.0 - th * th) * sig)


class ReLU6(Function):
    """min(max(x, 0), 6)."""

    def forward(self, x):
        self.mask = (x > 0) & (x < 6)
        return get_array_module(x).clip(x, 0, 6)

    def backward(self, g):
        return g * self.mask


class HardSigmoid(Function):
    """relu6(x + 3) / 6 (Keras 3's definition): 0 below -3, 1 above 3, linear between."""

    def forward(self, x):
        self.mask = (x > -3) & (x < 3)
        return get_array_module(x).clip(x * (1.0 / 6.0) + 0.5, 0, 1)

    def backward(self, g):
        return g * self.mask * (1.0 / 6.0)


class HardSwish(Function):
    """x * hard_sigmoid(x) (also called hard SiLU)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.hs = xp.clip(x * (1.0 / 6.0) + 0.5, 0, 1)
        return x * self.hs

    def backward(self, g):
        x = self.x
        inside = (x > -3) & (x < 3)
        return g * (self.hs + x * inside * (1.0 / 6.0))

"""Fused, numerically stable ops behind the losses: each forward next to its backward.

They work elementwise (or along the last axis) on raw arrays; the loss functions in
`kerasish.losses` handle argument checking, label smoothing and the axis moves.
"""
import math

from kerasish.backend import get_array_module
from kerasish.function import Function

_LOG2 = math.log(2.0)


class SigmoidBinaryCrossentropy(Function):
    """Elementwise binary cross-entropy of sigmoid(x) against targets z, stable for any logit.

    loss = max(x, 0) - x * z + log(1 + exp(-|x|)); d/dx = sigmoid(x) - z; d/dz = -x.
    """

    def forward(self, x, z):
        xp = get_array_module(x)
        self.x, self.z = x, z
        return xp.maximum(x, 0) - x * z + xp.log1p(xp.exp(-abs(x)))

    def backward(self, g):
        xp = get_array_module(g)
        need_x, need_z = self.needs_input_grad
        gx = gz = None
        if need_x:
            gx = g * ((xp.tanh(self.x * 0.5) * 0.5 + 0.5) - self.z)
        if need_z:
            gz = -g * self.x
        return gx, gz


class ClippedBinaryCrossentropy(Function):
    """Elementwise -(z log p + (1 - z) log(1 - p)) with p clipped to [eps, 1 - eps].

    As Keras does, the gradient w.r.t. p is zero where p was clipped.
    """

    def __init__(self, epsilon=1e-7):
        self.epsilon = epsilon

    def forward(self, p, z):
        xp = get_array_module(p)
        pc = xp.clip(p, self.epsilon, 1.0 - self.epsilon)
        self.pc, self.z = pc, z
        self.inside = pc == p
        return -(z * xp.log(pc) + (1 - z) * xp.log1p(-pc))

    def backward(self, g):
        xp = get_array_module(g)
        need_p, need_z = self.needs_input_grad
        pc = self.pc
        gp = g * self.inside * (pc - self.z) / (pc * (1 - pc)) if need_p else None
        gz = g * (xp.log1p(-pc) - xp.log(pc)) if need_z else None
        return gp, gz


class ProbabilityCrossentropy(Function):
    """Cross-entropy of probability rows (last axis) against class indices or probability rows.

    As Keras: the rows are first normalised to sum to one, then clipped to
    [eps, 1 - eps] (zero gradient where clipped). Returns per-row losses
    (shape `probs.shape[:-1]`). Index targets must already be range-checked.
    """

    def __init__(self, epsilon=1e-7):
        self.epsilon = epsilon

    def forward(self, probs, target):
        xp = get_array_module(probs)
        eps = self.epsilon
        self.total = probs.sum(axis=-1, keepdims=True)
        self.classes = probs.shape[-1]
        if target.dtype.kind in "iu":
            self.index = target
            q = xp.take_along_axis(probs, target[..., None], axis=-1)[..., 0] / self.total[..., 0]
            c = xp.clip(q, eps, 1.0 - eps)
            self.q, self.c = q, c
            return -xp.log(c)
        self.index = None
        q = probs / self.total
        self.q, self.target = q, target
        return -(target * xp.log(xp.clip(q, eps, 1.0 - eps))).sum(axis=-1)

    def backward(self, g):
        xp = get_array_module(g)
        q, total = self.q, self.total
        c = self.c if self.index is not None else xp.clip(q, self.epsilon, 1.0 - self.epsilon)
        # u = dL/dq (zero where clipped); dL/dp_k = (u_k - sum_j u_j q_j) / total
        if self.index is not None:
            v = (c == q) * (-g / c) / total[..., 0]
            grad = xp.empty(total.shape[:-1] + (self.classes,), dtype=v.dtype)
            grad[...] = (-v * q)[..., None]
            flat = grad.reshape(-1, self.classes)
            flat[xp.arange(flat.shape[0]), self.index.reshape(-1)] += v.reshape(-1)
            return grad, None
        u = (c == q) * (-self.target / c)
        grad = (u - (u * q).sum(axis=-1, keepdims=True)) * (g[..., None] / total)
        return grad, None


class LogCosh(Function):
    """Elementwise log(cosh(x)) = |x| + log(1 + exp(-2|x|)) - log(2); gradient tanh(x)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        a = abs(x)
        return a + xp.log1p(xp.exp(-2.0 * a)) - _LOG2

    def backward(self, g):
        return g * get_array_module(g).tanh(self.x)

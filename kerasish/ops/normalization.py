"""Fused normalization ops (batch and layer normalization), each forward next to its backward.

`Normalize` standardizes with statistics of the input itself (BatchNormalization in training,
LayerNormalization always) and has the closed-form backward
    dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = g * gamma,
so no graph of means and variances is built. `AffineNormalize` uses given statistics
(BatchNormalization in inference): y = x * a + b with a = gamma / sqrt(var + eps).
"""
from kerasish.backend import get_array_module
from kerasish.function import Function


def _broadcast_param(p, shape):
    return None if p is None else p.reshape(shape)


class Normalize(Function):
    """(x - mean) / sqrt(var + eps) * gamma + beta, statistics over `reduce_axes`.

    Args:
        reduce_axes: axes the mean and variance are taken over (sorted, non-negative).
        param_axes: axes gamma and beta run along (their shape is x's shape on those axes).
        epsilon: added to the variance.
        stats: optional dict that receives the batch 'mean' and biased 'var' (keepdims shape).

    gamma and beta may be None (no scale / no center).
    """

    def __init__(self, reduce_axes, param_axes, epsilon, stats=None):
        self.reduce_axes, self.param_axes = tuple(reduce_axes), tuple(param_axes)
        self.epsilon, self.stats = epsilon, stats

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        axes = self.reduce_axes
        self.bshape = tuple(n if i in self.param_axes else 1 for i, n in enumerate(x.shape))
        self.sum_axes = tuple(i for i in range(x.ndim) if i not in self.param_axes)
        mean = x.mean(axis=axes, keepdims=True)
        xhat = x - mean
        var = (xhat * xhat).mean(axis=axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        xhat *= inv_std
        if self.stats is not None:
            self.stats["mean"], self.stats["var"] = mean, var
            self.stats = None
        self.xhat, self.inv_std = xhat, inv_std
        self.gamma = _broadcast_param(gamma, self.bshape)
        out = xhat
        if gamma is not None:
            out = out * self.gamma
        if beta is not None:
            out = out + beta.reshape(self.bshape)
        return out

    def backward(self, g):
        need_x, need_gamma, need_beta = self.needs_input_grad
        xhat = self.xhat
        gx = ggamma = gbeta = None
        param_shape = tuple(self.bshape[i] for i in self.param_axes)
        if need_gamma:
            ggamma = (g * xhat).sum(axis=self.sum_axes).reshape(param_shape)
        if need_beta:
            gbeta = g.sum(axis=self.sum_axes).reshape(param_shape)
        if need_x:
            gx = g * self.gamma if self.gamma is not None else g.copy()
            m2 = (gx * xhat).mean(axis=self.reduce_axes, keepdims=True)
            gx -= gx.mean(axis=self.reduce_axes, keepdims=True)
            gx -= xhat * m2
            gx *= self.inv_std
        return gx, ggamma, gbeta


class AffineNormalize(Function):
    """(x - mean) / sqrt(var + eps) * gamma + beta with given `mean` and `var` (param-shaped arrays).

    Args:
        mean, var: the statistics (constants, shape of gamma).
        param_axes: axes of x that gamma, beta, mean and var run along.
        epsilon: added to the variance.
    """

    def __init__(self, mean, var, param_axes, epsilon):
        self.mean, self.var = mean, var
        self.param_axes, self.epsilon = tuple(param_axes), epsilon

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        bshape = tuple(n if i in self.param_axes else 1 for i, n in enumerate(x.shape))
        self.sum_axes = tuple(i for i in range(x.ndim) if i not in self.param_axes)
        self.param_shape = self.mean.shape
        mean = self.mean.reshape(bshape).astype(x.dtype, copy=False)
        inv_std = (1.0 / xp.sqrt(self.var + self.epsilon)).reshape(bshape).astype(x.dtype, copy=False)
        scale = inv_std if gamma is None else inv_std * gamma.reshape(bshape)
        shift = -mean * scale
        if beta is not None:
            shift = shift + beta.reshape(bshape)
        self.x, self.bmean, self.inv_std, self.scale = x, mean, inv_std, scale
        return x * scale + shift

    def backward(self, g):
        need_x, need_gamma, need_beta = self.needs_input_grad
        gx = g * self.scale if need_x else None
        ggamma = gbeta = None
        if need_gamma:
            ggamma = (g * ((self.x - self.bmean) * self.inv_std)).sum(axis=self.sum_axes)
            ggamma = ggamma.reshape(self.param_shape)
        if need_beta:
            gbeta = g.sum(axis=self.sum_axes).reshape(self.param_shape)
        return gx, ggamma, gbeta

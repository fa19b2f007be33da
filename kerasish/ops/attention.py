"""Attention building blocks: a masked softmax (one graph node) and the causal mask."""
import numpy as np

from kerasish import backend
from kerasish.backend import get_array_module
from kerasish.function import Function
from kerasish.tensor import Tensor


def _large_negative(dtype):
    """The score given to masked positions: far below any real score, finite in `dtype`."""
    return -3e4 if np.dtype(dtype) == np.float16 else -1e9


class MaskedSoftmax(Function):
    """Softmax over the last axis of scores whose masked entries (mask False) are pushed down.

    Args:
        mask: boolean array broadcastable to the scores (True = may attend), or None.
        shift: if False the masked scores are replaced by a large negative number (so a row
            that is all masked gives zeros, as Keras's MultiHeadAttention); if True that number is
            added to them instead (Keras's Attention).
    """

    def __init__(self, mask=None, shift=False):
        self.mask, self.shift = mask, shift

    def forward(self, x):
        xp = get_array_module(x)
        if self.mask is not None:
            low = x.dtype.type(_large_negative(x.dtype))
            x = xp.where(self.mask, x, x + low if self.shift else low)
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        if self.mask is not None and not self.shift:
            e = xp.where(self.mask, e, x.dtype.type(0))  # an all-masked row attends nowhere (Keras)
        self.out = e
        return e

    def backward(self, g):
        y = self.out
        gy = g * y
        return gy - y * gy.sum(axis=-1, keepdims=True)


def masked_softmax(scores, mask=None, shift=False):
    """Softmax of `scores` (Tensor) over the last axis where `mask` (bool array/Tensor) is True."""
    if isinstance(mask, Tensor):
        mask = mask.data
    if mask is not None:
        mask = backend.to_device(mask, scores.device)
        if mask.dtype != bool:
            mask = mask > 0.5 if mask.dtype.kind == "f" else mask != 0
    return MaskedSoftmax.apply(scores, mask=mask, shift=shift)


def causal_mask(q_len, k_len, device="cpu"):
    """A (q_len, k_len) boolean array, True where key index <= query index (lower triangle)."""
    xp = backend.array_module_for(device)
    with backend.device_scope(device):
        rows = xp.arange(q_len).reshape(-1, 1)
        cols = xp.arange(k_len).reshape(1, -1)
        return rows >= cols

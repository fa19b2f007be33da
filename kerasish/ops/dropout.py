"""Inverted dropout: multiply by a kept-and-rescaled mask, saving only the mask."""
import numpy as np

from kerasish import backend
from kerasish.function import Function


class ApplyMask(Function):
    """x * mask, with `mask` a constant array broadcastable to x (gradient g * mask)."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def dropout_mask(shape, rate, dtype, device, generator=None):
    """An array of 0 and 1/(1-rate) on `device`, each entry zero with probability `rate`.

    Args:
        generator: anything with numpy's `Generator.random(size, dtype)`; default
            `backend.rng(device)`, whose draws are made on the device.
    """
    gen = generator if generator is not None else backend.rng(device)
    u = backend.to_device(gen.random(shape, dtype=np.float32), device)
    return (u >= rate).astype(dtype) * (1.0 / (1.0 - rate))


def dropout(x, rate, noise_shape=None, generator=None):
    """Inverted dropout of Tensor `x`: zeros with probability `rate`, the rest scaled by 1/(1-rate).

    `noise_shape` (None entries taken from x) shares one mask value along its size-1 axes.
    """
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    if rate == 0:
        return x
    shape = x.shape
    if noise_shape is not None:
        if len(noise_shape) != x.ndim:
            raise ValueError(f"dropout noise_shape {tuple(noise_shape)} must have one entry per input "
                             f"axis; the input has shape {x.shape}")
        shape = tuple(x.shape[i] if n is None else int(n) for i, n in enumerate(noise_shape))
        if any(n not in (1, m) for n, m in zip(shape, x.shape)):
            raise ValueError(f"dropout noise_shape {tuple(noise_shape)} does not broadcast to the "
                             f"input shape {x.shape}: each entry must be 1, None or the input's size")
    mask = dropout_mask(shape, rate, x.dtype, x.device, generator)
    return ApplyMask.apply(x, mask=mask)

"""Batch preprocessing and augmentation on NumPy arrays, for use in `Dataset.map`.

Images are channels-last: a batch `(N, H, W, C)` or one image `(H, W, C)`. Every
function works on the whole batch at once (per-sample random choices become index
arithmetic), returns a new array and keeps the input's dtype unless it says otherwise.
`rng` is an int seed, a `numpy.random.Generator` or None (fresh entropy).

Example:

```python
ds = ds.batch(64).map(lambda x, y: (random_flip(rescale(x, 1 / 255), rng=rng), y))
```
"""

import numbers

import numpy as np

_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _images(x, fn):
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError(f"{fn}: expected images of shape (N, H, W, C) or (H, W, C), got shape {x.shape}.")
    return x, False


def _float_dtype(x):
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)


def rescale(x, scale, offset=0.0):
    """Return `x * scale + offset` as floats (float32 unless `x` is already floating).

    Args:
        x: array of any shape.
        scale: number or array broadcastable to `x` (e.g. `1 / 255`).
        offset: number or array added after scaling.
    """
    x = np.asarray(x)
    dtype = _float_dtype(x)
    return (x.astype(dtype) * np.asarray(scale, dtype) + np.asarray(offset, dtype)).astype(dtype, copy=False)


def normalize(x, mean, variance, epsilon=1e-7):
    """Return `(x - mean) / sqrt(variance)` as floats (the standard deviation is floored at `epsilon`).

    Args:
        x: array, e.g. a batch `(N, ..., C)`.
        mean, variance: numbers or arrays broadcastable to `x` (e.g. per channel, shape `(C,)`).
        epsilon: smallest standard deviation used, so a constant feature does not divide by zero.
    """
    x = np.asarray(x)
    dtype = _float_dtype(x)
    mean, variance = np.asarray(mean, dtype), np.asarray(variance, dtype)
    if np.any(variance < 0):
        raise ValueError(f"normalize: variance must be >= 0, got {variance}.")
    try:
        shape = np.broadcast_shapes(x.shape, mean.shape, variance.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ValueError(f"normalize: mean {mean.shape} and variance {variance.shape} must broadcast "
                         f"to x's shape {x.shape} (e.g. one value per channel).")
    std = np.maximum(np.sqrt(variance), dtype.type(epsilon))
    return ((x.astype(dtype) - mean) / std).astype(dtype, copy=False)


def random_flip(x, mode="horizontal", rng=None):
    """Flip each image left-right and/or up-down with probability 1/2.

    Args:
        x: images `(N, H, W, C)` or `(H, W, C)`.
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (independent coins).
        rng: int seed, `numpy.random.Generator` or None.
    """
    if mode not in _FLIP_MODES:
        raise ValueError(f"random_flip: mode must be one of {_FLIP_MODES}, got {mode!r}.")
    images, single = _images(x, "random_flip")
    rng = np.random.default_rng(rng)
    out = images
    if mode != "vertical":
        flip = rng.random(len(images)) < 0.5
        out = np.where(flip[:, None, None, None], out[:, :, ::-1], out)
    if mode != "horizontal":
        flip = rng.random(len(images)) < 0.5
        out = np.where(flip[:, None, None, None], out[:, ::-1], out)
    return out[0] if single else out


def _factor_range(factor, name):
    if isinstance(factor, numbers.Real):
        low, high = -abs(factor), abs(factor)
    else:
        try:
            low, high = (float(f) for f in factor)
        except (TypeError, ValueError):
            raise ValueError(f"random_translation: {name} must be a number or a pair (low, high), "
                             f"got {factor!r}.") from None
    if not -1 <= low <= high <= 1:
        raise ValueError(f"random_translation: {name} must lie in [-1, 1] with low <= high, got {factor!r}.")
    return low, high


def random_translation(x, height_factor, width_factor, fill_value=0, rng=None):
    """Shift each image by a random whole number of pixels, filling the uncovered part.

    Args:
        x: images `(N, H, W, C)` or `(H, W, C)`.
        height_factor: fraction of the height; a number `f` draws shifts in `[-f, f] * H`,
            a pair `(low, high)` in `[low, high] * H`. Positive shifts move the image down.
        width_factor: the same for the width; positive shifts move the image right.
        fill_value: value of the pixels shifted in.
        rng: int seed, `numpy.random.Generator` or None.
    """
    images, single = _images(x, "random_translation")
    rng = np.random.default_rng(rng)
    n, h, w, _ = images.shape
    dy = np.rint(rng.uniform(*_factor_range(height_factor, "height_factor"), size=n) * h).astype(np.intp)
    dx = np.rint(rng.uniform(*_factor_range(width_factor, "width_factor"), size=n) * w).astype(np.intp)
    rows = np.arange(h)[None, :] - dy[:, None]  # output row r reads input row r - dy
    cols = np.arange(w)[None, :] - dx[:, None]
    out = images[np.arange(n)[:, None, None],
                 np.clip(rows, 0, h - 1)[:, :, None],
                 np.clip(cols, 0, w - 1)[:, None, :]]
    outside = ((rows < 0) | (rows >= h))[:, :, None] | ((cols < 0) | (cols >= w))[:, None, :]
    out[outside] = fill_value
    return out[0] if single else out


def random_crop(x, height, width, rng=None):
    """Cut a random `height` x `width` window out of each image.

    Args:
        x: images `(N, H, W, C)` or `(H, W, C)` with `H >= height` and `W >= width`.
        height, width: size of the crop.
        rng: int seed, `numpy.random.Generator` or None.

    Returns:
        Images `(N, height, width, C)` (or `(height, width, C)`).
    """
    images, single = _images(x, "random_crop")
    n, h, w, _ = images.shape
    for name, size, full in (("height", height, h), ("width", width, w)):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not 0 < size <= full:
            raise ValueError(f"random_crop: {name} must be an integer in [1, {full}] for images of "
                             f"shape {images.shape[1:]}, got {size!r}.")
    rng = np.random.default_rng(rng)
    top = rng.integers(0, h - height + 1, size=n)
    left = rng.integers(0, w - width + 1, size=n)
    rows = top[:, None] + np.arange(height)
    cols = left[:, None] + np.arange(width)
    out = images[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out[0] if single else out

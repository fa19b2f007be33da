"""Batch preprocessing and augmentation on NumPy arrays, for use in `Dataset.map`.

Images are channels-last: a batch `(N, H, W, C)` or one image `(H, W, C)`. Every
function works on the whole batch at once (per-sample random choices become index
arithmetic), returns a new array and keeps the input's dtype unless it says otherwise.
`rng` is an int seed, a `numpy.random.Generator` or None (fresh entropy).

The index builders (`flip_index`, `translation_index`, `crop_index`) are shared with
the preprocessing layers (`kerasish.layers.preprocessing`): they take any generator
with NumPy's Generator API and build their index arrays with the array module of its
draws, so the same arithmetic runs on the GPU.

Example:

```python
ds = ds.batch(64).map(lambda x, y: (random_flip(rescale(x, 1 / 255), rng=rng), y))
```
"""

import numbers

import numpy as np

from kerasish.backend import get_array_module

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
FILL_MODES = ("constant", "nearest", "reflect", "wrap")


# ----------------------------------------------------------------------------- checks

def check_flip_mode(mode, where):
    """Return `mode` if it is a valid flip mode, else raise a ValueError naming `where`."""
    if mode not in FLIP_MODES:
        raise ValueError(f"{where}: mode must be one of {FLIP_MODES}, got {mode!r}.")
    return mode


def check_fill_mode(fill_mode, where):
    """Return `fill_mode` if it is valid, else raise a ValueError naming `where`."""
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{where}: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}.")
    return fill_mode


def factor_range(factor, name, where):
    """A translation factor as a `(low, high)` pair in [-1, 1]: `f` means `(-|f|, |f|)`."""
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        low, high = -abs(float(factor)), abs(float(factor))
    else:
        try:
            low, high = (float(f) for f in factor)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {name} must be a number or a pair (low, high), "
                             f"got {factor!r}.") from None
    if not -1 <= low <= high <= 1:
        raise ValueError(f"{where}: {name} must lie in [-1, 1] with low <= high, got {factor!r}.")
    return low, high


def check_crop_size(height, width, where, image_shape=None):
    """Return `(height, width)` as ints; with `image_shape` (H, W, ...) they must also fit in it."""
    sizes = []
    for name, size, full in (("height", height, None if image_shape is None else image_shape[0]),
                             ("width", width, None if image_shape is None else image_shape[1])):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"{where}: {name} must be a positive integer, got {size!r}.")
        if full is not None and size > full:
            raise ValueError(f"{where}: {name} must be an integer in [1, {full}] for images of "
                             f"shape {tuple(image_shape)}, got {size!r}.")
        sizes.append(int(size))
    return tuple(sizes)


# ----------------------------------------------------------------------------- index arithmetic

def flat_index(n, h, w, rows, cols):
    """Index `(N, H', W')` into `images.reshape(N * H * W, C)` reading pixel (rows, cols) of each image.

    Args:
        n, h, w: batch size, height and width of the source images.
        rows: `(N, H')` (or `(1, H')`) source row of each output row, per image.
        cols: `(N, W')` (or `(1, W')`) source column of each output column, per image.
    """
    xp = get_array_module(rows, cols)
    base = xp.arange(n)[:, None, None] * h + rows[:, :, None]
    return base * w + cols[:, None, :]


def _axis(xp, size, flip):
    ar = xp.arange(size)
    if flip is None:
        return ar[None, :]
    return xp.where(flip[:, None], size - 1 - ar, ar)


def flip_index(shape, mode, generator):
    """Flat index (see `flat_index`) flipping each image with probability 1/2.

    Args:
        shape: the batch shape `(N, H, W, C)`.
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (independent coins).
        generator: draws with NumPy's Generator API (`random`); its array module is used.
    """
    n, h, w = shape[:3]
    flip_cols = generator.random(n) < 0.5 if mode != "vertical" else None
    flip_rows = generator.random(n) < 0.5 if mode != "horizontal" else None
    xp = get_array_module(flip_cols if flip_rows is None else flip_rows)
    return flat_index(n, h, w, _axis(xp, h, flip_rows), _axis(xp, w, flip_cols))


def _fold(xp, index, size, fill_mode):
    """Map out-of-range indices back into [0, size) as `fill_mode` says."""
    if fill_mode == "wrap":
        return xp.mod(index, size)
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        index = xp.mod(index, 2 * size)
        return xp.where(index < size, index, 2 * size - 1 - index)
    return xp.clip(index, 0, size - 1)  # nearest; constant masks these pixels afterwards


def translation_index(shape, height_range, width_range, generator, fill_mode="constant"):
    """Flat index (see `flat_index`) shifting each image by a random whole number of pixels.

    Args:
        shape: the batch shape `(N, H, W, C)`.
        height_range, width_range: `(low, high)` fractions of H and W (see `factor_range`);
            positive shifts move the image down / right.
        generator: draws with NumPy's Generator API (`uniform`); its array module is used.
        fill_mode: how pixels shifted in are read: 'constant' (masked, see Returns),
            'nearest' (edge pixel), 'reflect' (mirrored about the edge) or 'wrap'.

    Returns:
        `(index, outside)`: `outside` is an `(N, H, W)` bool mask of the pixels to fill
        with a constant when `fill_mode` is 'constant', else None.
    """
    n, h, w = shape[:3]
    dy = generator.uniform(*height_range, size=n)
    dx = generator.uniform(*width_range, size=n)
    xp = get_array_module(dy)
    dy = xp.rint(dy * h).astype(np.intp)
    dx = xp.rint(dx * w).astype(np.intp)
    rows = xp.arange(h)[None, :] - dy[:, None]  # output row r reads input row r - dy
    cols = xp.arange(w)[None, :] - dx[:, None]
    outside = None
    if fill_mode == "constant":
        outside = ((rows < 0) | (rows >= h))[:, :, None] | ((cols < 0) | (cols >= w))[:, None, :]
    index = flat_index(n, h, w, _fold(xp, rows, h, fill_mode), _fold(xp, cols, w, fill_mode))
    return index, outside


def crop_index(shape, height, width, generator):
    """Flat index (see `flat_index`) cutting a random `height` x `width` window out of each image.

    Args:
        shape: the batch shape `(N, H, W, C)`, with `H >= height` and `W >= width`.
        height, width: size of the crop.
        generator: draws with NumPy's Generator API (`integers`); its array module is used.
    """
    n, h, w = shape[:3]
    top = generator.integers(0, h - height + 1, size=n)
    left = generator.integers(0, w - width + 1, size=n)
    xp = get_array_module(top)
    return flat_index(n, h, w, top[:, None] + xp.arange(height), left[:, None] + xp.arange(width))


def center_crop_slices(shape, height, width):
    """The basic-indexing key cutting the centered `height` x `width` window out of a batch."""
    top, left = (shape[1] - height) // 2, (shape[2] - width) // 2
    return slice(None), slice(top, top + height), slice(left, left + width)


# ----------------------------------------------------------------------------- functions

def _images(x, fn):
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError(f"{fn}: expected images of shape (N, H, W, C) or (H, W, C), got shape {x.shape}.")
    return x, False


def _gather(images, index):
    return np.take(images.reshape(-1, images.shape[-1]), index, axis=0)


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
    check_flip_mode(mode, "random_flip")
    images, single = _images(x, "random_flip")
    out = _gather(images, flip_index(images.shape, mode, np.random.default_rng(rng)))
    return out[0] if single else out


def random_translation(x, height_factor, width_factor, fill_value=0, rng=None, fill_mode="constant"):
    """Shift each image by a random whole number of pixels, filling the uncovered part.

    Args:
        x: images `(N, H, W, C)` or `(H, W, C)`.
        height_factor: fraction of the height; a number `f` draws shifts in `[-f, f] * H`,
            a pair `(low, high)` in `[low, high] * H`. Positive shifts move the image down.
        width_factor: the same for the width; positive shifts move the image right.
        fill_value: value of the pixels shifted in when `fill_mode` is 'constant'.
        rng: int seed, `numpy.random.Generator` or None.
        fill_mode: 'constant' (`fill_value`), 'nearest' (repeat the edge pixel),
            'reflect' (mirror about the edge) or 'wrap' (wrap around).
    """
    where = "random_translation"
    height_range = factor_range(height_factor, "height_factor", where)
    width_range = factor_range(width_factor, "width_factor", where)
    check_fill_mode(fill_mode, where)
    images, single = _images(x, where)
    index, outside = translation_index(images.shape, height_range, width_range,
                                       np.random.default_rng(rng), fill_mode)
    out = _gather(images, index)
    if outside is not None:
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
    height, width = check_crop_size(height, width, "random_crop", images.shape[1:])
    out = _gather(images, crop_index(images.shape, height, width, np.random.default_rng(rng)))
    return out[0] if single else out

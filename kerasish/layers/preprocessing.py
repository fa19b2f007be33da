"""Preprocessing layers: Rescaling, Normalization (with `adapt`), RandomFlip, RandomTranslation, RandomCrop.

They run inside a model on Tensors, on the model's device. Images are channels-last,
a batch `(N, H, W, C)` or one image `(H, W, C)`. The random layers augment only in
training mode (`layer.training`, which `fit` sets and `evaluate` / `predict` clear) and
draw one choice per image, turned into one gather over the whole batch (the index
arithmetic of `kerasish.data.preprocessing`). The gathers are Tensor indexing, so
gradients flow back to the input.
"""
import math
import numbers

import numpy as np

from kerasish import backend, ops
from kerasish._config import is_grad_enabled
from kerasish.data import preprocessing as _pp
from kerasish.layers.base import InputSpec, Layer
from kerasish.tensor import Tensor

_EPSILON = 1e-7  # smallest standard deviation Normalization divides by (Keras's backend.epsilon())
_ADAPT_CHUNK = 1 << 22  # values per chunk when adapt() reads one big array


def _constant_values(value, what, layer):
    """A number or array-like of numbers as a float or a float64 numpy array."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    try:
        arr = np.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{layer}: {what} must be a number or an array of numbers, got {value!r}") from None
    return float(arr) if arr.ndim == 0 else arr


def _serialize(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def _per_sample(value, like):
    """`value` broadcast to `(1, *like.shape[1:])` as a contiguous Tensor of `like`'s dtype.

    NumPy broadcasts a small trailing axis (e.g. 3 channels) about 7x slower than it runs
    an operand with one whole sample per row, so constants are expanded to a sample first.
    """
    shape = (1, *like.shape[1:])
    if isinstance(value, Tensor):
        if value.shape == shape:
            return value
        xp = backend.get_array_module(like.data)
        return value * Tensor._wrap(xp.ones(shape, dtype=like.dtype), False, None)
    if np.ndim(value) == len(shape) and np.shape(value)[0] != 1:
        full = value  # one value per sample: nothing to expand
    else:
        full = np.ascontiguousarray(np.broadcast_to(value, shape))
    return Tensor(backend.to_device(full, like.device, like.dtype), dtype=like.dtype, device=like.device)


class _Constants:
    """Caches numpy constants as per-sample Tensors (see `_per_sample`) by sample shape, device and dtype."""

    def __init__(self):
        self._cache = {}

    def get(self, key, value, like):
        full_key = (key, like.shape[1:], like.device, like.dtype)
        t = self._cache.get(full_key)
        if t is None:
            if len(self._cache) > 16:  # inputs of many shapes: keep the cache small
                self._cache.clear()
            t = self._cache[full_key] = _per_sample(value, like)
        return t


def _check_broadcast(layer, what, shape, input_shape):
    try:
        ok = np.broadcast_shapes(shape, input_shape) == tuple(input_shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {what} of shape {shape} does not broadcast "
                         f"to the input shape {tuple(input_shape)} (e.g. give one value per channel)")


class Rescaling(Layer):
    """Multiplies the input by `scale` and adds `offset`: `x * scale + offset`.

    Integer inputs (e.g. uint8 images) are cast to the layer's compute dtype first.

    Args:
        scale: number or array broadcastable to the input (e.g. `1 / 255`, or one per channel).
        offset: number or array added after scaling (e.g. -1 with `scale=1 / 127.5` maps to [-1, 1]).

    Example:
        >>> Rescaling(1 / 255)(np.array([[0, 255]], np.uint8)).numpy()
        array([[0., 1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _constant_values(scale, "scale", f"Rescaling '{self.name}'")
        self.offset = _constant_values(offset, "offset", f"Rescaling '{self.name}'")
        self._constants = _Constants()

    def _operand(self, key, value, x):
        if isinstance(value, float):
            return value
        _check_broadcast(self, key, value.shape, x.shape)
        return self._constants.get(key, value, x)

    def forward(self, x):
        """x * scale + offset."""
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        out = x * self._operand("scale", self.scale, x)
        if not (isinstance(self.offset, float) and self.offset == 0.0):
            out = out + self._operand("offset", self.offset, x)
        return out

    def compute_output_shape(self, input_shape):
        """The input shape (rescaling is elementwise)."""
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(scale=_serialize(self.scale), offset=_serialize(self.offset))
        return config


def _normalize_axis(axis, layer):
    if axis is None:
        return ()
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return (int(axis),)
    try:
        axes = tuple(axis)
    except TypeError:
        axes = None
    if axes is None or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
        raise TypeError(f"{layer}: axis must be None, an int or a tuple of ints, got {axis!r}")
    return tuple(int(a) for a in axes)


class Normalization(Layer):
    """Shifts and scales each feature to zero mean and unit variance: `(x - mean) / sqrt(variance)`.

    The statistics are given (`mean`, `variance`) or computed from data with `adapt`.
    Adapted statistics are non-trainable weights named 'mean' and 'variance', so they are
    saved and loaded with the model's weights; given ones are constants kept in the config.
    The standard deviation is floored at 1e-7, so a constant feature does not divide by zero.

    Args:
        axis: the axis (or tuple of axes) holding features with their own mean and variance;
            -1 (default) is one per channel of (N, ..., C) inputs, None one scalar for everything.
            The statistics are taken over all other axes.
        mean, variance: the statistics, numbers or arrays broadcastable to the kept axes' shape.
        invert: apply the inverse, `x * sqrt(variance) + mean` (e.g. to de-normalize outputs).

    Example:

    ```python
    norm = Normalization()
    norm.adapt(x_train)          # a numpy array, or a Dataset / DataLoader of batches
    model = Sequential([norm, Dense(10)])
    ```
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        where = f"Normalization '{self.name}'"
        self.axis = _normalize_axis(axis, where)
        if (mean is None) != (variance is None):
            raise ValueError(f"{where}: give both mean and variance, or neither (and call adapt()); got "
                             f"mean={mean!r}, variance={variance!r}")
        self.input_mean = None if mean is None else _constant_values(mean, "mean", where)
        self.input_variance = None if variance is None else _constant_values(variance, "variance", where)
        if self.input_variance is not None and np.any(np.asarray(self.input_variance) < 0):
            raise ValueError(f"{where}: variance must be >= 0, got {self.input_variance!r}")
        self.invert = bool(invert)
        self.adapt_mean = self.adapt_variance = None
        self._constants = _Constants()

    def build(self, input_shape):
        """Creates the 'mean' and 'variance' weights (or broadcasts the given constants) for the kept axes."""
        if self.built:
            return
        where = f"Normalization '{self.name}'"
        ndim = len(input_shape)
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"{where}: axis {a} is out of range for inputs of shape {tuple(input_shape)}")
        keep = tuple(sorted({a % ndim for a in self.axis}))
        if 0 in keep:
            raise ValueError(f"{where}: axis {self.axis} includes the batch axis of inputs of shape "
                             f"{tuple(input_shape)}; use axis=None for one scalar mean and variance, or "
                             "give the data a feature axis (e.g. shape (N, 1))")
        shape = tuple(input_shape[a] for a in keep)
        if any(n is None for n in shape):
            raise ValueError(f"{where}: the feature axes {self.axis} need known sizes, got input shape "
                             f"{tuple(input_shape)}")
        self._keep_axes = keep
        self._reduce_axes = tuple(a for a in range(ndim) if a not in keep)
        self._broadcast_shape = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape, "ones", trainable=False, name="variance")
        else:
            try:
                mean = np.broadcast_to(self.input_mean, shape)
                std = np.maximum(np.sqrt(np.broadcast_to(self.input_variance, shape)), _EPSILON)
            except ValueError:
                raise ValueError(f"{where}: mean {np.shape(self.input_mean)} and variance "
                                 f"{np.shape(self.input_variance)} do not broadcast to the feature shape "
                                 f"{shape} of axes {self.axis}") from None
            self._mean_const = mean.reshape(self._broadcast_shape)
            self._std_const = std.reshape(self._broadcast_shape)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in keep})
        self.built = True

    def forward(self, x):
        """(x - mean) / max(sqrt(variance), 1e-7), or its inverse when `invert`."""
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        if self.adapt_mean is not None:  # Tensor ops: the statistics may change between calls
            mean = _per_sample(self.adapt_mean.astype(x.dtype).reshape(self._broadcast_shape), x)
            std = ops.maximum(ops.sqrt(self.adapt_variance.astype(x.dtype)), _EPSILON)
            std = _per_sample(std.reshape(self._broadcast_shape), x)
        else:
            mean = self._constants.get("mean", self._mean_const, x)
            std = self._constants.get("std", self._std_const, x)
        if self.invert:
            return x * std + mean
        return (x - mean) / std

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of each feature from `data` and stores them in the weights.

        Statistics are accumulated batch by batch (Chan's parallel update, in float64), so
        data larger than memory works. Each call starts afresh.

        Args:
            data: a numpy array or Tensor (read in chunks of `batch_size` rows), or an iterable
                of batches: a `Dataset`, `DataLoader`, `Sequence` or generator. A batch that is a
                tuple or list, such as `(x, y)`, contributes its first item.
            batch_size: rows per chunk when `data` is one array (default: about 4M values a chunk).
            steps: read at most this many batches from an iterable (needed for infinite ones).
        """
        where = f"Normalization '{self.name}'"
        if self.input_mean is not None:
            raise ValueError(f"{where} was given mean and variance; adapt() would replace them. Create it "
                             "without mean/variance to learn them from data")
        count, mean, m2 = 0, None, None
        for batch in _adapt_batches(data, batch_size, steps, where):
            if not self.built:
                self.build((None, *batch.shape[1:]))
            self.input_spec.check(self, batch.shape)
            n, batch_mean, batch_m2 = _moments(batch, self._reduce_axes, self._broadcast_shape)
            if n == 0:
                continue
            if count == 0:
                count, mean, m2 = n, batch_mean, batch_m2
                continue
            total = count + n
            delta = batch_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + batch_m2 + delta * delta * (count * n / total)
            count = total
        if count == 0:
            raise ValueError(f"{where}: adapt() got no data (an empty array or iterable)")
        for weight, value in ((self.adapt_mean, mean), (self.adapt_variance, m2 / count)):
            weight.assign(value.reshape(weight.shape))

    @property
    def mean(self):
        """The mean in use, shaped to broadcast against the inputs (e.g. (1, 1, 1, C)); None before build."""
        return self._statistic(self.adapt_mean, "_mean_const", square=False)

    @property
    def variance(self):
        """The variance in use, shaped to broadcast against the inputs; None before build."""
        return self._statistic(self.adapt_variance, "_std_const", square=True)

    def _statistic(self, weight, const_name, square):
        if not self.built:
            return None
        if weight is not None:
            return backend.to_numpy(weight.data).reshape(self._broadcast_shape)
        if square:  # the variance as given (the stored constant is the floored std)
            return np.broadcast_to(self.input_variance, self._std_const.shape).astype(self._std_const.dtype)
        return getattr(self, const_name)

    def compute_output_shape(self, input_shape):
        """The input shape (normalization is elementwise)."""
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(axis=list(self.axis), mean=_serialize(self.input_mean),
                      variance=_serialize(self.input_variance), invert=self.invert)
        return config


def _feature_array(batch, where):
    if isinstance(batch, (tuple, list)):
        if not batch:
            raise ValueError(f"{where}: adapt() got an empty tuple as a batch")
        batch = batch[0]  # (x, y) or (x, y, sample_weight): the features
    if isinstance(batch, dict):
        raise TypeError(f"{where}: adapt() got a dict batch with keys {sorted(batch)}; map the data to one "
                        "feature array per batch first")
    if isinstance(batch, Tensor):
        return batch.data
    if hasattr(batch, "shape") and hasattr(batch, "dtype"):
        return batch
    return np.asarray(batch)


def _check_numeric(array, where):
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: adapt() needs numeric data, got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{where}: adapt() needs a batch with a first (sample) axis, got a scalar")
    return array


def _adapt_batches(data, batch_size, steps, where):
    """Yield the feature batches of `data` as raw arrays (numpy, or the device's)."""
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                   or batch_size < 1):
        raise ValueError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1):
        raise ValueError(f"{where}: steps must be a positive integer, got {steps!r}")
    if isinstance(data, (Tensor, list, tuple)) or (hasattr(data, "shape") and hasattr(data, "dtype")):
        array = data.data if isinstance(data, Tensor) else data
        array = _check_numeric(array if hasattr(array, "shape") else np.asarray(array), where)
        rows = batch_size or max(1, _ADAPT_CHUNK // max(1, math.prod(array.shape[1:])))
        chunks = range(0, len(array), rows)
        if steps is not None:
            chunks = chunks[:steps]
        for start in chunks:
            yield array[start:start + rows]
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{where}: adapt() expects a numpy array, a Tensor, or an iterable of batches (Dataset, "
                        f"DataLoader, Sequence, generator), got {type(data).__name__}")
    cardinality = getattr(data, "cardinality", None)
    if steps is None and callable(cardinality) and cardinality() == -1:
        raise ValueError(f"{where}: adapt() got an infinite Dataset (repeat() without a count); pass steps=")
    iterator = iter(data)
    try:
        for i, batch in enumerate(iterator):
            if steps is not None and i >= steps:
                break
            yield _check_numeric(_feature_array(batch, where), where)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # stops a Dataset's prefetch threads when steps cut the pass short


def _moments(batch, reduce_axes, broadcast_shape):
    """(count, mean, sum of squared deviations) over `reduce_axes`, in float64 on the host."""
    xp = backend.get_array_module(batch)
    count = math.prod(batch.shape[a] for a in reduce_axes)
    if count == 0:
        return 0, None, None
    with backend.device_scope(backend.device_of(batch)):
        mean = batch.mean(axis=reduce_axes, dtype=np.float64)
        diff = batch.astype(np.float64) - mean.reshape(broadcast_shape)
        m2 = xp.sum(diff * diff, axis=reduce_axes)
    return count, backend.to_numpy(mean), backend.to_numpy(m2)


# ----------------------------------------------------------------------------- random image layers

def _check_seed(seed, layer):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"{layer}: seed must be a non-negative integer or None, got {seed!r}")
    return None if seed is None else int(seed)


def _check_data_format(data_format, layer):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' (N, H, W, C) is supported, got "
                         f"{data_format!r}")
    return "channels_last"


def _tracks_grad(x):
    """Whether an op on `x` records a graph; otherwise the layers work on raw arrays (faster)."""
    return x.requires_grad and is_grad_enabled()


class _OnDevice:
    """Draws from a host numpy Generator, moved to `device` (the few values a batch needs)."""

    def __init__(self, generator, device):
        self._gen, self._device = generator, device

    def random(self, size):
        return backend.to_device(self._gen.random(size), self._device)

    def uniform(self, low, high, size):
        return backend.to_device(self._gen.uniform(low, high, size), self._device)

    def integers(self, low, high, size):
        return backend.to_device(self._gen.integers(low, high, size), self._device)


class _RandomImageLayer(Layer):
    """Shared parts: seed, per-device generator, (H, W, C) / (N, H, W, C) inputs, training switch."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _check_seed(seed, f"{type(self).__name__} '{self.name}'")
        self.data_format = _check_data_format(data_format, f"{type(self).__name__} '{self.name}'")
        self._host_generator = None

    def _generator(self, device):
        """The device's seeded generator (`set_random_seed`), or this layer's own when it has a seed."""
        if self.seed is None:
            return backend.rng(device)
        if self._host_generator is None:
            self._host_generator = np.random.default_rng(self.seed)
        return _OnDevice(self._host_generator, device)

    def _check_images(self, shape):
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images of shape (N, H, W, C) or "
                             f"(H, W, C), got shape {tuple(shape)}")

    def forward(self, x, training=None):
        """The augmented images in training mode, `_inference(x)` otherwise."""
        self._check_images(x.shape)
        training = self.training if training is None else training
        single = x.ndim == 3
        if single:
            x = x.reshape(1, *x.shape)
        out = self._augment(x) if training else self._inference(x)
        return out.reshape(*out.shape[1:]) if single else out

    def _gather(self, x, index):
        """Pixels `index` (see `kerasish.data.preprocessing.flat_index`) of the batch `x`."""
        n, h, w, c = x.shape
        pixels = x.reshape(n * h * w, c)
        if _tracks_grad(x):
            return pixels[index]  # the differentiable getitem op
        xp = backend.get_array_module(x.data)  # take() gathers rows ~4x faster than fancy indexing
        return Tensor._wrap(xp.take(pixels.data, index, axis=0), False, None)

    def _inference(self, x):
        return x

    def compute_output_shape(self, input_shape):
        """The input shape (the image size is kept)."""
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, data_format=self.data_format)
        return config


class RandomFlip(_RandomImageLayer):
    """Flips each image left-right and/or up-down with probability 1/2, in training mode only.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default, as Keras: two
            independent coins per image).
        seed: gives the layer its own generator; otherwise the device's seeded one
            (`kerasish.utils.set_random_seed`).

    Example:

    ```python
    augment = Sequential([RandomFlip('horizontal'), RandomTranslation(0.1, 0.1), RandomCrop(28, 28)])
    model = Sequential([Input(shape=(32, 32, 3)), augment, Rescaling(1 / 255), Conv2D(32, 3), ...])
    ```
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = _pp.check_flip_mode(mode, f"RandomFlip '{self.name}'")

    def _augment(self, x):
        return self._gather(x, _pp.flip_index(x.shape, self.mode, self._generator(x.device)))

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config


class RandomTranslation(_RandomImageLayer):
    """Shifts each image by a random whole number of pixels, in training mode only.

    Args:
        height_factor: fraction of the height; a number `f` draws vertical shifts in
            `[-f, f] * H`, a pair `(low, high)` in `[low, high] * H`. Positive moves down.
        width_factor: the same for the width; positive moves right.
        fill_mode: how the uncovered pixels are filled: 'constant' (default here; Keras's
            default is 'reflect') with `fill_value`, 'nearest' (edge pixel), 'reflect'
            (mirrored about the edge: d c b a | a b c d) or 'wrap'.
        fill_value: value of the uncovered pixels with `fill_mode='constant'`.
        interpolation: 'bilinear' or 'nearest'; shifts are whole pixels, so both give the same.
        seed: gives the layer its own generator; otherwise the device's seeded one.
    """

    def __init__(self, height_factor, width_factor, fill_mode="constant", fill_value=0.0,
                 interpolation="bilinear", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        where = f"RandomTranslation '{self.name}'"
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _pp.factor_range(height_factor, "height_factor", where)
        self._width_range = _pp.factor_range(width_factor, "width_factor", where)
        self.fill_mode = _pp.check_fill_mode(fill_mode, where)
        if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
            raise ValueError(f"{where}: fill_value must be a number, got {fill_value!r}")
        self.fill_value = float(fill_value)
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"{where}: interpolation must be one of ('bilinear', 'nearest'), got "
                             f"{interpolation!r}")
        self.interpolation = interpolation

    def _augment(self, x):
        index, outside = _pp.translation_index(x.shape, self._height_range, self._width_range,
                                               self._generator(x.device), self.fill_mode)
        out = self._gather(x, index)
        if outside is None:
            return out
        if not _tracks_grad(x):
            out.data[outside] = self.fill_value  # `out` is a fresh gather: fill it in place
            return out
        xp = backend.get_array_module(x.data)
        fill = Tensor._wrap(xp.asarray(self.fill_value, dtype=x.dtype), False, None)
        return ops.where(outside[..., None], fill, out)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=_serialize_factor(self.height_factor),
                      width_factor=_serialize_factor(self.width_factor), fill_mode=self.fill_mode,
                      fill_value=self.fill_value, interpolation=self.interpolation)
        return config


def _serialize_factor(factor):
    return float(factor) if isinstance(factor, numbers.Real) else [float(f) for f in factor]


class RandomCrop(_RandomImageLayer):
    """Cuts a random `height` x `width` window out of each image in training mode, the central one otherwise.

    Unlike Keras, images smaller than the crop are an error (Keras resizes them), and
    inference mode takes the central window without resizing.

    Args:
        height, width: size of the output images.
        seed: gives the layer its own generator; otherwise the device's seeded one.
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = _pp.check_crop_size(height, width, f"RandomCrop '{self.name}'")

    def _check_images(self, shape):
        super()._check_images(shape)
        _pp.check_crop_size(self.height, self.width, f"RandomCrop '{self.name}'", tuple(shape)[-3:])

    def _augment(self, x):
        return self._gather(x, _pp.crop_index(x.shape, self.height, self.width, self._generator(x.device)))

    def _inference(self, x):
        return x[_pp.center_crop_slices(x.shape, self.height, self.width)]

    def compute_output_shape(self, input_shape):
        """The input shape with (H, W) replaced by (height, width)."""
        shape = list(input_shape)
        shape[-3:-1] = [self.height, self.width]
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config

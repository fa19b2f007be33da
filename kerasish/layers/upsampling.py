"""UpSampling1D and UpSampling2D: enlarge sequences / images by repeating (or interpolating) values."""
import numpy as np

from kerasish.layers.base import Layer
from kerasish.layers.conv import default_name
from kerasish.layers.conv1d import single_int
from kerasish.layers.conv_common import ImageInputSpec, SequenceInputSpec
from kerasish.ops import broadcast_to, matmul, reshape
from kerasish.ops import conv as conv_ops
from kerasish.tensor import Tensor

INTERPOLATIONS = ("nearest", "bilinear")


def repeat_axis(x, axis, times):
    """Each entry of `x` along `axis` repeated `times` times in a row (differentiable).

    A reshape that adds a size-1 axis after `axis`, a broadcast to `times`, and a reshape
    that merges the two: the gradient sums each group of copies.
    """
    if times == 1:
        return x
    shape = list(x.shape)
    wide = shape[:axis + 1] + [1] + shape[axis + 1:]
    y = broadcast_to(reshape(x, wide), tuple(wide[:axis + 1] + [times] + wide[axis + 2:]))
    shape[axis] *= times
    return reshape(y, shape)


def linear_resize_matrix(size, scale, dtype):
    """The (size * scale, size) matrix of linear interpolation with half-pixel centres.

    Output position o samples the input at (o + 0.5) / scale - 0.5, clamped to the image,
    mixing its two neighbours; the same rule as Keras's (and TensorFlow's) bilinear resize.
    """
    out = np.arange(size * scale)
    src = np.clip((out + 0.5) / scale - 0.5, 0, size - 1)
    low = np.floor(src).astype(np.int64)
    high = np.minimum(low + 1, size - 1)
    frac = src - low
    matrix = np.zeros((size * scale, size))
    np.add.at(matrix, (out, low), 1 - frac)
    np.add.at(matrix, (out, high), frac)
    return matrix.astype(dtype)


class UpSampling1D(Layer):
    """Repeats each step `size` times: (N, steps, C) -> (N, steps * size, C).

    Args:
        size: int, default 2.

    Example:
        >>> UpSampling1D(3)(np.zeros((2, 4, 5))).shape
        (2, 12, 5)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**default_name(kwargs, "up_sampling1d"))
        try:
            self.size = single_int(size, "size")
        except ValueError as e:
            raise ValueError(f"UpSampling1D '{self.name}': {e}") from None
        self.input_spec = SequenceInputSpec()

    def forward(self, x):
        """`x` with every step repeated."""
        return repeat_axis(x, 1, self.size)

    def compute_output_shape(self, input_shape):
        """(batch, steps * size, channels); None stays None."""
        n, steps, c = input_shape
        return (n, None if steps is None else steps * self.size, c)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(Layer):
    """Enlarges images by integer factors: rows repeated `size[0]` times, columns `size[1]` times.

    Args:
        size: int or (rows, cols), default (2, 2).
        data_format: 'channels_last' (default) or 'channels_first'.
        interpolation: 'nearest' (default; repeats pixels) or 'bilinear' (linear in each
            axis with half-pixel centres, as Keras).

    Example:
        >>> UpSampling2D((2, 3))(np.zeros((1, 4, 4, 3))).shape
        (1, 8, 12, 3)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**default_name(kwargs, "up_sampling2d"))
        who = f"UpSampling2D '{self.name}'"
        try:
            self.size = conv_ops.normalize_pair(size, "size")
            self.data_format = conv_ops.normalize_data_format(data_format)
        except ValueError as e:
            raise ValueError(f"{who}: {e}") from None
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{who}: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = ImageInputSpec(self.data_format)

    def _axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def forward(self, x):
        """`x` enlarged by `size`."""
        if self.interpolation == "nearest":
            for axis, times in zip(self._axes(), self.size):
                x = repeat_axis(x, axis, times)
            return x
        return self._bilinear(x)

    def _bilinear(self, x):
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        (sh, sw), dtype = self.size, x.dtype
        h_axis, w_axis = self._axes()
        rows = Tensor(linear_resize_matrix(x.shape[h_axis], sh, dtype), device=x.device)
        cols = linear_resize_matrix(x.shape[w_axis], sw, dtype)
        if self.data_format == "channels_first":  # (N, C, H, W): rows @ image @ cols^T per channel
            return matmul(matmul(rows, x), Tensor(cols.T.copy(), device=x.device))
        n, h, w, c = x.shape
        y = reshape(matmul(rows, reshape(x, (n, h, w * c))), (n * h * sh, w, c))  # rows mix along H
        y = matmul(Tensor(cols, device=x.device), y)  # columns along W
        return reshape(y, (n, h * sh, w * sw, c))

    def compute_output_shape(self, input_shape):
        """Input shape with height and width multiplied by `size` (None stays None)."""
        shape = list(input_shape)
        for axis, times in zip(self._axes(), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * times
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"size": list(self.size), "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config

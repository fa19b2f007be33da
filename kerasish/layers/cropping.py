"""Cropping1D and Cropping2D: cut steps / rows and columns off the edges."""
import numpy as np

from kerasish.layers.base import Layer
from kerasish.layers.conv import default_name
from kerasish.layers.conv_common import ImageInputSpec, SequenceInputSpec
from kerasish.ops import conv as conv_ops
from kerasish.ops import getitem


def _crop_pair(value, name):
    """An int c -> (c, c); a pair -> itself; checks non-negative ints."""
    ok = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0  # noqa: E731
    if ok(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(ok(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{name} must be a non-negative int or a pair of them, got {value!r}")


def _check_left(layer, size, lo, hi, axis, shape):
    if size is not None and lo + hi >= size:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): cropping ({lo}, {hi}) on axis {axis} "
                         f"leaves nothing of size {size} (input shape {tuple(shape)}); crop less than the size")


class Cropping1D(Layer):
    """Removes steps from the start and end of sequences: (N, steps, C) -> (N, steps - a - b, C).

    Args:
        cropping: int c (c at both ends) or (start, end). Default (1, 1).

    Example:
        >>> Cropping1D((1, 2))(np.zeros((2, 10, 3))).shape
        (2, 7, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**default_name(kwargs, "cropping1d"))
        try:
            self.cropping = _crop_pair(cropping, "cropping")
        except ValueError as e:
            raise ValueError(f"Cropping1D '{self.name}': {e}") from None
        self.input_spec = SequenceInputSpec()

    def build(self, input_shape):
        """Checks that the crop leaves at least one step."""
        self.input_spec.check(self, input_shape)
        _check_left(self, input_shape[1], *self.cropping, 1, input_shape)
        self.built = True

    def forward(self, x):
        """`x` without the cropped steps."""
        _check_left(self, x.shape[1], *self.cropping, 1, x.shape)
        start, end = self.cropping
        return getitem(x, (slice(None), slice(start, x.shape[1] - end)))

    def compute_output_shape(self, input_shape):
        """(batch, steps - start - end, channels); None stays None."""
        n, steps, c = input_shape
        return (n, None if steps is None else steps - sum(self.cropping), c)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = list(self.cropping)
        return config


class Cropping2D(Layer):
    """Removes rows and columns from the edges of images.

    Args:
        cropping: int c (c on every side), (rows, cols) (symmetric), or
            ((top, bottom), (left, right)). Default ((0, 0), (0, 0)).
        data_format: 'channels_last' (default) or 'channels_first'.

    Example:
        >>> Cropping2D(((1, 0), (2, 2)))(np.zeros((1, 6, 8, 3))).shape
        (1, 5, 4, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**default_name(kwargs, "cropping2d"))
        who = f"Cropping2D '{self.name}'"
        try:
            self.data_format = conv_ops.normalize_data_format(data_format)
            if isinstance(cropping, (tuple, list)) and len(cropping) == 2 and all(
                    isinstance(v, (tuple, list)) for v in cropping):
                self.cropping = tuple(_crop_pair(v, "each entry of cropping") for v in cropping)
            else:
                pair = _crop_pair(cropping, "cropping")
                self.cropping = ((pair[0],) * 2, (pair[1],) * 2)
        except ValueError as e:
            raise ValueError(f"{who}: {e}; expected an int, (rows, cols) or ((top, bottom), (left, right))") \
                from None
        self.input_spec = ImageInputSpec(self.data_format)

    def _axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def build(self, input_shape):
        """Checks that the crop leaves at least one row and column."""
        self.input_spec.check(self, input_shape)
        for axis, (lo, hi) in zip(self._axes(), self.cropping):
            _check_left(self, input_shape[axis], lo, hi, axis, input_shape)
        self.built = True

    def forward(self, x):
        """`x` without the cropped rows and columns."""
        index = [slice(None)] * 4
        for axis, (lo, hi) in zip(self._axes(), self.cropping):
            _check_left(self, x.shape[axis], lo, hi, axis, x.shape)
            index[axis] = slice(lo, x.shape[axis] - hi)
        return getitem(x, tuple(index))

    def compute_output_shape(self, input_shape):
        """Input shape less the cropping on height and width (None stays None)."""
        shape = list(input_shape)
        for axis, (lo, hi) in zip(self._axes(), self.cropping):
            shape[axis] = None if shape[axis] is None else shape[axis] - lo - hi
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": [list(p) for p in self.cropping], "data_format": self.data_format})
        return config

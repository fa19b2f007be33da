"""ZeroPadding2D: zeros around the spatial axes of images."""
from kerasish.layers.base import Layer
from kerasish.layers.conv import default_name
from kerasish.layers.conv_common import ImageInputSpec
from kerasish.ops import conv as conv_ops
from kerasish.ops.shape import Pad


class ZeroPadding2D(Layer):
    """Pads images with zero rows and columns.

    Args:
        padding: int p (p on every side), (ph, pw) (ph top and bottom, pw left and right),
            or ((top, bottom), (left, right)).
        data_format: 'channels_last' (default) or 'channels_first'.

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(np.zeros((1, 4, 4, 3))).shape
        (1, 5, 8, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**default_name(kwargs, "zero_padding2d"))
        pads = conv_ops.normalize_padding(padding)
        if isinstance(pads, str):
            raise ValueError(f"ZeroPadding2D padding must be an int, a pair or ((top, bottom), (left, right)), "
                             f"got {padding!r}")
        self.padding = pads
        self.data_format = conv_ops.normalize_data_format(data_format)
        self.input_spec = ImageInputSpec(self.data_format)

    def _pad_width(self):
        (t, b), (l, r) = self.padding
        if self.data_format == "channels_first":
            return ((0, 0), (0, 0), (t, b), (l, r))
        return ((0, 0), (t, b), (l, r), (0, 0))

    def forward(self, x):
        """`x` with the zero border added."""
        return Pad.apply(x, pad_width=self._pad_width())

    def compute_output_shape(self, input_shape):
        """Input shape with the padding added to height and width (None stays None)."""
        return tuple(None if n is None else n + lo + hi for n, (lo, hi) in zip(input_shape, self._pad_width()))

    def get_config(self):
        config = super().get_config()
        config.update({"padding": [list(p) for p in self.padding], "data_format": self.data_format})
        return config

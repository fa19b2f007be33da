"""Windowed pooling over sequence steps: MaxPooling1D / MaxPool1D, AveragePooling1D / AvgPool1D.

They run as 2-D pooling of height-1 images, so they share its kernels and gradients.
"""
from kerasish._config import is_grad_enabled
from kerasish.layers.base import Layer
from kerasish.layers.conv import default_name, naming_errors, register_aliases
from kerasish.layers.conv1d import as_image, from_image, single_int
from kerasish.layers.conv_common import SequenceInputSpec
from kerasish.ops import conv as conv_ops


class _Pooling1D(Layer):
    """Shared arguments of the windowed 1-D pooling layers."""

    _function = None
    _base_name = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**default_name(kwargs, self._base_name))
        who = f"{type(self).__name__} '{self.name}'"
        try:
            self.pool_size = single_int(pool_size, "pool_size")
            self.strides = self.pool_size if strides is None else single_int(strides, "strides")
            self.data_format = conv_ops.normalize_data_format(data_format)
        except ValueError as e:
            raise ValueError(f"{who}: {e}") from None
        key = padding.lower() if isinstance(padding, str) else None
        if key not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = key
        self.input_spec = SequenceInputSpec(self.data_format)

    def forward(self, x):
        """Pools each window of steps of `x`."""
        image = as_image(x, self.data_format)
        with naming_errors(self):
            out = self._function.apply(image, pool_size=(1, self.pool_size), strides=(1, self.strides),
                                       padding=self.padding, data_format=self.data_format, **self._extra(x))
        return from_image(out, self.data_format)

    def _extra(self, x):
        return {}

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (None dimensions stay None)."""
        shape = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        n = shape[axis]
        if n is not None:
            shape[axis] = -(-n // self.strides) if self.padding == "same" else \
                (n - self.pool_size) // self.strides + 1
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": [self.pool_size], "strides": [self.strides], "padding": self.padding,
                       "data_format": self.data_format})
        return config


class MaxPooling1D(_Pooling1D):
    """Max pooling over windows of steps: (N, steps, C) -> (N, out_steps, C).

    Args:
        pool_size: int, default 2.
        strides: int, default `pool_size`.
        padding: 'valid' (default) or 'same' (output ceil(steps / strides); padding never wins).
        data_format: 'channels_last' (default) or 'channels_first' (N, C, steps).

    Each window's gradient goes to one element, its first maximum.

    Example:
        >>> MaxPooling1D(2)(np.zeros((1, 6, 3))).shape
        (1, 3, 3)
    """

    _function = conv_ops.MaxPool2DFunction
    _base_name = "max_pooling1d"

    def _extra(self, x):
        # the winner index is only worth computing when a gradient will flow back
        return {"track": x.requires_grad and is_grad_enabled()}


class AveragePooling1D(_Pooling1D):
    """Average pooling over windows of steps (arguments as `MaxPooling1D`).

    With padding='same' each window averages only its real steps, as in Keras.
    """

    _function = conv_ops.AvgPool2DFunction
    _base_name = "average_pooling1d"


MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
register_aliases(MaxPool1D=MaxPooling1D, AvgPool1D=AveragePooling1D)

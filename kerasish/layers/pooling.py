"""Pooling layers: MaxPool2D / MaxPooling2D, AveragePooling2D / AvgPool2D, global pooling."""
from kerasish._config import is_grad_enabled
from kerasish.layers.base import Layer
from kerasish.layers.conv import _alias, _padding_config, default_name, naming_errors, register_aliases
from kerasish.layers.conv_common import ImageInputSpec
from kerasish.ops import conv as conv_ops


class _Pooling2D(Layer):
    """Shared arguments of the windowed pooling layers."""

    _function = None
    _base_name = None

    def __init__(self, pool_size=None, strides=None, padding="valid", data_format=None, kernel_size=None,
                 stride=None, **kwargs):
        super().__init__(**default_name(kwargs, self._base_name))
        pool_size = _alias(pool_size, kernel_size, "pool_size", "kernel_size", conv_ops.normalize_pair)
        strides = _alias(strides, stride, "strides", "stride", conv_ops.normalize_pair)
        self.pool_size = conv_ops.normalize_pair(2 if pool_size is None else pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else conv_ops.normalize_pair(strides, "strides")
        self.padding = conv_ops.normalize_padding(padding)
        self.data_format = conv_ops.normalize_data_format(data_format)
        self.input_spec = ImageInputSpec(self.data_format)

    def forward(self, x):
        """Pools each window of `x`."""
        with naming_errors(self):
            return self._function.apply(x, pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                                        data_format=self.data_format, **self._extra(x))

    def _extra(self, x):
        return {}

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (None dimensions stay None)."""
        return conv_ops.conv_output_shape(input_shape, None, self.pool_size, self.strides, self.padding,
                                          1, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": list(self.pool_size), "strides": list(self.strides),
                       "padding": _padding_config(self.padding), "data_format": self.data_format})
        return config


class MaxPooling2D(_Pooling2D):
    """Max pooling over 2-D windows.

    Args:
        pool_size (or kernel_size): int or pair, default 2.
        strides (or stride): int or pair, default `pool_size`.
        padding: 'valid' (default), 'same' (Keras's rule), or an int/pair of at most
            half the pool size (padding never wins the max).
        data_format: 'channels_last' (default) or 'channels_first'.

    Each window's gradient goes to one element, its first maximum (row-major order).

    Example:
        >>> MaxPool2D(kernel_size=2, stride=2)(np.zeros((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    _function = conv_ops.MaxPool2DFunction
    _base_name = "max_pooling2d"

    def _extra(self, x):
        # the winner index is only worth computing when a gradient will flow back
        return {"track": x.requires_grad and is_grad_enabled()}


class AveragePooling2D(_Pooling2D):
    """Average pooling over 2-D windows (arguments as `MaxPool2D`).

    With padding='same' each window averages only its input elements (Keras); with
    int padding the zeros count (PyTorch's default).
    """

    _function = conv_ops.AvgPool2DFunction
    _base_name = "average_pooling2d"


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D


class _GlobalPooling2D(Layer):
    _base_name = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**default_name(kwargs, self._base_name))
        self.data_format = conv_ops.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.axes = (2, 3) if self.data_format == "channels_first" else (1, 2)
        self.input_spec = ImageInputSpec(self.data_format)

    def compute_output_shape(self, input_shape):
        """(batch, channels), or with keepdims the spatial axes kept as 1."""
        shape = list(input_shape)
        if self.keepdims:
            for a in self.axes:
                shape[a] = 1
            return tuple(shape)
        return tuple(n for i, n in enumerate(shape) if i not in self.axes)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean over the spatial axes: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims=True."""

    _base_name = "global_average_pooling2d"

    def forward(self, x):
        """Averages over height and width."""
        return x.mean(axis=self.axes, keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Maximum over the spatial axes: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims=True."""

    _base_name = "global_max_pooling2d"

    def forward(self, x):
        """Maximum over height and width (tied maxima share the gradient)."""
        return x.max(axis=self.axes, keepdims=self.keepdims)


GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
register_aliases(MaxPool2D=MaxPooling2D, AvgPool2D=AveragePooling2D, GlobalAvgPool2D=GlobalAveragePooling2D,
                 GlobalMaxPool2D=GlobalMaxPooling2D)

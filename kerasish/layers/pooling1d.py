"""Global pooling over the steps of sequences: (batch, steps, features) -> (batch, features)."""
from kerasish.layers.base import InputSpec, Layer
from kerasish.layers.conv import default_name, register_aliases
from kerasish.ops import conv as conv_ops


class _GlobalPooling1D(Layer):
    _base_name = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**default_name(kwargs, self._base_name))
        self.data_format = conv_ops.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.axis = 2 if self.data_format == "channels_first" else 1
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        """(batch, features), or (batch, 1, features) with keepdims (channels_last)."""
        shape = list(input_shape)
        if self.keepdims:
            shape[self.axis] = 1
            return tuple(shape)
        return tuple(n for i, n in enumerate(shape) if i != self.axis)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over the steps axis: (N, steps, C) -> (N, C); the usual head of an Embedding text model.

    Example:
        >>> model = Sequential([Embedding(10_000, 16), GlobalAveragePooling1D(), Dense(1, activation='sigmoid')])
    """

    _base_name = "global_average_pooling1d"

    def forward(self, x):
        """Averages over the steps."""
        return x.mean(axis=self.axis, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Maximum over the steps axis: (N, steps, C) -> (N, C)."""

    _base_name = "global_max_pooling1d"

    def forward(self, x):
        """Maximum over the steps (tied maxima share the gradient)."""
        return x.max(axis=self.axis, keepdims=self.keepdims)


GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
register_aliases(GlobalAvgPool1D=GlobalAveragePooling1D, GlobalMaxPool1D=GlobalMaxPooling1D)

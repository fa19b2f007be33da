"""What the convolution-style layers share: input specs that name the expected layout, and the
kernel/bias options every convolution takes."""
from kerasish import activations, initializers, regularizers
from kerasish.layers.base import InputSpec

# the spatial axes' names by input rank
_SPATIAL = {3: ("steps",), 4: ("height", "width")}


class ChannelsInputSpec(InputSpec):
    """`ndim`-D inputs in a given data format, optionally with a fixed channel count.

    Its errors name the expected layout, e.g. "expected 4-D input (batch, height, width,
    channels) for data_format='channels_last', got shape (28, 28, 1)".
    """

    def __init__(self, ndim, data_format="channels_last", channels=None):
        self.data_format = data_format
        self.channel_axis = 1 if data_format == "channels_first" else ndim - 1
        super().__init__(ndim=ndim, axes={self.channel_axis: channels} if channels else None)
        self.channels = channels

    def check(self, layer, shape):
        """Raises ValueError naming the layer, the expected layout and the actual shape."""
        shape = tuple(shape)
        who = f"Layer '{layer.name}' ({type(layer).__name__})"
        if len(shape) != self.ndim:
            spatial = _SPATIAL[self.ndim]
            axes = ("batch", *spatial, "channels") if self.channel_axis != 1 else ("batch", "channels", *spatial)
            raise ValueError(f"{who} expected {self.ndim}-D input ({', '.join(axes)}) for "
                             f"data_format='{self.data_format}', got shape {shape}")
        if self.channels is not None and shape[self.channel_axis] not in (None, self.channels):
            plural = "s" if self.channels != 1 else ""
            raise ValueError(f"{who} expected {self.channels} input channel{plural} on axis {self.channel_axis} "
                             f"(data_format='{self.data_format}'), got shape {shape}")

    def channels_of(self, layer, input_shape):
        """Checks `input_shape` and returns its channel count (a build needs it known)."""
        self.check(layer, input_shape)
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) needs a known channel dimension "
                             f"(axis {self.channel_axis}), got input shape {tuple(input_shape)}")
        return int(channels)


class ImageInputSpec(ChannelsInputSpec):
    """4-D images: (batch, height, width, channels) or (batch, channels, height, width)."""

    def __init__(self, data_format="channels_last", channels=None):
        super().__init__(4, data_format, channels)


class SequenceInputSpec(ChannelsInputSpec):
    """3-D sequences: (batch, steps, channels) or (batch, channels, steps)."""

    def __init__(self, data_format="channels_last", channels=None):
        super().__init__(3, data_format, channels)


def set_kernel_options(layer, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                       bias_regularizer, activity_regularizer):
    """Resolves and stores a convolution's activation, bias flag, initializers and regularizers;
    its `kernel` and `bias` are made at build."""
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer._activity_regularizer = regularizers.get(activity_regularizer)
    # a plain attribute, not a registered sub-layer, even when it is an activation layer
    object.__setattr__(layer, "activation", activations.get(activation))
    layer.kernel = layer.bias = None

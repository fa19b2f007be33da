"""Conv2D: 2-D convolution layer, in the seed's and in Keras's call style."""
import contextlib

import numpy as np

from kerasish import activations, initializers, regularizers
from kerasish.layers.base import LAYER_REGISTRY, Layer, unique_name
from kerasish.layers.conv_common import ImageInputSpec, set_kernel_options
from kerasish.ops import conv as conv_ops


def default_name(kwargs, base):
    """Fills in Keras's automatic name ('conv2d', 'conv2d_1', ...) when none is given."""
    if kwargs.get("name") is None:
        kwargs["name"] = unique_name(base)
    return kwargs


@contextlib.contextmanager
def naming_errors(layer):
    """Prefixes a ValueError raised inside (e.g. an image too small for the window) with the layer."""
    try:
        yield
    except ValueError as e:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): {e}") from None


def register_aliases(**classes):
    """Makes alias class names (MaxPool2D, ...) resolvable from saved configs too."""
    for alias, cls in classes.items():
        LAYER_REGISTRY.setdefault(alias, cls)


class Conv2D(Layer):
    """2-D convolution layer (cross-correlation, as in Keras and PyTorch).

    Two call styles:
        Conv2D(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)  # seed: built now
        Conv2D(32, (3, 3), activation='relu', padding='same')                         # Keras: lazy

    Args:
        filters (or out_channels): number of output channels.
        kernel_size: int or (kh, kw).
        strides (or stride): int or pair. Default 1.
        padding: 'valid' (default), 'same' (Keras's rule: the extra row/column goes
            bottom/right), an int, a pair, or ((top, bottom), (left, right)).
        data_format: 'channels_last' (N, H, W, C; default) or 'channels_first' (N, C, H, W).
        dilation_rate: int or pair.
        activation: name ('relu', ...), callable or None.
        use_bias: add a bias vector.
        kernel_initializer (or initialization), bias_initializer: names or initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: names or callables.
        in_channels: input channels; when given the weights are created at once.

    The kernel is stored (kh, kw, in, out) as 'kernel' (Keras's layout), the bias as 'bias'.

    Example:
        >>> conv = Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1))
        >>> conv(np.zeros((8, 28, 28, 1), 'float32')).shape
        (8, 26, 26, 32)
    """

    def __init__(self, filters=None, kernel_size=None, strides=None, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, *,
                 in_channels=None, out_channels=None, stride=None, initialization=None, lora_rank=None,
                 **kwargs):
        super().__init__(**default_name(kwargs, "conv2d"))
        filters = _alias(filters, out_channels, "filters", "out_channels")
        strides = _alias(strides, stride, "strides", "stride", conv_ops.normalize_pair)
        if filters is None or kernel_size is None:
            raise TypeError("Conv2D needs filters (or out_channels) and kernel_size, e.g. Conv2D(32, 3) or "
                            "Conv2D(in_channels=3, out_channels=16, kernel_size=3)")
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"Conv2D '{self.name}': filters must be a positive int, got {filters!r}")
        for arg, value, default in (("groups", groups, 1), ("kernel_constraint", kernel_constraint, None),
                                    ("bias_constraint", bias_constraint, None), ("lora_rank", lora_rank, None)):
            if value != default:
                raise ValueError(f"Conv2D '{self.name}': {arg}={value!r} is not supported (only {default!r})")
        self.filters = int(filters)
        self.kernel_size = conv_ops.normalize_pair(kernel_size, "kernel_size")
        self.strides = conv_ops.normalize_pair(1 if strides is None else strides, "strides")
        self.padding = conv_ops.normalize_padding(padding)
        self.data_format = conv_ops.normalize_data_format(data_format)
        self.dilation_rate = conv_ops.normalize_pair(dilation_rate, "dilation_rate")
        set_kernel_options(self, activation, use_bias,
                           initialization if initialization is not None else kernel_initializer,
                           bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer)
        self.input_spec = ImageInputSpec(self.data_format)
        self.in_channels = in_channels
        # the seed style's in_channels goes into the config, so a clone is built (and loadable) at once
        self._config_in_channels = None if in_channels is None else int(in_channels)
        if in_channels is not None:
            shape = (None, None, None, in_channels) if self.data_format == "channels_last" else \
                (None, in_channels, None, None)
            self.build(shape)

    def build(self, input_shape):
        """Creates 'kernel' (kh, kw, in, filters) and 'bias' (filters,) from the input's channel count."""
        channels = ImageInputSpec(self.data_format).channels_of(self, input_shape)
        self.kernel = self.add_weight((*self.kernel_size, channels, self.filters), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)
        self.in_channels = int(channels)
        self.input_spec = ImageInputSpec(self.data_format, self.in_channels)
        self.built = True

    def forward(self, x):
        """Convolves `x`, adds the bias and applies the activation."""
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        # plain relu is applied inside the convolution op (in place, one node less)
        fused = self.activation is activations.relu
        with naming_errors(self):
            out = conv_ops.Conv2DFunction.apply(x, self.kernel, self.bias, strides=self.strides,
                                                padding=self.padding, dilation=self.dilation_rate,
                                                data_format=self.data_format, relu=fused,
                                                save=conv_ops.backward_needs(x, self.kernel, self.bias))
        return out if fused else self.activation(out)

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (None dimensions stay None)."""
        return conv_ops.conv_output_shape(input_shape, self.filters, self.kernel_size, self.strides,
                                          self.padding, self.dilation_rate, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": list(self.kernel_size), "strides": list(self.strides),
            "padding": _padding_config(self.padding), "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate), "groups": 1,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        if self._config_in_channels is not None:
            config["in_channels"] = self._config_in_channels
        return config


def _alias(keras_value, seed_value, keras_name, seed_name, normalize=None):
    """The value of a keyword that has a Keras name and a seed name; both given must agree."""
    if seed_value is None:
        return keras_value
    same = (lambda a, b: normalize(a, keras_name) == normalize(b, seed_name)) if normalize else \
        (lambda a, b: a == b)
    if keras_value is not None and not same(keras_value, seed_value):
        raise ValueError(f"got both {keras_name}={keras_value!r} and {seed_name}={seed_value!r}; pass one")
    return seed_value


def _padding_config(padding):
    return padding if isinstance(padding, str) else [list(p) for p in padding]

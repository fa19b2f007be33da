"""Conv1D: 1-D convolution over sequences, run as a 2-D convolution of height-1 images."""
import numpy as np

from kerasish import activations, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.conv_common import SequenceInputSpec, set_kernel_options
from kerasish.layers.conv import default_name, naming_errors, register_aliases
from kerasish.ops import conv as conv_ops
from kerasish.ops import reshape


def single_int(value, name, minimum=1):
    """An int or a 1-tuple/list of an int -> an int >= minimum; raises ValueError otherwise."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} (or a 1-tuple of one), got {value!r}")
    return int(value)


def as_image(x, data_format):
    """(N, L, C) -> (N, 1, L, C), or (N, C, L) -> (N, C, 1, L): a view, differentiable."""
    n, a, b = x.shape
    return reshape(x, (n, 1, a, b) if data_format == "channels_last" else (n, a, 1, b))


def from_image(y, data_format):
    """The inverse of `as_image`: drops the height-1 axis."""
    s = y.shape
    return reshape(y, (s[0], s[2], s[3]) if data_format == "channels_last" else (s[0], s[1], s[3]))


class Conv1D(Layer):
    """1-D convolution layer (temporal convolution), as Keras's Conv1D.

    Args:
        filters: number of output channels.
        kernel_size: int (or a 1-tuple).
        strides: int. Default 1.
        padding: 'valid' (default), 'same' (output ceil(steps / strides), the odd extra
            zero at the end) or 'causal' ((kernel_size - 1) * dilation_rate zeros at the
            start, so output t sees only inputs up to t).
        data_format: 'channels_last' (N, steps, C; default) or 'channels_first' (N, C, steps).
        dilation_rate: int (not together with strides > 1, as in Keras).
        activation: name, callable or None.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer: names or objects, as for Conv2D.

    The kernel is stored (kernel_size, in_channels, filters) as 'kernel' and the bias as
    'bias', Keras's shapes and order. It runs as a Conv2D of height-1 images.

    Example:
        >>> conv = Conv1D(16, 3, padding='causal', activation='relu')
        >>> conv(np.zeros((4, 20, 8), 'float32')).shape
        (4, 20, 16)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**default_name(kwargs, "conv1d"))
        who = f"Conv1D '{self.name}'"
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"{who}: filters must be a positive int, got {filters!r}")
        for arg, value, default in (("groups", groups, 1), ("kernel_constraint", kernel_constraint, None),
                                    ("bias_constraint", bias_constraint, None)):
            if value != default:
                raise ValueError(f"{who}: {arg}={value!r} is not supported (only {default!r})")
        try:
            self.kernel_size = single_int(kernel_size, "kernel_size")
            self.strides = single_int(strides, "strides")
            self.dilation_rate = single_int(dilation_rate, "dilation_rate")
            self.data_format = conv_ops.normalize_data_format(data_format)
        except ValueError as e:
            raise ValueError(f"{who}: {e}") from None
        key = padding.lower() if isinstance(padding, str) else None
        if key not in ("valid", "same", "causal"):
            raise ValueError(f"{who}: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(f"{who}: strides > 1 cannot be combined with dilation_rate > 1, got "
                             f"strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.padding = key
        self.filters = int(filters)
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer, activity_regularizer)
        self.input_spec = SequenceInputSpec(self.data_format)

    def build(self, input_shape):
        """Creates 'kernel' (kernel_size, in, filters) and 'bias' (filters,)."""
        channels = SequenceInputSpec(self.data_format).channels_of(self, input_shape)
        self.kernel = self.add_weight((self.kernel_size, channels, self.filters), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)
        self.input_spec = SequenceInputSpec(self.data_format, int(channels))
        self.built = True

    def _pads(self):
        """Conv2D padding of the height-1 image."""
        if self.padding == "causal":
            return ((0, 0), ((self.kernel_size - 1) * self.dilation_rate, 0))
        return self.padding

    def forward(self, x):
        """Convolves `x` along its steps, adds the bias and applies the activation."""
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        k, cin, cout = self.kernel.shape
        image, kernel = as_image(x, self.data_format), reshape(self.kernel, (1, k, cin, cout))
        fused = self.activation is activations.relu
        with naming_errors(self):
            out = conv_ops.Conv2DFunction.apply(
                image, kernel, self.bias, strides=(1, self.strides), padding=self._pads(),
                dilation=(1, self.dilation_rate), data_format=self.data_format, relu=fused,
                save=conv_ops.backward_needs(image, kernel, self.bias))
        out = from_image(out, self.data_format)
        return out if fused else self.activation(out)

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (None dimensions stay None)."""
        shape = list(input_shape)
        axis, caxis = (2, 1) if self.data_format == "channels_first" else (1, 2)
        n = shape[axis]
        if n is not None:
            pads = self._pads()
            if pads == "same":
                n = -(-n // self.strides)
            else:
                lo = pads[1][0] if pads != "valid" else 0
                n = (n + lo - (self.kernel_size - 1) * self.dilation_rate - 1) // self.strides + 1
        shape[axis], shape[caxis] = n, self.filters
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": [self.kernel_size], "strides": [self.strides],
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": [self.dilation_rate],
            "groups": 1, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        return config


Convolution1D = Conv1D
register_aliases(Convolution1D=Conv1D)

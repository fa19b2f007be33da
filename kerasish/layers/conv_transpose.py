"""Conv2DTranspose: the transposed 2-D convolution layer (a learnable upsampling)."""
import numpy as np

from kerasish import activations, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.conv import default_name, naming_errors, register_aliases
from kerasish.layers.conv_common import ImageInputSpec, set_kernel_options
from kerasish.ops import conv as conv_ops
from kerasish.ops import conv_transpose as ct_ops


class Conv2DTranspose(Layer):
    """Transposed 2-D convolution (often called deconvolution), as Keras's Conv2DTranspose.

    Each input pixel adds a kernel-weighted patch to the output, so strides > 1 enlarge
    the image: with padding='same' an (H, W) input becomes (H * sh, W * sw).

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or pair. Default 1.
        padding: 'valid' (default; output (H - 1) * s + max(k, s)) or 'same' (output H * s).
        output_padding: None (default), an int or a pair, each smaller than its stride: the
            output is then (H - 1) * s + k + output_padding ('valid') or
            (H - 1) * s + k % 2 + output_padding ('same').
        data_format: 'channels_last' (default) or 'channels_first'.
        dilation_rate: int or pair (not together with strides > 1, as in Keras).
        activation: name, callable or None.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer: as for Conv2D.

    The kernel is stored (kh, kw, filters, in_channels) as 'kernel' (Keras's layout), the bias
    (filters,) as 'bias', so Keras weight files load by order.

    Example:
        >>> up = Conv2DTranspose(8, 3, strides=2, padding='same')
        >>> up(np.zeros((1, 7, 7, 16), 'float32')).shape
        (1, 14, 14, 8)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(**default_name(kwargs, "conv2d_transpose"))
        who = f"Conv2DTranspose '{self.name}'"
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"{who}: filters must be a positive int, got {filters!r}")
        for arg, value in (("kernel_constraint", kernel_constraint), ("bias_constraint", bias_constraint)):
            if value is not None:
                raise ValueError(f"{who}: {arg}={value!r} is not supported (only None)")
        try:
            self.kernel_size = conv_ops.normalize_pair(_plain(kernel_size), "kernel_size")
            self.strides = conv_ops.normalize_pair(_plain(strides), "strides")
            self.dilation_rate = conv_ops.normalize_pair(_plain(dilation_rate), "dilation_rate")
            self.padding = ct_ops.normalize_transpose_padding(padding)
            self.output_padding = ct_ops.normalize_output_padding(_plain(output_padding), self.strides)
            self.data_format = conv_ops.normalize_data_format(data_format)
        except ValueError as e:
            raise ValueError(f"{who}: {e}") from None
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 cannot be combined with dilation_rate > 1, got "
                             f"strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.filters = int(filters)
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer, activity_regularizer)
        self.input_spec = ImageInputSpec(self.data_format)

    def build(self, input_shape):
        """Creates 'kernel' (kh, kw, filters, in) and 'bias' (filters,) from the input's channel count."""
        channels = ImageInputSpec(self.data_format).channels_of(self, input_shape)
        self.kernel = self.add_weight((*self.kernel_size, self.filters, channels), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)
        self.input_spec = ImageInputSpec(self.data_format, int(channels))
        self.built = True

    def forward(self, x):
        """Transposed-convolves `x`, adds the bias and applies the activation."""
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        with naming_errors(self):
            out = ct_ops.Conv2DTransposeFunction.apply(
                x, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                output_padding=self.output_padding, dilation=self.dilation_rate, data_format=self.data_format)
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (None dimensions stay None)."""
        return ct_ops.conv_transpose_output_shape(input_shape, self.filters, self.kernel_size, self.strides,
                                                  self.padding, self.output_padding, self.dilation_rate,
                                                  self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": list(self.kernel_size), "strides": list(self.strides),
            "padding": self.padding,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        return config


def _plain(value):
    """NumPy integers (and lists of them) as Python ints, so configs stay JSON."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (list, tuple)):
        return type(value)(int(v) if isinstance(v, np.integer) else v for v in value)
    return value


Convolution2DTranspose = Conv2DTranspose
register_aliases(Convolution2DTranspose=Conv2DTranspose)

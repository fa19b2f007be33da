"""Core layers: Dense, Flatten, Reshape, Dropout, Lambda."""
import inspect
import math
import numbers

import numpy as np

from kerasish import activations, initializers, regularizers
from kerasish.layers.base import InputSpec, Layer
from kerasish.ops.dropout import dropout


def _no_constraint(layer_name, **options):
    for key, value in options.items():
        if value is not None:
            hint = ("; clip or project the weights after optimizer.step() instead"
                    if key.endswith("constraint") else "")
            raise ValueError(f"{layer_name}: {key} is not supported by kerasish (got {value!r}){hint}")


def _positive_int(value, what, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {what} must be a positive integer, got {value!r}")
    return int(value)


class Dense(Layer):
    """Fully connected layer: `activation(x @ kernel + bias)` over the last axis.

    Two call styles:

        Dense(128, 10, initialization='xavier', device='cpu', dtype=np.float32)  # seed: in, out
        Dense(10, activation='softmax')       # Keras: units; input size taken at the first call

    Args:
        units: output size (Keras style). In the seed style the first two positional
            arguments are `input_size, output_size` and the weights are created at once.
        activation: name, callable or None (linear).
        use_bias: add a bias vector.
        kernel_initializer: name or initializer (default 'glorot_uniform'); `initialization`
            is the seed's alias.
        bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to `losses`.
        input_size, output_size: the seed's keyword names.
        name, dtype, device, trainable, input_shape, input_dim: as for every layer.

    The kernel has shape (input_size, units) (Keras's layout) and is named 'kernel'; the
    bias is 'bias'. Inputs of any rank >= 1 are accepted; the product runs over the last axis.
    """

    _POSITIONAL = ("activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                   "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint")

    def __init__(self, units=None, *args, **kwargs):
        # Dense(in, out, ...) (seed) or Dense(units, activation, use_bias, ...) (Keras)
        if args and isinstance(args[0], (int, np.integer)) and not isinstance(args[0], bool):
            if kwargs.get("input_size") is not None or kwargs.get("output_size") is not None:
                raise ValueError("Dense: give the sizes either positionally, Dense(input_size, "
                                 "output_size), or by keyword, not both")
            kwargs["input_size"], units, args = units, args[0], args[1:]
        if len(args) > len(self._POSITIONAL):
            raise TypeError(f"Dense takes at most {len(self._POSITIONAL) + 1} positional arguments")
        for name, value in zip(self._POSITIONAL, args):
            if name in kwargs:
                raise TypeError(f"Dense got multiple values for argument '{name}'")
            kwargs[name] = value
        self._init(units, **kwargs)

    def _init(self, units=None, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
              bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
              activity_regularizer=None, kernel_constraint=None, bias_constraint=None, *,
              input_size=None, output_size=None, initialization=None, quantization_config=None,
              lora_rank=None, **kwargs):
        if output_size is not None:
            if units is not None and input_size is not None:
                raise ValueError("Dense: got units, input_size and output_size; use Dense(units) or "
                                 "Dense(input_size, output_size)")
            if units is not None:  # Dense(128, output_size=10): the first is the input size
                input_size = units
            units = output_size
        if units is None:
            raise ValueError("Dense needs `units` (Keras style) or `input_size, output_size` (seed style)")
        if input_size is not None and "input_shape" not in kwargs and "input_dim" not in kwargs:
            kwargs["input_shape"] = (_positive_int(input_size, "input_size", "Dense"),)
        _no_constraint("Dense", kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                       quantization_config=quantization_config, lora_rank=lora_rank)
        super().__init__(**kwargs)
        self.units = _positive_int(units, "units", f"Dense '{self.name}'")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(initialization if initialization is not None
                                                   else kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel = self.bias = None
        # the seed style's input_size goes into the config, so a clone is built (and loadable) at once
        self._config_input_size = None if input_size is None else int(input_size)
        if input_size is not None:
            self.build((None, int(input_size)))

    def build(self, input_shape):
        """Creates `kernel` (in, units) and `bias` (units,) from the input's last dimension."""
        if self.built:
            return
        if not input_shape or input_shape[-1] is None:
            raise ValueError(f"Dense '{self.name}' needs a known last input dimension, got input "
                             f"shape {input_shape}")
        in_dim = int(input_shape[-1])
        self.kernel = self.add_weight((in_dim, self.units), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: in_dim})
        self.built = True

    def forward(self, x):
        """activation(x @ kernel + bias)."""
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        if x.ndim > 2:  # one 2-D product: a batched one would build a kernel gradient per row
            out = (x.reshape(-1, x.shape[-1]) @ self.kernel).reshape(*x.shape[:-1], self.units)
        else:
            out = x @ self.kernel
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        """The input shape with the last axis replaced by `units`."""
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self._activity_regularizer),
            kernel_constraint=None, bias_constraint=None)
        if self._config_input_size is not None:
            config["input_size"] = self._config_input_size
        return config


# Introspection (config loading) sees the real keyword arguments.
Dense.__init__.__signature__ = inspect.signature(Dense._init)


class Flatten(Layer):
    """Flattens every axis but the batch axis: (N, d1, d2, ...) -> (N, d1 * d2 * ...).

    Args:
        data_format: 'channels_last' (default) or 'channels_first'; channels-first inputs are
            moved to channels-last order first, so the flattened order matches Keras.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, "Flatten")

    def forward(self, x):
        """x reshaped to (batch, -1)."""
        if x.ndim == 0:
            raise ValueError(f"Flatten '{self.name}' needs an input with a batch axis, got a scalar")
        if self.data_format == "channels_first" and x.ndim > 2:
            x = x.transpose(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, input_shape):
        """(batch, product of the other axes); None if any of them is unknown."""
        rest = tuple(input_shape)[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


def _data_format(value, layer):
    value = "channels_last" if value is None else value
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept; one entry may be -1).

    Example:
        >>> Reshape((4, 4, 1))(Tensor(np.zeros((2, 16)))).shape
        (2, 4, 4, 1)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target = tuple(-1 if n is None else int(n) for n in target_shape)
        except TypeError:
            raise ValueError(f"Reshape: target_shape must be a tuple of ints, got {target_shape!r}") from None
        if target.count(-1) > 1 or any(n < -1 or n == 0 for n in target):
            raise ValueError(f"Reshape: target_shape {tuple(target_shape)} must hold positive sizes "
                             "and at most one -1")
        self.target_shape = target

    def forward(self, x):
        """x reshaped to (batch, *target_shape)."""
        size = math.prod(x.shape[1:])
        known = math.prod(n for n in self.target_shape if n != -1)
        ok = size % known == 0 if -1 in self.target_shape else size == known
        if not ok:
            raise ValueError(f"Reshape '{self.name}': cannot reshape samples of shape {x.shape[1:]} "
                             f"({size} values) into {self.target_shape}")
        return x.reshape(x.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape):
        """(batch, *target_shape), a -1 resolved when the sample size is known."""
        target, rest = list(self.target_shape), tuple(input_shape)[1:]
        if -1 in target:
            known = math.prod(n for n in target if n != -1)
            target[target.index(-1)] = None if None in rest else math.prod(rest) // known
        return (input_shape[0], *target)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Dropout(Layer):
    """Inverted dropout: in training mode zeros each value with probability `rate` and scales
    the rest by 1 / (1 - rate); in inference mode (`layer.eval()`, `training=False`) the identity.

    Args:
        rate: fraction dropped, in [0, 1).
        noise_shape: shape of the mask (None entries follow the input), e.g. (None, 1, 1, C)
            drops whole channels.
        seed: gives this layer its own generator; otherwise the device's seeded one
            (`kerasish.utils.set_random_seed`).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"Dropout '{self.name}': rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(None if n is None else int(n) for n in noise_shape)
        self.seed = None if seed is None else int(seed)
        self._generator_state = None

    def forward(self, x, training=None):
        """x with dropout applied when training."""
        training = self.training if training is None else training
        if not training or self.rate == 0:
            return x
        return dropout(x, self.rate, self.noise_shape, self._generator())

    def compute_output_shape(self, input_shape):
        """The input shape."""
        return tuple(input_shape)

    def _generator(self):
        if self.seed is None:
            return None
        # a host generator: its masks are copied to the device (only for seeded Dropout layers)
        if self._generator_state is None:
            self._generator_state = np.random.default_rng(self.seed)
        return self._generator_state

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=None if self.noise_shape is None else list(self.noise_shape))
        return config


class Lambda(Layer):
    """Wraps a function `Tensor -> Tensor` as a layer.

    Args:
        function: the callable, called as `function(x, **arguments)`.
        output_shape: accepted for Keras compatibility (not needed: shapes are computed).
        arguments: extra keyword arguments for `function`.

    A function is saved in configs by name only (nothing is ever evaluated from a file);
    `Lambda.from_config(config, custom_objects={'name': fn})` restores it.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}' needs a callable, got {type(function).__name__}")
        self.function = function
        self.output_shape = output_shape
        self.arguments = dict(arguments or {})

    def forward(self, x):
        """function(x, **arguments)."""
        return self.function(x, **self.arguments)

    def get_config(self):
        config = super().get_config()
        config.update(function=getattr(self.function, "__name__", type(self.function).__name__),
                      output_shape=self.output_shape, arguments=self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds from `get_config()`; the function is looked up by name in `custom_objects`."""
        config = dict(config)
        fn = config.get("function")
        if isinstance(fn, str):
            if not custom_objects or fn not in custom_objects:
                raise ValueError(f"Lambda function {fn!r} cannot be restored from a config (code is never "
                                 f"loaded from files); pass custom_objects={{'{fn}': your_function}}")
            config["function"] = custom_objects[fn]
        return cls(**config)

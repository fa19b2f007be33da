"""Recurrent cells: the weights of one recurrent layer and its step math (Keras 3 layouts).

A cell owns `kernel` (features, gates * units), `recurrent_kernel` (units, gates * units) and
`bias`, with Keras's gate order (LSTM: i, f, c, o; GRU: z, r, h). The layers in
`recurrent.py` hold one cell as `cell`, so weight files nest as Keras's ('lstm/cell/vars').
`project` computes the input part of every step in one matmul; `scan` runs the time loop.
"""
import numbers

import numpy as np

from kerasish import activations, initializers, ops, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.recurrent_scan import GRUScan, LSTMScan, SimpleRNNScan


def _check_rate(value, what, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name}: {what} must be a number in [0, 1), got {value!r}")
    return float(value)


class _Cell(Layer):
    """Common weights and config of the recurrent cells."""

    GATES = 1
    STATES = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{kind} '{self.name}': units must be a positive integer, got {units!r}")
        for key, value in (("kernel_constraint", kernel_constraint), ("recurrent_constraint", recurrent_constraint),
                           ("bias_constraint", bias_constraint)):
            if value is not None:
                raise ValueError(f"{kind} '{self.name}': {key} is not supported by kerasish (got {value!r})")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = _check_rate(dropout, "dropout", f"{kind} '{self.name}'")
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout", f"{kind} '{self.name}'")
        self.seed = None if seed is None else int(seed)
        self.kernel = self.recurrent_kernel = self.bias = None
        self.state_size = [self.units] * self.STATES
        self.output_size = self.units

    def _bias_shape(self):
        return (self.GATES * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        """Creates kernel (features, gates * units), recurrent_kernel (units, gates * units) and bias."""
        if self.built:
            return
        if not input_shape or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs a known feature dimension, got input "
                             f"shape {input_shape}")
        width = self.GATES * self.units
        self.kernel = self.add_weight((int(input_shape[-1]), width), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight((self.units, width), self.recurrent_initializer,
                                                name="recurrent_kernel", regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(), name="bias",
                                        regularizer=self.bias_regularizer)
        self.built = True

    def _weight(self, w, dtype):
        return w if w is None or w.dtype == dtype else w.astype(dtype)

    def _input_bias(self, dtype):
        return self._weight(self.bias, dtype)

    def project(self, x):
        """x (batch, time, features) @ kernel + input bias, in one matmul: (batch, time, gates * units)."""
        batch, steps, features = x.shape
        out = ops.reshape(x, (-1, features)) @ self._weight(self.kernel, x.dtype)
        bias = self._input_bias(x.dtype)
        if bias is not None:
            out = out + bias
        return ops.reshape(out, (batch, steps, self.GATES * self.units))

    def scan(self, projected, states, reverse=False):
        """Runs the recurrence; returns (outputs (batch, time, units) in processing order, final states)."""
        raise NotImplementedError(f"{type(self).__name__} must implement scan(projected, states, reverse)")

    def call(self, inputs, states, training=None):
        """One step (Keras's cell API): inputs (batch, features), states list -> (output, new states)."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        seq, new = self.scan(self.project(ops.expand_dims(inputs, 1)), states)
        return new[0], new

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        if self.GATES > 1:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config


def _state(states, i):
    return states[i] if states is not None and len(states) > i else None


class SimpleRNNCell(_Cell):
    """Cell of SimpleRNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

    Args:
        units: size of the state; activation (default 'tanh'), use_bias, kernel/recurrent/bias
            initializers (defaults 'glorot_uniform', 'orthogonal', 'zeros') and regularizers as Keras.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)

    def scan(self, projected, states=None, reverse=False):
        """The SimpleRNN loop; returns (outputs, [h_last])."""
        seq = SimpleRNNScan.apply(projected, self._weight(self.recurrent_kernel, projected.dtype),
                                  _state(states, 0), activation=self.activation, reverse=reverse)
        return seq, [seq[:, -1]]


class LSTMCell(_Cell):
    """Cell of LSTM (Keras 3 gate order i, f, c, o; states [h, c]).

    Args:
        units, activation ('tanh'), recurrent_activation ('sigmoid'), use_bias, initializers,
        regularizers: as Keras.
        unit_forget_bias: start the forget gate's bias at one (Keras's default True).
    """

    GATES = 4
    STATES = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, n = self.bias_initializer, self.units

        def init(shape, dtype=None):
            parts = [np.asarray(base((n,), dtype=dtype)), np.ones((n,), dtype=dtype),
                     np.asarray(base((2 * n,), dtype=dtype))]
            return np.concatenate(parts).astype(dtype)
        return init

    def scan(self, projected, states=None, reverse=False):
        """The LSTM loop; returns (h outputs, [h_last, c_last])."""
        both = LSTMScan.apply(projected, self._weight(self.recurrent_kernel, projected.dtype),
                              _state(states, 0), _state(states, 1), activation=self.activation,
                              recurrent_activation=self.recurrent_activation, reverse=reverse)
        n = self.units
        return both[:, :, :n], [both[:, -1, :n], both[:, -1, n:]]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_Cell):
    """Cell of GRU (Keras 3 gate order z, r, h).

    Args:
        units, activation ('tanh'), recurrent_activation ('sigmoid'), use_bias, initializers,
        regularizers: as Keras.
        reset_after: apply the reset gate after the recurrent product (Keras 3's default True,
            bias shape (2, 3 * units): input bias then recurrent bias); False uses one bias (3 * units,).
    """

    GATES = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None,
                 **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self, dtype):
        bias = self._weight(self.bias, dtype)
        return bias[0] if bias is not None and self.reset_after else bias

    def scan(self, projected, states=None, reverse=False):
        """The GRU loop; returns (outputs, [h_last])."""
        bias = self._weight(self.bias, projected.dtype)
        rb = bias[1] if bias is not None and self.reset_after else None
        seq = GRUScan.apply(projected, self._weight(self.recurrent_kernel, projected.dtype), rb,
                            _state(states, 0), activation=self.activation,
                            recurrent_activation=self.recurrent_activation, reverse=reverse,
                            reset_after=self.reset_after)
        return seq, [seq[:, -1]]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config

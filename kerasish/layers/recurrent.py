"""Recurrent layers: SimpleRNN, LSTM, GRU (Keras 3 semantics and weight layouts).

Inputs are (batch, time, features). Each layer holds its cell as `cell` (weights
`kernel`, `recurrent_kernel`, `bias` in Keras's shapes and order), computes the input
projections of all steps in one matmul, then runs a fused time loop (recurrent_scan.py)
whose per-step work is one `h @ recurrent_kernel` plus elementwise math.

Masks are ignored: kerasish's Embedding(mask_zero=True) does not produce a mask, so padded
steps are processed like any other (pad at the start, or use go_backwards, to keep them harmless).
"""
from kerasish import regularizers
from kerasish.layers.base import InputSpec, Layer
from kerasish.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from kerasish.tensor import Tensor

_CELL_KEYS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
              "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
              "bias_constraint", "dropout", "recurrent_dropout", "reset_after", "seed")


class _RNNLayer(Layer):
    """Runs `cell` over the time axis (shared by SimpleRNN, LSTM and GRU)."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if stateful:
            raise ValueError(f"{kind} '{self.name}': stateful=True is not supported by kerasish; carry "
                             "states between batches with return_state=True and initial_state= instead")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)  # accepted; the loop is fused either way
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.input_spec = InputSpec(ndim=3)

    def __getattr__(self, name):
        if name in _CELL_KEYS or name in ("kernel", "recurrent_kernel", "bias"):
            cell = self.__dict__.get("_layers", {}).get("cell")
            if cell is not None and hasattr(cell, name):
                return getattr(cell, name)
        return super().__getattr__(name)

    @property
    def units(self):
        """Size of the state."""
        return self.cell.units

    @property
    def state_size(self):
        """Sizes of the states (Keras's `cell.state_size`)."""
        return self.cell.state_size

    def build(self, input_shape):
        """Builds the cell from the feature dimension (the last axis)."""
        if self.built:
            return
        if input_shape is None or len(input_shape) != 3:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected input of shape "
                             f"(batch, time, features), got shape {input_shape}")
        self.cell.build(tuple(input_shape))
        self.cell.built = True
        self.input_spec = InputSpec(ndim=3, axes={-1: int(input_shape[-1])})
        self.built = True

    def forward(self, x, initial_state=None, mask=None, training=None):
        """(batch, time, features) -> last output, or every output with return_sequences; states too
        with return_state (a tuple (output, *states), as Keras)."""
        cell = self.cell
        if mask is not None:
            raise NotImplementedError(f"{type(self).__name__} '{self.name}': masks are not implemented in kerasish "
                                      "(padded steps would be processed silently); pad at the start or drop mask=")
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        if x.shape[1] == 0:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs at least one time step, "
                             f"got input shape {x.shape}")
        training = self.training if training is None else training
        if training and cell.recurrent_dropout > 0:
            raise NotImplementedError(f"{type(self).__name__} '{self.name}': recurrent_dropout > 0 is not "
                                      "implemented in kerasish; use dropout= or a Dropout layer")
        if training and cell.dropout > 0:
            from kerasish.ops.dropout import dropout
            x = dropout(x, cell.dropout, noise_shape=(x.shape[0], 1, x.shape[2]))
        states = self._initial_states(initial_state, x)
        seq, last = cell.scan(cell.project(x), states, reverse=self.go_backwards)
        out = seq if self.return_sequences else last[0]
        return (out, *last) if self.return_state else out

    def _initial_states(self, initial_state, x):
        if initial_state is None:
            return None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        expected = len(self.cell.state_size)
        if len(states) != expected:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects {expected} initial state(s), "
                             f"got {len(states)}")
        out = []
        for s in states:
            s = s if isinstance(s, Tensor) else Tensor(s, dtype=x.dtype, device=x.device)
            if s.shape != (x.shape[0], self.units):
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): initial states must have shape "
                                 f"(batch, units) = {(x.shape[0], self.units)}, got {s.shape}")
            out.append(s.astype(x.dtype) if s.dtype != x.dtype else s)
        return out

    def compute_output_shape(self, input_shape):
        """(batch, units), or (batch, time, units) with return_sequences; plus state shapes."""
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return (out, *[(batch, n) for n in self.cell.state_size])
        return out

    def get_config(self):
        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=False, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask,
                      activity_regularizer=regularizers.serialize(self._activity_regularizer))
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell.pop(key, None)
        config.update(cell)
        return config


class SimpleRNN(_RNNLayer):
    """Fully connected RNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

    Args:
        units: size of the output and state.
        activation: default 'tanh'.
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), *_regularizer: as Keras.
        dropout: fraction of input features dropped in training (one mask per sequence, as Keras).
        recurrent_dropout: only 0 is supported in training.
        return_sequences: return every step's output (batch, time, units) instead of the last.
        return_state: also return the final state: (output, h).
        go_backwards: process the sequence in reverse (outputs come in processing order).
        stateful: only False. unroll: accepted and ignored.

    Example:
        >>> SimpleRNN(4)(np.zeros((2, 5, 3), 'float32')).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, zero_output_for_mask=False, **kwargs):
        cell = SimpleRNNCell(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                             bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                             kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                             recurrent_dropout, seed, name="simple_rnn_cell", dtype=kwargs.get("dtype"),
                             device=kwargs.get("device"), trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                         zero_output_for_mask, activity_regularizer, **kwargs)


class LSTM(_RNNLayer):
    """Long Short-Term Memory layer (Keras 3: gates i, f, c, o; states [h, c]).

    Args:
        units: size of the output and states.
        activation: default 'tanh'; recurrent_activation: default 'sigmoid'.
        use_bias, kernel_initializer, recurrent_initializer ('orthogonal'), bias_initializer,
        *_regularizer: as Keras.
        unit_forget_bias: initialize the forget gate's bias to one (default True).
        dropout, recurrent_dropout, return_sequences, return_state, go_backwards, stateful,
        unroll: as for SimpleRNN; return_state gives (output, h, c).

    Weights (cell.kernel (features, 4 * units), cell.recurrent_kernel (units, 4 * units),
    cell.bias (4 * units,)) load from Keras files by order.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        cell = LSTMCell(units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
                        bias_constraint, dropout, recurrent_dropout, seed, name="lstm_cell",
                        dtype=kwargs.get("dtype"), device=kwargs.get("device"),
                        trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                         zero_output_for_mask, activity_regularizer, **kwargs)


class GRU(_RNNLayer):
    """Gated Recurrent Unit layer (Keras 3: gates z, r, h).

    Args:
        units: size of the output and state.
        activation: default 'tanh'; recurrent_activation: default 'sigmoid'.
        reset_after: Keras 3's default True (bias shape (2, 3 * units)); False gives the original
            GRU with bias (3 * units,).
        Others as for LSTM; return_state gives (output, h).
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, zero_output_for_mask=False, **kwargs):
        cell = GRUCell(units, activation, recurrent_activation, use_bias, kernel_initializer,
                       recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                       bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                       recurrent_dropout, reset_after, seed, name="gru_cell", dtype=kwargs.get("dtype"),
                       device=kwargs.get("device"), trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                         zero_output_for_mask, activity_regularizer, **kwargs)


__all__ = ["SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell"]

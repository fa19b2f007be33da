"""The generic recurrent layer `RNN(cell)` and `StackedRNNCells` (Keras 3 semantics).

A cell is a Layer with `state_size` (an int or a list of ints) and
`call(inputs, states) -> (output, new_states)`: kerasish's SimpleRNNCell, LSTMCell, GRUCell
or a user-written one. The weights live on the cell, so `RNN(LSTMCell(n))` holds the same
weights, in the same order, as `LSTM(n)`.

A stack of cells is run cell by cell over the whole sequence (the same numbers as stepping
all cells together). kerasish's built-in cells use their fused time loop; any other cell is
called once per time step with differentiable ops, so autograd gives the backward pass.
"""
from kerasish import backend, ops
from kerasish.layers.base import InputSpec, Layer
from kerasish.saving import keras_config, serialization
from kerasish.tensor import Tensor


def _sizes(cell):
    """The cell's state sizes as a list of ints."""
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _sizes(cell)[0]


def _check_cell(cell, owner):
    if isinstance(cell, dict):
        cell = serialization.deserialize_layer(keras_config.convert(cell))
    if not isinstance(cell, Layer) or not hasattr(cell, "state_size") or not callable(getattr(cell, "call", None)):
        raise ValueError(f"{owner}: a cell must be a Layer with a `state_size` attribute and a "
                         f"`call(inputs, states)` method, got {type(cell).__name__}")
    return cell


def _fused(cell):
    """True for kerasish's built-in cells, which run the whole sequence in one fused op."""
    return hasattr(cell, "project") and hasattr(cell, "scan")


def _run_cell(cell, x, states, reverse, training):
    """Runs one cell over x (batch, time, features); returns (outputs in processing order, last states)."""
    if _fused(cell):
        if not cell.built:
            cell.build((x.shape[0], x.shape[2]))
            cell.built = True
        if training and getattr(cell, "recurrent_dropout", 0) > 0:
            raise NotImplementedError(f"{type(cell).__name__} '{cell.name}': recurrent_dropout > 0 is not "
                                      "implemented in kerasish; use dropout= or a Dropout layer")
        if training and getattr(cell, "dropout", 0) > 0:
            from kerasish.ops.dropout import dropout
            x = dropout(x, cell.dropout, noise_shape=(x.shape[0], 1, x.shape[2]))
        return cell.scan(cell.project(x), states, reverse=reverse)
    if states is None:
        xp = backend.get_array_module(x.data)
        states = [Tensor(xp.zeros((x.shape[0], n), dtype=x.dtype), device=x.device) for n in _sizes(cell)]
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    kw = {} if training is None else {"training": training}
    outputs = []
    for t in steps:
        out, states = cell(x[:, t], list(states), **kw)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        outputs.append(out)
    return ops.stack(outputs, axis=1), states


class StackedRNNCells(Layer):
    """Several cells used as one: each cell's output is the next one's input.

    Args:
        cells: a list of cells. `state_size` is the list of the cells' state sizes; the output is
            the last cell's. `RNN([cell_a, cell_b])` wraps its list in this class, as Keras.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells needs a non-empty list of cells, got {cells!r}")
        self.cells = [_check_cell(c, "StackedRNNCells") for c in cells]

    @property
    def state_size(self):
        """The cells' state sizes, one entry per cell."""
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        """The last cell's output size."""
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        """Builds every cell on the previous cell's output width."""
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            shape = (*shape[:-1], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=None):
        """One step: inputs (batch, features), states (one list per cell) -> (output, new states)."""
        kw = {} if training is None else {"training": training}
        new = []
        for cell, s in zip(self.cells, states):
            inputs, s = cell(inputs, list(s) if isinstance(s, (list, tuple)) else [s], **kw)
            new.append(list(s) if isinstance(s, (list, tuple)) else [s])
        return inputs, new

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialization.serialize_layer(c) for c in self.cells]
        return config


class RNN(Layer):
    """Runs a recurrent cell (or a stack of cells) over the time axis of (batch, time, features).

    Args:
        cell: a cell (SimpleRNNCell, LSTMCell, GRUCell or a Layer with `state_size` and
            `call(inputs, states) -> (output, new_states)`), or a list of cells (stacked).
        return_sequences: return every step's output (batch, time, output_size) instead of the last.
        return_state: also return the final states: (output, *states); for a stack of cells, one
            list of states per cell.
        go_backwards: process the sequence in reverse (outputs come in processing order).
        stateful: only False. unroll: accepted and ignored.

    Call arguments: `initial_state=` (a list of (batch, size) states; for a stack, one list per
    cell or all states flat), `training=`. `mask=` raises NotImplementedError.

    Example:
        >>> RNN(LSTMCell(4), return_sequences=True)(np.zeros((2, 5, 3), 'float32')).shape
        (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if stateful:
            raise ValueError(f"RNN '{self.name}': stateful=True is not supported by kerasish; carry states "
                             "between batches with return_state=True and initial_state= instead")
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        self.cell = _check_cell(cell, f"RNN '{self.name}'")
        if kwargs.get("device") is not None:  # the weights live on the cell(s): put them on our device
            self.cell.set_device(self.device)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=3)

    @property
    def state_size(self):
        """The cell's state size."""
        return self.cell.state_size

    def _cells(self):
        return self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]

    def build(self, input_shape):
        """Builds the cell(s) from the feature dimension (the last axis)."""
        if self.built:
            return
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"Layer '{self.name}' (RNN) expected input of shape (batch, time, features) "
                             f"with known features, got shape {input_shape}")
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        self.input_spec = InputSpec(ndim=3, axes={-1: int(input_shape[-1])})
        self.built = True

    def _initial_states(self, initial_state, x):
        cells = self._cells()
        if initial_state is None:
            return [None] * len(cells)
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(cells) > 1 and len(given) == len(cells) and all(isinstance(g, (list, tuple)) for g in given):
            given = [s for g in given for s in g]
        sizes = [_sizes(c) for c in cells]
        expected = sum(len(s) for s in sizes)
        if len(given) != expected:
            raise ValueError(f"Layer '{self.name}' (RNN) expects {expected} initial state(s), got {len(given)}")
        out, i = [], 0
        for cell_sizes in sizes:
            states = []
            for n in cell_sizes:
                s = given[i]
                s = s if isinstance(s, Tensor) else Tensor(s, dtype=x.dtype, device=x.device)
                if tuple(s.shape) != (x.shape[0], n):
                    raise ValueError(f"Layer '{self.name}' (RNN): initial state {i} must have shape "
                                     f"(batch, size) = {(x.shape[0], n)}, got {tuple(s.shape)}")
                states.append(s.astype(x.dtype) if s.dtype != x.dtype else s)
                i += 1
            out.append(states)
        return out

    def forward(self, x, initial_state=None, mask=None, training=None):
        """(batch, time, features) -> last output, or every output with return_sequences; states too
        with return_state."""
        if mask is not None:
            raise NotImplementedError(f"RNN '{self.name}': masks are not implemented in kerasish (padded steps "
                                      "would be processed silently); pad at the start or drop mask=")
        if x.ndim != 3:
            raise ValueError(f"Layer '{self.name}' (RNN) expected input of shape (batch, time, features), "
                             f"got shape {x.shape}")
        if x.dtype.kind != "f":
            x = x.astype(self.compute_dtype)
        if x.shape[1] == 0:
            raise ValueError(f"Layer '{self.name}' (RNN) needs at least one time step, got input shape {x.shape}")
        training = self.training if training is None else training
        seq, finals = x, []
        for i, (cell, states) in enumerate(zip(self._cells(), self._initial_states(initial_state, x))):
            seq, last = _run_cell(cell, seq, states, self.go_backwards and i == 0, training)
            finals.append(list(last))
        out = seq if self.return_sequences else seq[:, -1]
        if not self.return_state:
            return out
        return (out, *finals) if isinstance(self.cell, StackedRNNCells) else (out, *finals[0])

    def compute_output_shape(self, input_shape):
        """(batch, output_size), or (batch, time, output_size) with return_sequences; plus state shapes."""
        batch, steps = input_shape[0], input_shape[1]
        units = _output_size(self.cell)
        out = (batch, steps, units) if self.return_sequences else (batch, units)
        if not self.return_state:
            return out
        if isinstance(self.cell, StackedRNNCells):
            return (out, *[[(batch, n) for n in _sizes(c)] for c in self.cell.cells])
        return (out, *[(batch, n) for n in _sizes(self.cell)])

    def get_config(self):
        config = super().get_config()
        config.update(cell=serialization.serialize_layer(self.cell), return_sequences=self.return_sequences,
                      return_state=self.return_state, go_backwards=self.go_backwards, stateful=False,
                      unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask)
        return config


__all__ = ["RNN", "StackedRNNCells"]

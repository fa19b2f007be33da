"""Layer wrappers: Bidirectional (a recurrent layer run both ways) and TimeDistributed."""
from kerasish import ops
from kerasish.layers.base import Layer
from kerasish.saving import keras_config, serialization

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _clone(layer, **overrides):
    """A fresh layer from `layer`'s config with some entries replaced."""
    config = dict(layer.get_config(), **overrides)
    return type(layer).from_config(config)


def _deserialize(entry, owner):
    if isinstance(entry, Layer):
        return entry
    if not isinstance(entry, dict):
        raise ValueError(f"{owner} needs a Layer (or a serialized layer dict), got {type(entry).__name__}")
    return serialization.deserialize_layer(keras_config.convert(entry))


def _strip_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges their outputs.

    Args:
        layer: a SimpleRNN, LSTM or GRU (its config is copied: the wrapped instance itself is not
            used). The copies are `forward_layer` ('forward_<name>') and `backward_layer`
            ('backward_<name>', go_backwards flipped), as Keras, so weight files load by order.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave' or None (a list [forward, backward]).
        backward_layer: optional layer to use as the backward one (its go_backwards must differ).

    With return_sequences the backward outputs are put back in time order before merging. With
    return_state the result is (merged..., *forward_states, *backward_states).

    Example:
        >>> Bidirectional(LSTM(8, return_sequences=True))(np.zeros((2, 5, 3), 'float32')).shape
        (2, 5, 16)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        layer = _deserialize(layer, "Bidirectional")
        if not hasattr(layer, "go_backwards") \
                or not hasattr(layer, "return_sequences"):
            raise ValueError("Bidirectional needs a recurrent layer (SimpleRNN, LSTM or GRU), got "
                             f"{type(layer).__name__}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {list(_MERGE_MODES)}, got {merge_mode!r}")
        if weights is not None:
            raise ValueError("Bidirectional: weights= is not supported; call set_weights after building")
        kwargs.setdefault("name", None)
        super().__init__(**kwargs)
        base = _strip_prefix(layer.name, "forward_")
        self.forward_layer = _clone(layer, name="forward_" + base)
        if backward_layer is None:
            self.backward_layer = _clone(layer, name="backward_" + base, go_backwards=not layer.go_backwards)
        else:
            backward_layer = _deserialize(backward_layer, "Bidirectional")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Bidirectional: backward_layer.go_backwards must differ from "
                                 f"layer.go_backwards (both are {layer.go_backwards})")
            for key in ("return_sequences", "return_state"):
                if getattr(backward_layer, key) != getattr(layer, key):
                    raise ValueError(f"Bidirectional: backward_layer.{key} must equal layer.{key}")
            self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state

    def build(self, input_shape):
        """Builds both directions."""
        if self.built:
            return
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        self.forward_layer.built = self.backward_layer.built = True
        self.built = True

    def _merge(self, a, b):
        mode = self.merge_mode
        if mode == "concat":
            return ops.concatenate([a, b], axis=-1)
        if mode == "sum":
            return a + b
        if mode == "mul":
            return a * b
        if mode == "ave":
            return (a + b) * 0.5
        return [a, b]

    def forward(self, x, initial_state=None, training=None):
        """Both directions on `x`; merged outputs (and states with return_state)."""
        init_f = init_b = None
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            init_f, init_b = states[:half], states[half:]
        kw = {} if training is None else {"training": training}
        y_f = self.forward_layer(x, initial_state=init_f, **kw)
        y_b = self.backward_layer(x, initial_state=init_b, **kw)
        states = []
        if self.return_state:
            y_f, *s_f = y_f
            y_b, *s_b = y_b
            states = s_f + s_b
        if self.return_sequences:
            y_b = y_b[:, ::-1]
        merged = self._merge(y_f, y_b)
        if not self.return_state:
            return merged
        return (*merged, *states) if self.merge_mode is None else (merged, *states)

    def compute_output_shape(self, input_shape):
        """The forward layer's shapes, with the last axis doubled for 'concat'."""
        shape = self.forward_layer.compute_output_shape(input_shape)
        out, states = (shape[0], list(shape[1:])) if self.return_state else (shape, [])
        if self.merge_mode == "concat":
            out = (*out[:-1], 2 * out[-1])
        outs = [out, out] if self.merge_mode is None else [out]
        if not states and len(outs) == 1:
            return outs[0]
        return tuple(outs + states * 2)

    def get_config(self):
        config = super().get_config()
        config.update(merge_mode=self.merge_mode,
                      layer=serialization.serialize_layer(self.forward_layer),
                      backward_layer=serialization.serialize_layer(self.backward_layer))
        return config


class TimeDistributed(Layer):
    """Applies `layer` to every time step: (batch, time, ...) -> (batch, time, ...layer output).

    The steps are folded into the batch axis, so the wrapped layer runs once on
    (batch * time, ...). The wrapped layer is used itself (shared weights), held as `layer`.

    Example:
        >>> TimeDistributed(Dense(8))(np.zeros((2, 5, 3), 'float32')).shape
        (2, 5, 8)
    """

    def __init__(self, layer, **kwargs):
        layer = _deserialize(layer, "TimeDistributed")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        """Builds the wrapped layer on the per-step shape."""
        if self.built:
            return
        if input_shape is None or len(input_shape) < 3:
            raise ValueError(f"Layer '{self.name}' (TimeDistributed) expected input of shape "
                             f"(batch, time, ...) with at least 3 dimensions, got shape {input_shape}")
        if not self.layer.built:
            self.layer.build((None, *tuple(input_shape)[2:]))
            self.layer.built = True
        self.built = True

    def forward(self, x, training=None):
        """The wrapped layer on (batch * time, ...), reshaped back to (batch, time, ...)."""
        if x.ndim < 3:
            raise ValueError(f"Layer '{self.name}' (TimeDistributed) expected input of shape "
                             f"(batch, time, ...) with at least 3 dimensions, got shape {x.shape}")
        batch, steps = x.shape[:2]
        kw = {} if training is None else {"training": training}
        y = self.layer(ops.reshape(x, (batch * steps, *x.shape[2:])), **kw)
        return ops.reshape(y, (batch, steps, *y.shape[1:]))

    def compute_output_shape(self, input_shape):
        """(batch, time, *the wrapped layer's output shape per step)."""
        inner = self.layer.compute_output_shape((None, *tuple(input_shape)[2:]))
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization.serialize_layer(self.layer)
        return config

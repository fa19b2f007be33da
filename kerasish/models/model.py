"""Model: a Layer that can be trained (`Trainer`), summarized, saved and configured.

Two ways to make one, as in Keras:

- subclassing: assign layers (or lists/dicts of layers, or other models) as attributes in
  `__init__` and write `forward(x)` (or `call(x)`); the Layer base registers them in order;
- functional: `Model(inputs, outputs)` with tensors from `Input(...)`; `Model.__new__` then
  returns a `kerasish.models.functional.Functional`.
"""
import inspect
import json

import numpy as np

from kerasish._config import no_grad
from kerasish.layers.base import Layer, _is_symbolic
from kerasish.models.trainer import Trainer
from kerasish.tensor import Tensor


class NoSymbolicTensorsError(AttributeError, ValueError):
    """Raised by `model.inputs` / `model.outputs` when a model has no symbolic graph.

    Both an AttributeError (so `getattr(model, 'inputs', None)` works) and a ValueError (Keras).
    """


def _is_functional_call(args, kwargs):
    return len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs


class Model(Trainer, Layer):
    """A trainable stack of layers: subclass it, or call `Model(inputs, outputs)`.

    Args:
        name: model name (default 'model', 'model_1', ... or the snake-cased subclass name).
        trainable, dtype, device: as for `Layer`.

    Example (subclassing):
        >>> class MLP(Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = Dense(64, activation='relu')
        ...         self.out = Dense(10)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x))

    Example (functional):
        >>> inputs = Input(shape=(784,))
        >>> model = Model(inputs, Dense(10)(inputs))
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _is_functional_call(args, kwargs):
            from kerasish.models.functional import Functional
            cls = Functional
        obj = super().__new__(cls)
        object.__setattr__(obj, "_init_args", (args, kwargs))
        return obj

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            if not _is_functional_call(args, kwargs):
                raise TypeError(f"{type(self).__name__}.__init__() got an unexpected positional argument; "
                                "a subclassed model calls super().__init__(name=...) and defines forward(), "
                                "a functional one super().__init__(inputs, outputs)")
            # A subclass calling super().__init__(inputs, outputs) becomes functional (as in Keras).
            from kerasish.models.functional import Functional
            object.__setattr__(self, "__class__", _with_functional(type(self), Functional))
            Functional.__init__(self, *args, **kwargs)
            return
        super().__init__(**kwargs)
        object.__setattr__(self, "_seen_input_spec", None)

    # --- calling ---------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if args and not _is_symbolic(args[0]):
            if self.__dict__.get("_seen_input_spec") is None:
                object.__setattr__(self, "_seen_input_spec", input_spec_of(args[0]))
            if not self.built and getattr(type(self).build, "_lazy_model_build", False):
                # Sub-layers build themselves on this first call; a user-defined build() still runs.
                self.built = True
        return super().__call__(*args, **kwargs)

    def _cast_inputs(self, x):
        # A container leaves dtype and device to its layers: casting here could lose precision
        # (a float64 model fed through a float32 container) or move data twice.
        if isinstance(x, (list, tuple)):
            return type(x)(self._cast_inputs(v) for v in x)
        if isinstance(x, dict):
            return {k: self._cast_inputs(v) for k, v in x.items()}
        if x is None or isinstance(x, Tensor):
            return x
        arr = x if hasattr(x, "dtype") else np.asarray(x)
        return Tensor(arr, dtype=arr.dtype)

    def build(self, input_shape=None):
        """Builds the weights by running the model once on zeros of `input_shape` (batch axis may be None).

        Args:
            input_shape: a shape tuple such as `(None, 784)`, or a list/dict of them for several inputs.
        """
        if input_shape is None:
            self.built = True
            return
        dummy = dummy_from_spec(spec_from_shape(input_shape))
        was_built = self.built
        self.built = True  # a user build() calling super().build() must not run again on this call
        try:
            with no_grad():
                self(dummy, training=False)
        except BaseException:
            self.built = was_built
            raise
        object.__setattr__(self, "_build_input_shape", input_shape)

    build._lazy_model_build = True

    # --- structure ---------------------------------------------------------------------------
    def get_layer(self, name=None, index=None):
        """Returns a layer by `name` or by `index` (in `model.layers` order).

        Raises:
            ValueError: neither or both given, an unknown name, or an index out of range.
        """
        if (name is None) == (index is None):
            raise ValueError("get_layer needs exactly one of `name` or `index`, "
                             f"got name={name!r}, index={index!r}")
        layers = self.layers
        if index is not None:
            if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
                raise TypeError(f"get_layer index must be an int, got {type(index).__name__}")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked for the layer at index {index}, but model '{self.name}' "
                                 f"has only {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named '{name}' in model '{self.name}'. "
                         f"Existing layers are: {[layer.name for layer in layers]}")

    @property
    def inputs(self):
        """The symbolic input tensors (functional and built Sequential models)."""
        raise NoSymbolicTensorsError(
            f"Model '{self.name}' ({type(self).__name__}) has no symbolic inputs: a subclassed model is "
            "defined by its forward() code. Use Model(inputs, outputs) or Sequential for model.inputs.")

    @property
    def outputs(self):
        """The symbolic output tensors (functional and built Sequential models)."""
        raise NoSymbolicTensorsError(
            f"Model '{self.name}' ({type(self).__name__}) has no symbolic outputs: a subclassed model is "
            "defined by its forward() code. Use Model(inputs, outputs) or Sequential for model.outputs.")

    @property
    def input(self):
        """The symbolic input (one tensor, or the list/dict given to the model)."""
        return _unpack(self.inputs)

    @property
    def output(self):
        """The symbolic output (one tensor, or a list)."""
        return _unpack(self.outputs)

    @property
    def input_shape(self):
        """Shape of the input, batch axis None (a list of shapes for several inputs)."""
        return _unpack([t.shape for t in self.inputs])

    @property
    def output_shape(self):
        """Shape of the output, batch axis None (a list of shapes for several outputs)."""
        return _unpack([t.shape for t in self.outputs])

    # --- devices, summary, saving -----------------------------------------------------------------
    def set_device(self, device):
        """Moves weights, gradients and the optimizer's state to `device`; returns self."""
        super().set_device(device)
        try:
            optimizer = getattr(self, "optimizer", None)
        except Exception:  # a trainer property that is not ready yet
            optimizer = None
        if optimizer is not None and hasattr(optimizer, "set_device"):
            optimizer.set_device(device)
        return self

    to = set_device

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a table of the layers (name (type), output shape, parameter count) and the totals.

        Args:
            line_length: minimum width of the table.
            positions: right edges of the columns (fractions of line_length, or absolute).
            print_fn: called with the whole text (default `print`).
            show_trainable: adds a column saying whether each layer is trainable.
            expand_nested, layer_range: accepted for Keras compatibility; nested models are shown
                as one row and every layer is listed.
        """
        from kerasish.utils.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    def save_weights(self, filepath, **kwargs):
        """Writes the weights to an HDF5 file (see `kerasish.saving.save_weights`)."""
        from kerasish.saving import save_weights
        return save_weights(self, filepath, **kwargs)

    def load_weights(self, filepath, **kwargs):
        """Reads weights written by `save_weights` (or Keras); see `kerasish.saving.load_weights`."""
        from kerasish.saving import load_weights
        return load_weights(self, filepath, **kwargs)

    def save(self, filepath, **kwargs):
        """Saves the whole model (config, weights, optimizer state); see `kerasish.saving.save_model`."""
        from kerasish.saving import save_model
        return save_model(self, filepath, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as a JSON string; see `kerasish.saving.json_io.model_from_json`."""
        from kerasish.saving.json_io import model_to_json
        return model_to_json(self, **kwargs)

    # --- config ---------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments of a subclassed model, when they are plain JSON values.

        Override `get_config` (and `from_config` if needed) for models whose arguments are not.
        """
        if type(self).__init__ is Model.__init__:
            return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        args, kwargs = self.__dict__.get("_init_args", ((), {}))
        try:
            signature = inspect.signature(type(self).__init__)
            bound = signature.bind(None, *args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise NotImplementedError(f"{type(self).__name__}.get_config() could not read its constructor "
                                      f"arguments ({exc}); override get_config()") from None
        config = {}
        params = list(signature.parameters.values())[1:]
        for param in params:
            if param.name not in bound.arguments:
                continue
            value = bound.arguments[param.name]
            if param.kind is param.VAR_POSITIONAL:
                if value:
                    raise NotImplementedError(f"{type(self).__name__} takes *{param.name}; override "
                                              "get_config() to serialize it")
                continue
            if param.kind is param.VAR_KEYWORD:
                config.update(value)
            else:
                config[param.name] = value
        try:
            json.dumps(config)
        except (TypeError, ValueError):
            bad = [k for k, v in config.items() if not _jsonable(v)]
            raise NotImplementedError(f"{type(self).__name__}.get_config(): constructor arguments {bad} are "
                                      "not plain JSON values; override get_config() and from_config()") from None
        accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
        if "name" in signature.parameters or accepts_kwargs:
            config.setdefault("name", self.name)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a model from `get_config()`'s output."""
        config = dict(config)
        if "input_layers" in config and "output_layers" in config:
            from kerasish.models.functional import Functional
            return Functional.from_config(config, custom_objects)
        try:
            return cls(**config)
        except TypeError as exc:
            raise TypeError(f"Could not rebuild {cls.__name__} from its config {sorted(config)}: {exc}. "
                            "Make get_config() return every constructor argument, or override "
                            "from_config().") from exc

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


BaseModel = Model


_FUNCTIONAL_CLASSES = {}


def _with_functional(cls, functional):
    """`cls` with Functional mixed in after it (made once per class)."""
    if issubclass(cls, functional):
        return cls
    if cls not in _FUNCTIONAL_CLASSES:
        _FUNCTIONAL_CLASSES[cls] = type(cls.__name__, (cls, functional),
                                        {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
    return _FUNCTIONAL_CLASSES[cls]


def infer_device(model):
    """The device of the model's first weight (a container follows its layers), else its own."""
    for _, weight, _ in model._named_weights():
        return weight.device
    return model.device


def _jsonable(value):
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def _unpack(items):
    if isinstance(items, (list, tuple)) and len(items) == 1:
        return items[0]
    return items


# --- input specs: remember what a model was called with, to rebuild zeros of that shape ----------
class InputSpecRecord:
    """Shape (batch axis included) and dtype of one input seen by a model."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), str(dtype)


def input_spec_of(x):
    """The structure of `InputSpecRecord`s matching the data structure `x`."""
    if isinstance(x, (list, tuple)):
        return [input_spec_of(v) for v in x]
    if isinstance(x, dict):
        return {k: input_spec_of(v) for k, v in x.items()}
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return InputSpecRecord(x.shape, np.dtype(x.dtype).name)
    arr = np.asarray(x)
    return InputSpecRecord(arr.shape, arr.dtype.name)


def spec_from_shape(shape):
    """Turns a shape tuple (or a list/dict of them) into `InputSpecRecord`s of dtype floatx."""
    from kerasish import backend
    if isinstance(shape, dict):
        return {k: spec_from_shape(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(d is None or isinstance(d, (int, np.integer))
                                                           for d in shape):
        return InputSpecRecord(shape, backend.floatx())
    if isinstance(shape, (list, tuple)) and shape:
        return [spec_from_shape(s) for s in shape]
    raise ValueError(f"Expected an input shape such as (None, 784) or a list of shapes, got {shape!r}")


def dummy_from_spec(spec, fill=16):
    """Zeros matching `spec`: batch axis 1, other unknown sizes `fill`."""
    if isinstance(spec, list):
        return [dummy_from_spec(s, fill) for s in spec]
    if isinstance(spec, dict):
        return {k: dummy_from_spec(v, fill) for k, v in spec.items()}
    shape = [(1 if i == 0 else fill) if d is None else int(d) for i, d in enumerate(spec.shape)]
    if shape:
        shape[0] = 1
    return np.zeros(shape, dtype=spec.dtype)

"""Layer: the base of every layer and model.

A layer holds weights (Tensors) and sub-layers, registered in order by assignment
(`self.dense = Dense(10)`, `self.blocks = [..]`), builds its weights lazily from the
first input's shape (`build(input_shape)` + `add_weight`), and runs `forward(x)`
(the seed's name; Keras's `call(x)` works too). `layer(x)` casts `x` to the layer's
device and dtype, builds, checks the input spec, then calls forward.
"""
import re
from collections import OrderedDict

import numpy as np

from kerasish import backend
from kerasish.tensor import Tensor

_NAME_COUNTS = {}
# Built-in layer classes by class name (filled by Layer.__init_subclass__); used to rebuild
# layers from configs without evaluating anything found in a file.
LAYER_REGISTRY = {}

# [depth of nested Layer calls, id of the current outermost call, training flag given to the
# nearest enclosing call or None]; add_loss losses live one pass; the flag reaches inner layers'
# `call(x, training=...)` as in Keras.
_CALLS = [0, 0, None]


def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """'dense', then 'dense_1', 'dense_2', ... (Keras style)."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Resets automatic layer names (the next Dense is 'dense' again)."""
    _NAME_COUNTS.clear()


class InputSpec:
    """What a layer accepts: `ndim`, `min_ndim` and fixed sizes on some `axes` ({axis: size})."""

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer, shape):
        """Raises ValueError naming the layer, the expected and the actual shape."""
        bad = (self.ndim is not None and len(shape) != self.ndim) or (
            self.min_ndim is not None and len(shape) < self.min_ndim)
        if not bad:
            for axis, size in self.axes.items():
                if size is not None and (abs(axis) > len(shape) if axis < 0 else axis >= len(shape)):
                    bad = True
                elif size is not None and shape[axis] is not None and shape[axis] != size:
                    bad = True
        if bad:
            raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) expected input of shape "
                             f"{self.describe()}, got shape {tuple(shape)}")

    def describe(self):
        """A readable pattern such as (..., 784)."""
        ndim = self.ndim or max([self.min_ndim or 0] + [a + 1 if a >= 0 else -a for a in self.axes])
        dims = ["None"] * ndim
        for axis, size in self.axes.items():
            if size is not None and -ndim <= axis < ndim:
                dims[axis] = str(size)
        prefix = "..., " if self.ndim is None else ""
        return f"({prefix}{', '.join(dims)})"


def _is_symbolic(x):
    if isinstance(x, (list, tuple)):
        return any(_is_symbolic(v) for v in x)
    if isinstance(x, dict):
        return any(_is_symbolic(v) for v in x.values())
    return getattr(x, "_keras_history", None) is not None



class ParameterList(list):
    """A list of parameter Tensors; calling it returns itself (PyTorch's `model.parameters()`)."""

    def __call__(self):
        return self

class Layer:
    """Base class of layers and models.

    Args:
        name: unique name (default from the class name: 'dense', 'dense_1', ...).
        trainable: whether its weights are updated by training.
        dtype: weight and compute dtype (default `floatx()`).
        device: 'cpu' or 'cuda[:N]'.
        input_shape / input_dim: Keras-style first-layer shape hint (without the batch axis).

    Subclasses implement `forward(x)` (or `call(x)`), and `build(input_shape)` creating
    weights with `add_weight`, or create weights in `__init__` when sizes are known.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("kerasish.") and not cls.__name__.startswith("_"):
            LAYER_REGISTRY.setdefault(cls.__name__, cls)

    def __init__(self, name=None, trainable=True, dtype=None, device=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments: {sorted(kwargs)}")
        object.__setattr__(self, "_weights", OrderedDict())
        object.__setattr__(self, "_layers", OrderedDict())
        object.__setattr__(self, "_trainable_names", set())
        self.name = name or unique_name(_snake(type(self).__name__))
        from kerasish.mixed_precision.policy import Policy, global_policy
        if isinstance(dtype, dict):  # Keras 3 configs: {'class_name': 'DTypePolicy', 'config': {'name': ..}}
            dtype = dtype.get("config", {}).get("name", dtype.get("name"))
        policy = global_policy() if dtype is None else Policy(getattr(dtype, "name", dtype))
        self.dtype = policy.variable_dtype          # weights
        self.compute_dtype = policy.compute_dtype   # inputs, math and outputs
        self.device = backend.parse_device(device)
        self._trainable = bool(trainable)
        self.training = True
        self.built = False
        self.input_spec = None
        self._regularizers = []          # (weight_name, regularizer)
        self._activity_regularizer = None
        self._activity_losses = []
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._input_shape_hint = tuple(input_shape) if input_shape is not None else None

    # --- registration -----------------------------------------------------------------
    def __setattr__(self, key, value):
        if "_weights" not in self.__dict__:
            raise AttributeError(f"cannot assign '{key}' before {type(self).__name__}.__init__() "
                                 "called super().__init__()")
        layers = self._layers
        layers.pop(key, None)
        for k in [k for k in layers if k.startswith(key + ".")]:
            del layers[k]
        if isinstance(value, Layer):
            layers[key] = value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            for i, v in enumerate(value):
                layers[f"{key}.{i}"] = v
        elif isinstance(value, dict) and value and all(isinstance(v, Layer) for v in value.values()):
            for k, v in value.items():
                layers[f"{key}.{k}"] = v
        object.__setattr__(self, key, value)

    def __getattr__(self, name):
        # only reached when normal lookup fails
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):  # the property itself raised AttributeError: surface its message
            return prop.fget(self)
        if name in ("input_shape", "output_shape"):
            return _node_shapes(self, name[:-6])
        if name in ("input", "output"):
            raise AttributeError(
                f"Layer '{self.__dict__.get('name', type(self).__name__)}' has no {name} yet: it is set "
                "when the layer is called on symbolic tensors (from Input(...)) in a functional model, "
                "or when a Sequential that starts with an Input (or input_shape=) is built")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, key):
        self._layers.pop(key, None)
        self._weights.pop(key, None)
        object.__delattr__(self, key)

    def add_weight(self, shape=None, initializer="glorot_uniform", trainable=True, name=None,
                   regularizer=None, dtype=None, constraint=None):
        """Creates, registers and returns a weight Tensor (Keras's `add_weight`).

        Args:
            shape: tuple of ints.
            initializer: name, initializer object or callable `(shape, dtype) -> array`.
            trainable: trainable weights get gradients and appear in `parameters`.
            name: attribute-like name, unique within the layer ('kernel', 'bias', ...).
            regularizer: name or callable `weight -> scalar Tensor` added to `losses`.
        """
        from kerasish import initializers
        shape = tuple(int(n) for n in (shape or ()))
        name = name or f"weight_{len(self._weights)}"
        if name in self._weights:
            raise ValueError(f"Layer '{self.name}' already has a weight named '{name}'")
        dtype = backend.parse_dtype(dtype or self.dtype)
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype)
        value = backend.to_device(value.data if isinstance(value, Tensor) else value, self.device, dtype)
        weight = Tensor(value, dtype=dtype, device=self.device,
                        requires_grad=bool(trainable) and self._trainable and dtype.kind == "f")
        weight.name = name
        self._weights[name] = weight
        if trainable:
            self._trainable_names.add(name)
        if regularizer is not None:
            from kerasish import regularizers
            self._regularizers.append((name, regularizers.get(regularizer)))
        return weight

    # --- call ---------------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights from the input shape; the default creates none."""
        self.built = True

    def forward(self, x, *args, **kwargs):
        """Computes the output; subclasses implement this (or `call`)."""
        if type(self).call is not Layer.call:
            return self.call(x, *args, **kwargs)
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x) or call(x)")

    def call(self, x, *args, **kwargs):
        """Keras-style alias of `forward`."""
        return self.forward(x, *args, **kwargs)

    def __call__(self, x, *args, training=None, **kwargs):
        if _is_symbolic(x):
            from kerasish.models.functional import symbolic_call
            return symbolic_call(self, x, args, dict(kwargs, training=training))
        calls = _CALLS
        if calls[0] == 0:  # an outermost call: losses from add_loss in earlier passes expire
            calls[1] += 1
        calls[0] += 1
        try:
            if self.device == "cpu":
                return self._call(x, args, training, kwargs)
            with backend.device_scope(self.device):
                return self._call(x, args, training, kwargs)
        finally:
            calls[0] -= 1

    def _call(self, x, args, training, kwargs):
        x = self._cast_inputs(x)
        if not self.built:
            self.build(_shape_of(x))
            self.built = True
        if self.input_spec is not None and isinstance(x, Tensor):
            self.input_spec.check(self, x.shape)
        previous = self.training
        outer, explicit = _CALLS[2], training is not None
        if explicit:
            training = bool(training)
            self.set_training(training)
            _CALLS[2] = training
        elif outer is not None:
            training = outer  # the mode is already set by the enclosing call: only pass it on
        swapped = self._cast_weights_for_compute() if self.compute_dtype != self.dtype else ()
        try:
            if training is not None and _accepts_training(self):
                out = self.forward(x, *args, training=training, **kwargs)
            else:
                out = self.forward(x, *args, **kwargs)
        finally:
            for key, weight in swapped:
                _COMPUTE_CASTS.pop(id(self.__dict__.get(key)), None)
                object.__setattr__(self, key, weight)
            if explicit:
                self.set_training(previous)
                _CALLS[2] = outer
        if self._activity_regularizer is not None and isinstance(out, Tensor):
            self._activity_losses = [self._activity_regularizer(out)]
        return out

    def _cast_weights_for_compute(self):
        """Mixed precision: attributes holding float weights see compute-dtype casts during forward.

        The casts are differentiable, so gradients reach the float32 master weights.
        """
        own = {id(w): w for w in self._weights.values() if w.dtype.kind == "f"}
        swapped = []
        for key, value in list(self.__dict__.items()):
            if id(value) in own:
                swapped.append((key, value))
                cast = value.astype(self.compute_dtype)
                cast.__class__ = _ComputeCast
                _COMPUTE_CASTS[id(cast)] = value
                object.__setattr__(self, key, cast)
        return swapped

    def _cast_inputs(self, x):
        if isinstance(x, (list, tuple)):
            return type(x)(self._cast_inputs(v) for v in x)
        if isinstance(x, dict):
            return {k: self._cast_inputs(v) for k, v in x.items()}
        if isinstance(x, Tensor):
            if x.device != self.device:
                x = x.to(self.device)
            if x.dtype.kind == "f" and x.dtype != self.compute_dtype:
                x = x.astype(self.compute_dtype)
            return x
        if x is None:
            return x
        arr = np.asarray(x) if not hasattr(x, "dtype") else x
        dtype = self.compute_dtype if arr.dtype.kind == "f" else None
        return Tensor(arr, dtype=dtype, device=self.device)

    # --- weights --------------------------------------------------------------------------
    @property
    def trainable(self):
        """Whether this layer's weights are trained; setting it applies to sub-layers too."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for name, w in self._weights.items():
            if name in self._trainable_names:
                w.requires_grad = self._trainable
        for layer in self._layers.values():
            layer.trainable = value

    def _named_weights(self, prefix=""):
        """(dotted name, weight, trainable) for every weight, sub-layers first-seen order, no repeats."""
        seen = set()
        out = []
        self._collect(prefix, seen, out, self._trainable)
        return out

    def _collect(self, prefix, seen, out, trainable):
        for name, w in self._weights.items():
            if id(w) not in seen:
                seen.add(id(w))
                out.append((prefix + name, w, trainable and self._trainable and name in self._trainable_names))
        for key, layer in self._layers.items():
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layer._collect(f"{prefix}{key}.", seen, out, trainable and self._trainable)

    @property
    def parameters(self):
        """Trainable weight Tensors, for `SGD(model.parameters, ...)`.

        A list that may also be called, so PyTorch's `model.parameters()` gives the same list.
        """
        return ParameterList(w for _, w, t in self._named_weights() if t)

    @property
    def trainable_weights(self):
        """Trainable weights (a list of Tensors)."""
        return self.parameters

    @property
    def non_trainable_weights(self):
        """Non-trainable weights (frozen ones and statistics such as moving means)."""
        return [w for _, w, t in self._named_weights() if not t]

    @property
    def weights(self):
        """All weights, trainable first then non-trainable (Keras's order)."""
        return self.trainable_weights + self.non_trainable_weights

    # Keras's other names for the same lists.
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def layers(self):
        """Direct sub-layers, in registration order (no repeats)."""
        seen, out = set(), []
        for layer in self._layers.values():
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
        return out

    def children(self):
        """Direct sub-layers (PyTorch's name for `layers`)."""
        return self.layers

    def modules(self):
        """This layer and every nested sub-layer, depth first, no repeats (as PyTorch's `modules()`)."""
        seen, out, stack = set(), [], [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer.layers))
        return out

    def named_parameters(self):
        """(dotted name, Tensor) pairs of trainable weights."""
        return [(n, w) for n, w, t in self._named_weights() if t]

    def count_params(self):
        """Number of scalars in all weights."""
        if not self.built and not self._weights and not self._layers:
            raise ValueError(f"Layer '{self.name}' is not built yet: call it on an input first")
        return int(sum(w.size for w in self.weights))

    def get_weights(self):
        """Weights as a list of numpy arrays, in `weights` order."""
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, values):
        """Sets weights from numpy arrays in `weights` order; validates all before changing any."""
        weights = self.weights
        values = list(values)
        if len(values) != len(weights):
            raise ValueError(f"Layer '{self.name}' expects {len(weights)} weight arrays, got {len(values)}")
        problems = [f"weight {i} ({w.name}): expected shape {w.shape}, got {np.shape(v)}"
                    for i, (w, v) in enumerate(zip(weights, values)) if tuple(np.shape(v)) != w.shape]
        if problems:
            raise ValueError(f"set_weights on '{self.name}' changed nothing; mismatches:\n  " + "\n  ".join(problems))
        for w, v in zip(weights, values):
            _assign(w, v)

    def state_dict(self, prefix=""):
        """OrderedDict of dotted weight names to numpy arrays (copies)."""
        return OrderedDict((n, w.numpy().copy()) for n, w, _ in self._named_weights(prefix))

    def load_state_dict(self, state, strict=True):
        """Loads arrays by dotted name; checks everything before changing anything.

        Returns:
            (missing_keys, unexpected_keys); with strict=True either being non-empty raises.
        """
        own = OrderedDict((n, w) for n, w, _ in self._named_weights())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems = [f"{k}: expected shape {own[k].shape}, got {tuple(np.shape(state[k]))}"
                    for k in own if k in state and tuple(np.shape(state[k])) != own[k].shape]
        if strict and (missing or unexpected):
            if not own and not self.built:
                problems.insert(0, f"'{self.name}' has no weights yet: build it first by calling it on "
                                   "an input or with build(input_shape)")
            problems += [f"missing key: {k}" for k in missing] + [f"unexpected key: {k}" for k in unexpected]
        if problems:
            raise ValueError(f"load_state_dict into '{self.name}' changed nothing; problems:\n  "
                             + "\n  ".join(problems))
        for k, w in own.items():
            if k in state:
                _assign(w, state[k])
        return missing, unexpected

    def add_loss(self, loss):
        """Adds a scalar loss Tensor (e.g. a penalty computed in `call`) to `losses`.

        As in Keras, losses added while the model runs belong to that forward pass: the next
        outermost call starts afresh, and `fit` adds them to the compiled loss.
        """
        if self.__dict__.get("_added_losses_pass") != _CALLS[1]:
            object.__setattr__(self, "_added_losses", [])
            object.__setattr__(self, "_added_losses_pass", _CALLS[1])
        self._added_losses.append(loss)

    @property
    def losses(self):
        """Regularization penalties and `add_loss` losses (scalar Tensors) of this layer and its sub-layers."""
        out = [reg(self._weights[name]) for name, reg in self._regularizers] + list(self._activity_losses)
        if self.__dict__.get("_added_losses_pass") == _CALLS[1]:
            out.extend(self._added_losses)
        for layer in self.layers:
            out.extend(layer.losses)
        return out

    # --- modes and devices --------------------------------------------------------------------
    def set_training(self, mode=True):
        """Sets training mode here and in every sub-layer."""
        object.__setattr__(self, "training", mode)  # a plain flag: skip the registration bookkeeping
        for layer in self.layers:
            layer.set_training(mode)

    def train(self, mode=True):
        """Training mode (Dropout drops, BatchNormalization uses batch statistics); returns self."""
        self.set_training(bool(mode))
        return self

    def eval(self):
        """Inference mode; returns self."""
        return self.train(False)

    def zero_grad(self):
        """Clears the gradients of all weights."""
        for _, w, _ in self._named_weights():
            w.zero_grad()

    def set_device(self, device):
        """Moves weights and their gradients to `device` (in place); returns self."""
        device = backend.parse_device(device)
        self.device = device
        for w in self._weights.values():
            w.data = backend.to_device(w.data, device)
            if w._grad is not None:
                w._grad = backend.to_device(w._grad, device)
        for layer in self.layers:
            layer.set_device(device)
        return self

    to = set_device

    # --- config -------------------------------------------------------------------------------
    def get_config(self):
        """JSON-friendly constructor arguments (subclasses add their own)."""
        dtype = "mixed_float16" if self.compute_dtype != self.dtype else self.dtype
        config = {"name": self.name, "trainable": self._trainable, "dtype": dtype}
        if self._input_shape_hint is not None:
            config["input_shape"] = list(self._input_shape_hint)
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# id of a _ComputeCast -> the weight it was cast from (only while its layer's forward runs).
_COMPUTE_CASTS = {}


class _ComputeCast(Tensor):
    """A weight's compute-dtype copy seen in a mixed-precision forward: `assign*` also write the weight
    (as a Keras variable read under autocast), so state updated in `call` is kept."""
    __slots__ = ()

    def _write(self, method, value):
        weight = _COMPUTE_CASTS.get(id(self))
        if weight is not None:
            getattr(weight, method)(value)
        return getattr(Tensor, method)(self, value)

    def assign(self, value):
        return self._write("assign", value)

    def assign_add(self, value):
        return self._write("assign_add", value)

    def assign_sub(self, value):
        return self._write("assign_sub", value)


def _node_shapes(layer, which):
    """Keras 2's `layer.input_shape` / `layer.output_shape`: shapes seen in symbolic calls."""
    from kerasish.layers.input import KerasTensor, map_structure
    nodes = [n for n in layer.__dict__.get("_inbound_nodes") or () if n.input_tensors]
    if nodes:
        structs = [n.call_args[0] if which == "input" else n.outputs for n in nodes]
    else:  # an InputLayer or a model: its own symbolic inputs / outputs
        structs = [getattr(layer, which)]
    shapes = []
    for struct in structs:
        shape = map_structure(lambda t: t.shape, struct)
        shape = list(shape) if isinstance(shape, tuple) and not isinstance(struct, KerasTensor) else shape
        if shape not in shapes:
            shapes.append(shape)
    if len(shapes) > 1:
        raise AttributeError(f"Layer '{layer.name}' has been called on inputs of different shapes, so it has "
                             f"no single {which}_shape (it has {shapes}); ask one node's tensors instead")
    return shapes[0]


def _shape_of(x):
    if isinstance(x, (list, tuple)):
        return [_shape_of(v) for v in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return tuple(x.shape) if hasattr(x, "shape") else None


def _accepts_training(layer):
    import inspect
    cache = type(layer).__dict__.get("_accepts_training_cache")
    if cache is None:
        try:
            fn = layer.call if type(layer).forward is Layer.forward else layer.forward
            params = inspect.signature(fn).parameters
            cache = "training" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            cache = False
        type.__setattr__(type(layer), "_accepts_training_cache", cache)
    return cache


def _assign(weight, value):
    """Copies `value` into the weight's existing array (keeps optimizer references valid)."""
    weight.assign(np.asarray(value) if not hasattr(value, "shape") else value)


Base_Layer = Layer

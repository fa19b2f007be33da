"""Sequential: a plain stack of layers, each feeding the next."""
from kerasish.layers.base import Layer
from kerasish.layers.input import InputLayer, KerasTensor, flatten
from kerasish.models.model import Model, NoSymbolicTensorsError, infer_device
from kerasish.tensor import Tensor


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: list of layers (an `Input(shape=...)` may come first, as in Keras).
        name: model name.
        device: moves every layer (and layers added later) to this device.

    Weights are named by position: `'0.kernel'`, `'0.bias'`, `'2.kernel'` ..., so two models
    with the same architecture exchange `state_dict()`s. When the input shape is known (an
    `Input`, a first layer's `input_shape=`/`input_dim=`, `build()`, or a first call) the model
    has symbolic `inputs`/`outputs` and `summary()` shows every output shape.

    Example:
        >>> model = Sequential([
        ...     Dense(784, 128, initialization='xavier', device='cpu', dtype=np.float32),
        ...     ReLU(),
        ...     Dense(128, 10, initialization='xavier', device='cpu', dtype=np.float32)
        ... ], device='cpu')
        >>> output = model(input_tensor)
    """

    def __init__(self, layers=None, name=None, device=None, trainable=True, dtype=None, **kwargs):
        super().__init__(name=name, trainable=trainable, dtype=dtype, device=device, **kwargs)
        object.__setattr__(self, "_input_layer", None)  # not registered: no weights, not in `layers`
        object.__setattr__(self, "_chain", [])           # symbolic output after each layer
        object.__setattr__(self, "_device_given", device is not None)
        if layers is None:
            layers = []
        if isinstance(layers, (Layer, KerasTensor)):
            layers = [layers]
        if not isinstance(layers, (list, tuple)):
            raise TypeError(f"Sequential expects a list of layers, got {type(layers).__name__}")
        for layer in layers:
            self.add(layer)
        if device is None:
            self.device = infer_device(self)

    # --- the stack ------------------------------------------------------------------------------

    def add(self, layer):
        """Appends a layer (or, first of all, an `Input(shape=...)`).

        Raises:
            TypeError: `layer` is not a Layer.
            ValueError: an Input added after other layers, or a layer that cannot take the
                previous layer's output shape (the layer is then not added).
        """
        if isinstance(layer, KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history.layer, InputLayer):
                raise ValueError("Only an Input(...) tensor can be added to a Sequential model; for other "
                                 "symbolic tensors use the functional API Model(inputs, outputs)")
            layer = history.layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError(f"An Input can only be the first element of Sequential model '{self.name}', "
                                 f"which already has {'an input' if self._input_layer else 'layers'}")
            object.__setattr__(self, "_input_layer", layer)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Only Layer instances can be added to a Sequential model, got "
                            f"{type(layer).__name__}: {layer!r:.80}")
        if self._device_given and layer.device != self.device:
            layer.set_device(self.device)
        hint = getattr(layer, "_input_shape_hint", None)
        if not self._layers and self._input_layer is None and hint is not None:
            object.__setattr__(self, "_input_layer", InputLayer(shape=hint))
        key = str(len(self._layers))
        self._layers[key] = layer
        if self._batch_input_shape() is not None:
            try:
                self._ensure_graph()
            except Exception:
                del self._layers[key]
                raise
        else:
            self.built = False

    def pop(self):
        """Removes and returns the last layer."""
        if not self._layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers to pop")
        key = next(reversed(self._layers))
        layer = self._layers.pop(key)
        del self._chain[len(self._layers):]
        return layer

    def __call__(self, *args, **kwargs):
        out = super().__call__(*args, **kwargs)
        if len(self._chain) < len(self._layers) and not self.__dict__.get("_graph_failed"):
            # Built by data: record the graph once, so `layer.output` works as after Input(...).
            try:
                self._ensure_graph()
            except Exception:  # a layer that cannot run on symbolic inputs: no graph, as before
                object.__setattr__(self, "_graph_failed", True)
        return out

    def forward(self, x):
        """Runs the layers in order."""
        if not self._layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers; add some with model.add(layer)")
        if isinstance(x, dict):
            raise TypeError(f"Sequential model '{self.name}' takes one input array, but it received a dict "
                            f"with keys {sorted(x)}; pass the array itself, or use the functional API with "
                            "named Inputs (Model(inputs={name: Input(...)}, outputs=...)) for dict inputs")
        if isinstance(x, (list, tuple)) and self._input_layer is not None:
            if len(x) != 1:
                raise ValueError(f"Sequential model '{self.name}' expects 1 input, but it received {len(x)} "
                                 f"input arrays (a {type(x).__name__}); for several inputs use the functional "
                                 "API, Model(inputs=[...], outputs=...)")
            x = x[0]
        if self._input_layer is not None and hasattr(x, "shape"):
            # Keras's one-axis leniency, as in functional models: (N,) feeds Input(shape=(1,)).
            expected = self._input_layer.batch_shape
            if len(x.shape) == len(expected) - 1 and expected[-1] == 1:
                x = (x if isinstance(x, Tensor) else Tensor(x)).expand_dims(-1)
        for layer in self._layers.values():
            x = layer(x)
        return x

    def set_device(self, device):
        """Moves every layer (and those added later) and the optimizer state to `device`; returns self."""
        super().set_device(device)
        object.__setattr__(self, "_device_given", True)
        return self

    to = set_device

    # --- shapes and the symbolic graph ------------------------------------------------------------
    def _batch_input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        spec = self.__dict__.get("_seen_input_spec")
        if spec is not None and hasattr(spec, "shape") and spec.shape:
            return (None,) + tuple(spec.shape[1:])
        return None

    def _seen_dtype(self):
        """dtype of the data the model was first called on; None (floatx) for float data."""
        spec = self.__dict__.get("_seen_input_spec")
        dtype = getattr(spec, "dtype", None)
        return None if dtype is None or dtype.startswith("float") else dtype

    def _ensure_graph(self):
        """Calls the layers not yet in the symbolic chain on it; False when the input shape is unknown."""
        shape = self._batch_input_shape()
        if shape is None or not self._layers:
            return False
        if self._input_layer is None:
            object.__setattr__(self, "_input_layer", InputLayer(batch_shape=shape, dtype=self._seen_dtype()))
        layers = list(self._layers.values())
        x = self._chain[-1] if self._chain else self._input_layer.output
        for layer in layers[len(self._chain):]:
            x = layer(x)
            self._chain.append(x)
        self.built = True
        return True

    def build(self, input_shape=None):
        """Builds the layers for inputs of `input_shape` (batch axis included, e.g. `(None, 784)`)."""
        if input_shape is not None and self._input_layer is None:
            shape = tuple(input_shape)
            if not shape:
                raise ValueError("Sequential.build needs an input shape with a batch axis, e.g. (None, 784)")
            object.__setattr__(self, "_input_layer", InputLayer(batch_shape=(None,) + shape[1:]))
            object.__setattr__(self, "_build_input_shape", (None,) + shape[1:])
        if not self._ensure_graph():
            if not self._layers:
                raise ValueError(f"Sequential model '{self.name}' cannot be built: it has no layers")
            raise ValueError(f"Sequential model '{self.name}' cannot be built without an input shape: "
                             "call build((None, ...)), start it with Input(shape=...), or call it on data")

    build._lazy_model_build = True

    def _symbolic(self, what):
        if not self._ensure_graph():
            raise NoSymbolicTensorsError(
                f"Sequential model '{self.name}' has no defined {what} yet: start it with Input(shape=...), "
                "give the first layer input_shape=, call build((None, ...)) or call it on data")

    @property
    def inputs(self):
        """The symbolic input, as a one-element list."""
        self._symbolic("inputs")
        return [self._input_layer.output]

    @property
    def outputs(self):
        """The symbolic output(s) of the last layer, as a list."""
        self._symbolic("outputs")
        return flatten(self._chain[-1])

    @property
    def input_names(self):
        """Name of the input."""
        return [self._input_layer.name] if self._input_layer is not None else ["input"]

    @property
    def output_names(self):
        """Name of the layer producing the output."""
        return [self.layers[-1].name] if self._layers else []

    # --- config ------------------------------------------------------------------------------------
    def get_config(self):
        """{'name', 'trainable', 'dtype', 'layers': [serialized layers]} (an InputLayer first when known)."""
        from kerasish.saving.serialization import serialize_layer
        layers = []
        shape = self._batch_input_shape()
        if shape is not None:
            if self._input_layer is not None:
                layers.append(serialize_layer(self._input_layer))
            else:
                layers.append({"class_name": "InputLayer", "module": InputLayer.__module__,
                               "config": {"batch_shape": list(shape), "dtype": self._seen_dtype()}})
        layers += [serialize_layer(layer) for layer in self._layers.values()]
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": layers}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the stack from `get_config()`'s output."""
        from kerasish.saving.serialization import deserialize_layer
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("A Sequential config needs a 'layers' list")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True), dtype=config.get("dtype"))
        for entry in config["layers"]:
            model.add(deserialize_layer(entry, custom_objects))
        return model

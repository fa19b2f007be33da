"""The functional API: layers called on symbolic tensors record a graph; `Functional` runs it.

`symbolic_call` is what `Layer.__call__` runs when its input is a KerasTensor: it builds the
layer by running it once on zeros (batch 1, under `no_grad`, inference mode) to learn the
output shapes, records a `Node` and returns new KerasTensors. `Functional(inputs, outputs)`
(what `Model(inputs, outputs)` returns) walks the nodes back from the outputs, orders them
topologically once, and at call time runs them on real Tensors in that order.
"""
import warnings
from collections import Counter

import numpy as np

from kerasish._config import no_grad
from kerasish.layers.input import (InputLayer, KerasTensor, Node, add_node, flatten,
                                   map_structure)
from kerasish.models.model import Model, _unpack, infer_device
from kerasish.tensor import Tensor

_TENSOR_KEY = "__keras_tensor__"


# --- recording ------------------------------------------------------------------------------
def _map_real(fn, struct):
    if isinstance(struct, Tensor):
        return fn(struct)
    if isinstance(struct, (list, tuple)):
        return type(struct)(_map_real(fn, v) for v in struct)
    if isinstance(struct, dict):
        return {k: _map_real(fn, v) for k, v in struct.items()}
    return struct


def _flatten_real(struct):
    out = []
    _map_real(out.append, struct)
    return out


def _run_on_zeros(layer, call_args, call_kwargs, fill):
    def zeros(t):
        shape = [(1 if i == 0 else fill) if d is None else d for i, d in enumerate(t.shape)]
        return np.zeros(shape, dtype=t.dtype)

    args = map_structure(zeros, call_args)
    kwargs = map_structure(zeros, call_kwargs)
    kwargs["training"] = False  # inference mode: no moving-statistics updates, no dropout
    saved = layer.__dict__.get("_activity_losses")
    try:
        with no_grad():
            return layer(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        if type(exc) not in (ValueError, TypeError):
            raise
        shapes = [t.shape for t in flatten(call_args)]
        raise type(exc)(f"{exc}\n(while calling layer '{layer.name}' ({type(layer).__name__}) on symbolic "
                        f"inputs of shape {_unpack(shapes)})") from exc
    finally:
        if saved is not None:
            object.__setattr__(layer, "_activity_losses", saved)


def symbolic_call(layer, x, args, kwargs):
    """Calls `layer` on KerasTensors: builds it, records a Node, returns symbolic outputs.

    Called by `Layer.__call__` when its first argument is symbolic.
    """
    call_kwargs = dict(kwargs)
    if call_kwargs.get("training", 0) is None:
        del call_kwargs["training"]
    call_args = (x,) + tuple(args)
    inputs = flatten((call_args, call_kwargs))
    out = _run_on_zeros(layer, call_args, call_kwargs, fill=16)
    flat = _flatten_real(out)
    if not flat:
        raise TypeError(f"Layer '{layer.name}' returned no Tensor when called on symbolic inputs "
                        f"(got {type(out).__name__})")
    shapes = [list(t.shape) for t in flat]
    if any(d is None for t in inputs for d in t.shape[1:]):
        # Unknown non-batch sizes: a second run shows which output sizes depend on them.
        for shape, t in zip(shapes, _flatten_real(_run_on_zeros(layer, call_args, call_kwargs, fill=32))):
            for i, (a, b) in enumerate(zip(shape, t.shape)):
                if a != b:
                    shape[i] = None
    if any(t.shape and t.shape[0] is None for t in inputs):
        for shape in shapes:
            if shape:
                shape[0] = None
    it = iter(zip(shapes, flat))
    outputs = _map_real(lambda _: KerasTensor(*_next_shape_dtype(it)), out)
    node = Node(layer, call_args, call_kwargs, outputs)
    index = add_node(layer, node)
    single = len(node.output_tensors) == 1
    for i, t in enumerate(node.output_tensors):
        t.name = layer.name if index == 0 and single else f"{layer.name}_{index}_{i}"
    if index == 0 and not isinstance(getattr(type(layer), "output", None), property):
        object.__setattr__(layer, "input", x)
        object.__setattr__(layer, "output", outputs)
    return outputs


def _next_shape_dtype(it):
    shape, t = next(it)
    return shape, str(t.dtype)


# --- the graph model --------------------------------------------------------------------------
def _node_of(t):
    history = t._keras_history
    return history.layer._inbound_nodes[history.node_index]


def _check_symbolic(struct, what):
    leaves = []

    def visit(item):
        if isinstance(item, (list, tuple)):
            for v in item:
                visit(v)
        elif isinstance(item, dict):
            for v in item.values():
                visit(v)
        else:
            leaves.append(item)

    visit(struct)
    if not leaves:
        raise ValueError(f"Model {what} must hold at least one tensor, got {struct!r}")
    for leaf in leaves:
        if not isinstance(leaf, KerasTensor) or leaf._keras_history is None:
            raise TypeError(f"Model {what} must be symbolic tensors from Input(...) and layer calls, "
                            f"got {type(leaf).__name__}: {leaf!r:.100}")


def _topological_nodes(inputs, outputs, model_name):
    """The nodes between `inputs` and `outputs`, each after the nodes it depends on."""
    input_ids = {id(t) for t in inputs}
    order, visited = [], set()
    stack = [(_node_of(t), False) for t in reversed(outputs) if id(t) not in input_ids]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for t in reversed(node.input_tensors):
            if id(t) in input_ids:
                continue
            parent = _node_of(t)
            if parent.is_input:
                names = [t.name for t in inputs]
                raise ValueError(f"Graph disconnected in model '{model_name}': layer '{node.layer.name}' "
                                 f"needs the value of input '{t.name}', which is not among the model's "
                                 f"inputs {names}. Pass every Input the outputs depend on to Model(inputs=...).")
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


class Functional(Model):
    """A model defined by a graph of layer calls: `Model(inputs, outputs)`.

    Args:
        inputs: a KerasTensor from `Input(...)`, or a list/dict of them.
        outputs: KerasTensors computed from `inputs`, one or a list/dict of them.
        name: model name.

    Calling it accepts one array/Tensor (one input), a list/tuple in `inputs` order, or a dict by
    input name (or by the keys of a dict `inputs`). It returns one Tensor, or the list/dict
    structure of `outputs`.

    Example:
        >>> a, b = Input(shape=(8,), name='a'), Input(shape=(8,), name='b')
        >>> shared = Dense(4)
        >>> out = Concatenate()([shared(a), shared(b)])
        >>> model = Model([a, b], out)
        >>> model([xa, xb]).shape
        (32, 8)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, **kwargs)
        _check_symbolic(inputs, "inputs")
        _check_symbolic(outputs, "outputs")
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and isinstance(inputs[0], KerasTensor):
            inputs = inputs[0]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1 and isinstance(outputs[0], KerasTensor):
            outputs = outputs[0]
        flat_in, flat_out = flatten(inputs), flatten(outputs)
        if len({id(t) for t in flat_in}) != len(flat_in):
            raise ValueError(f"Model '{self.name}' got the same input tensor twice: {[t.name for t in flat_in]}")
        nodes = _topological_nodes(flat_in, flat_out, self.name)
        object.__setattr__(self, "_inputs_struct", inputs)
        object.__setattr__(self, "_outputs_struct", outputs)
        object.__setattr__(self, "_input_tensors", flat_in)
        object.__setattr__(self, "_output_tensors", flat_out)
        object.__setattr__(self, "_nodes", nodes)
        object.__setattr__(self, "_release", self._release_schedule(nodes, flat_out))
        layers = [t._keras_history.layer for t in flat_in if isinstance(t._keras_history.layer, InputLayer)]
        layers += [node.layer for node in nodes]
        for layer in layers:
            known = self._layers.get(layer.name)
            if known is not None and known is not layer:
                raise ValueError(f"All layer names in model '{self.name}' must be unique; '{layer.name}' names "
                                 "two different layers. Pass name= to one of them.")
            self._layers[layer.name] = layer
        self.built = True
        if kwargs.get("device") is None:
            self.device = infer_device(self)
        if not trainable:
            self.trainable = False

    @staticmethod
    def _release_schedule(nodes, outputs):
        """For each node, the ids of tensor values no later node needs (freed during the run)."""
        keep = {id(t) for t in outputs}
        last = {}
        for i, node in enumerate(nodes):
            for t in node.input_tensors:
                last[id(t)] = i
        schedule = [[] for _ in nodes]
        for tid, i in last.items():
            if tid not in keep:
                schedule[i].append(tid)
        return schedule

    # --- symbolic structure --------------------------------------------------------------------
    @property
    def inputs(self):
        """The input KerasTensors, as a list."""
        return list(self._input_tensors)

    @property
    def outputs(self):
        """The output KerasTensors, as a list."""
        return list(self._output_tensors)

    @property
    def input(self):
        """The inputs as given to the model (one tensor, a list or a dict)."""
        return self._inputs_struct

    @property
    def output(self):
        """The outputs as given to the model (one tensor, a list or a dict)."""
        return self._outputs_struct

    @property
    def input_names(self):
        """Names by which a dict of data is matched to the inputs."""
        if isinstance(self._inputs_struct, dict):
            return list(self._inputs_struct)
        return [_tensor_name(t) for t in self._input_tensors]

    @property
    def output_names(self):
        """Names of the outputs: the dict keys, or the names of the layers producing them."""
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history.layer.name for t in self._output_tensors]

    # --- running --------------------------------------------------------------------------------
    def _standardize_inputs(self, inputs):
        expected = self._input_tensors
        n = len(expected)
        if isinstance(inputs, dict):
            keys = self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {keys}; missing {missing} "
                                 f"(got keys {list(inputs)})")
            extra = [k for k in inputs if k not in keys]
            if extra:
                warnings.warn(f"Model '{self.name}' ignores input keys {extra}; its inputs are {keys}",
                              stacklevel=3)
            if isinstance(self._inputs_struct, dict):
                flat = flatten(map_structure(lambda t: t, self._inputs_struct))
                values = [inputs[k] for k in self._inputs_struct]
                order = {id(t): v for t, v in zip(flat, values)}
                return [order[id(t)] for t in expected]
            return [inputs[k] for k in keys]
        if isinstance(inputs, (list, tuple)):
            if len(inputs) == n:
                return list(inputs)
            if n == 1 and not any(isinstance(v, Tensor) or hasattr(v, "shape") for v in inputs):
                return [inputs]  # nested Python lists of numbers: one input
            raise ValueError(f"Model '{self.name}' expects {n} input(s) {self.input_names}, but it received "
                             f"{len(inputs)} input tensors")
        if n != 1:
            raise ValueError(f"Model '{self.name}' expects {n} inputs {self.input_names}, but it received "
                             "1 input tensor; pass a list or a dict by input name")
        return [inputs]

    def _prepare(self, value, spec):
        if not isinstance(value, Tensor):
            value = Tensor(value, dtype=spec.dtype if _is_float(spec.dtype) else None)
        elif _is_float(spec.dtype) and value.dtype.kind in "fiub" and value.dtype.name != spec.dtype:
            value = value.astype(spec.dtype)
        shape = value.shape
        # Keras's one-axis leniency: (N,) feeds Input(shape=(1,)) and (N, 1) feeds Input(shape=()).
        if len(shape) == len(spec.shape) - 1 and spec.shape[-1] == 1:
            value = value.expand_dims(-1)
        elif len(shape) == len(spec.shape) + 1 and shape and shape[-1] == 1:
            value = value.squeeze(-1)
        shape = value.shape
        if len(shape) != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape, shape)):
            raise ValueError(f"Input '{_tensor_name(spec)}' of model '{self.name}' expects shape {spec.shape} "
                             f"(None = any size), got {tuple(shape)}")
        return value

    def forward(self, inputs):
        """Runs the recorded layer calls on real Tensors, in topological order."""
        flat = self._standardize_inputs(inputs)
        values = {id(t): self._prepare(v, t) for t, v in zip(self._input_tensors, flat)}

        def get(t):
            return values[id(t)]

        for node, release in zip(self._nodes, self._release):
            args = map_structure(get, node.call_args)
            kwargs = map_structure(get, node.call_kwargs)
            out = node.layer(*args, **kwargs)
            real = _flatten_real(out)
            if len(real) != len(node.output_tensors):
                raise ValueError(f"Layer '{node.layer.name}' returned {len(real)} tensors, but returned "
                                 f"{len(node.output_tensors)} when the model was built")
            for t, v in zip(node.output_tensors, real):
                values[id(t)] = v
            for tid in release:
                values.pop(tid, None)
        return map_structure(get, self._outputs_struct)

    # --- config --------------------------------------------------------------------------------
    def _model_nodes(self):
        """Per layer (by id), this model's nodes of that layer in creation order."""
        per_layer = {}
        for t in self._input_tensors:
            layer = t._keras_history.layer
            if isinstance(layer, InputLayer):
                per_layer.setdefault(id(layer), []).append(layer._inbound_nodes[0])
        for node in self._nodes:
            per_layer.setdefault(id(node.layer), []).append(node)
        for nodes in per_layer.values():
            nodes.sort(key=lambda n: n.layer._inbound_nodes.index(n))
        return per_layer

    def get_config(self):
        """The graph as JSON-friendly data: each layer's config and the calls made on it."""
        from kerasish.saving.serialization import serialize_layer
        per_layer = self._model_nodes()
        local = {id(n): i for nodes in per_layer.values() for i, n in enumerate(nodes)}

        def encode(item):
            if isinstance(item, KerasTensor):
                history = item._keras_history
                node = history.layer._inbound_nodes[history.node_index]
                if id(node) not in local:
                    raise ValueError(f"Cannot serialize model '{self.name}': tensor '{item.name}' comes from "
                                     "outside the model (use Input() tensors as the model's inputs)")
                return {_TENSOR_KEY: [history.layer.name, local[id(node)], history.tensor_index]}
            if isinstance(item, (list, tuple)):
                return [encode(v) for v in item]
            if isinstance(item, dict):
                return {str(k): encode(v) for k, v in item.items()}
            if item is None or isinstance(item, (bool, int, float, str)):
                return item
            raise ValueError(f"Cannot serialize model '{self.name}': a layer call argument of type "
                             f"{type(item).__name__} is not JSON-friendly")

        layers = []
        for layer in self.layers:
            entry = serialize_layer(layer)
            entry["name"] = layer.name
            calls = [] if isinstance(layer, InputLayer) else per_layer.get(id(layer), [])
            entry["inbound_nodes"] = [{"args": encode(list(n.call_args)), "kwargs": encode(n.call_kwargs)}
                                      for n in calls]
            layers.append(entry)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": encode(self._inputs_struct), "output_layers": encode(self._outputs_struct)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the graph from `get_config()`'s output (new, unbuilt-weight layers)."""
        from kerasish.saving.serialization import deserialize_layer
        try:
            entries = config["layers"]
            order = [entry["name"] for entry in entries]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"A functional model config needs 'layers' with names, got keys "
                             f"{sorted(config) if isinstance(config, dict) else type(config).__name__}") from exc
        repeated = sorted(name for name, n in Counter(order).items() if n > 1)
        if repeated:
            raise ValueError(f"A functional model config names each layer once; repeated: {repeated}")
        layers = {}
        pending = {}
        made = {}  # layer name -> list of output structures, one per node made so far
        for entry in entries:
            layer = deserialize_layer(entry, custom_objects)
            layers[entry["name"]] = layer
            pending[entry["name"]] = list(entry.get("inbound_nodes") or [])
            made[entry["name"]] = [layer.output] if isinstance(layer, InputLayer) else []

        class _NotReady(Exception):
            pass

        def decode(item):
            if isinstance(item, dict) and set(item) == {_TENSOR_KEY}:
                name, node_index, tensor_index = item[_TENSOR_KEY]
                if name not in made:
                    raise ValueError(f"Model config refers to unknown layer '{name}'")
                if node_index >= len(made[name]):
                    raise _NotReady
                return flatten(made[name][node_index])[tensor_index]
            if isinstance(item, list):
                return [decode(v) for v in item]
            if isinstance(item, dict):
                return {k: decode(v) for k, v in item.items()}
            return item

        progress = True
        while progress and any(pending.values()):
            progress = False
            for name in order:
                while pending[name]:
                    call = pending[name][0]
                    try:
                        args = decode(call.get("args", []))
                        kwargs = decode(call.get("kwargs", {}))
                    except _NotReady:
                        break
                    made[name].append(layers[name](*args, **kwargs))
                    pending[name].pop(0)
                    progress = True
        stuck = [name for name in order if pending[name]]
        if stuck:
            raise ValueError(f"Could not rebuild the model graph: the inputs of layers {stuck} never became "
                             "available (a damaged config?)")
        try:
            inputs = decode(config["input_layers"])
            outputs = decode(config["output_layers"])
        except _NotReady:
            raise ValueError("Model config's input_layers/output_layers refer to missing layer calls") from None
        target = cls if issubclass(cls, Functional) else Functional
        return target(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _is_float(dtype):
    return np.dtype(dtype).kind == "f"


def _tensor_name(t):
    history = t._keras_history
    if history is not None and isinstance(history.layer, InputLayer):
        return history.layer.name
    return t.name

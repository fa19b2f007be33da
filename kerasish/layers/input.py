"""Symbolic tensors for the functional API: `Input`, `InputLayer`, `KerasTensor` and `Node`.

`Input(shape=...)` returns a `KerasTensor`: a placeholder with a shape (batch axis None), a
dtype and a `_keras_history` `(layer, node_index, tensor_index)` telling which layer call made
it. Calling a layer on KerasTensors records a `Node` on that layer and returns new KerasTensors
(see `kerasish.models.functional.symbolic_call`); `Model(inputs, outputs)` walks the nodes back.
"""
from collections import namedtuple

import numpy as np

from kerasish import backend
from kerasish.layers.base import Layer
from kerasish.ops.symbolic import SymbolicTensor

KerasHistory = namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


class KerasTensor(SymbolicTensor):
    """A symbolic tensor: shape and dtype only, no data.

    Arithmetic (`+ - * / ** -x`, with numbers or other KerasTensors), basic slicing
    (`t[:, :2]`, `t[..., 0]`) and `kerasish.ops` functions on it add layer calls to the graph.

    Args:
        shape: tuple with None for unknown sizes (the batch axis is usually None).
        dtype: dtype name.
        name: a readable name.
    """

    def __init__(self, shape, dtype=None, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = backend.parse_dtype(dtype).name if dtype is not None else backend.floatx()
        self.name = name
        self._keras_history = None

    @property
    def ndim(self):
        """Number of dimensions."""
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def _no_data(self, *args, **kwargs):
        raise TypeError(f"KerasTensor '{self.name}' is symbolic (shape {self.shape}) and holds no data. "
                        "Build a Model(inputs, outputs) and call it on real data instead.")

    __array__ = numpy = __len__ = __iter__ = _no_data

    __array_ufunc__ = None  # numpy scalars defer to our reflected operators (np.float64(2) * t)

    def _binary(self, other, op, merge_cls=None, reverse=False):
        if merge_cls is not None and isinstance(other, KerasTensor):
            from kerasish.layers import merge  # two tensors: the Keras merge layer (Add, Subtract, ...)
            dtype = self.dtype if np.dtype(self.dtype).kind == "f" else None  # float64 graphs stay float64
            return getattr(merge, merge_cls)(dtype=dtype)([other, self] if reverse else [self, other])
        from kerasish.layers.symbolic_ops import symbolic_op
        return symbolic_op(op, other, self) if reverse else symbolic_op(op, self, other)

    def __add__(self, other):
        return self._binary(other, "add", "Add")

    def __sub__(self, other):
        return self._binary(other, "sub", "Subtract")

    def __mul__(self, other):
        return self._binary(other, "mul", "Multiply")

    def __truediv__(self, other):
        return self._binary(other, "div")

    def __pow__(self, other):
        return self._binary(other, "pow")

    def __radd__(self, other):
        return self._binary(other, "add", "Add", reverse=True)

    def __rsub__(self, other):
        return self._binary(other, "sub", "Subtract", reverse=True)

    def __rmul__(self, other):
        return self._binary(other, "mul", "Multiply", reverse=True)

    def __rtruediv__(self, other):
        return self._binary(other, "div", reverse=True)

    def __rpow__(self, other):
        return self._binary(other, "pow", reverse=True)

    def __neg__(self):
        from kerasish.layers.symbolic_ops import symbolic_op
        return symbolic_op("neg", self)

    def __getitem__(self, index):
        from kerasish.layers.symbolic_ops import symbolic_getitem
        return symbolic_getitem(self, index)

    __hash__ = object.__hash__


class Node:
    """One call of a layer inside a functional graph.

    Args:
        layer: the layer called.
        call_args: the positional arguments of the call (the first is the input structure).
        call_kwargs: keyword arguments (KerasTensors may appear in either).
        outputs: the structure of KerasTensors the call returned.
    """

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.input_tensors = flatten((self.call_args, self.call_kwargs))
        self.output_tensors = flatten(outputs)

    @property
    def is_input(self):
        """True for the node of an InputLayer (it has no inbound tensors)."""
        return not self.input_tensors

    @property
    def parent_nodes(self):
        """The nodes that produced this node's inputs."""
        return [t._keras_history.layer._inbound_nodes[t._keras_history.node_index]
                for t in self.input_tensors]


def flatten(struct):
    """The KerasTensors (or other leaves) in a nested list/tuple/dict, in order; None dropped."""
    out, stack = [], [struct]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, KerasTensor):
            out.append(item)
    return out


def map_structure(fn, struct):
    """Applies `fn` to every KerasTensor in a nested list/tuple/dict; other leaves are kept."""
    if isinstance(struct, KerasTensor):
        return fn(struct)
    if isinstance(struct, (list, tuple)):
        return type(struct)(map_structure(fn, v) for v in struct)
    if isinstance(struct, dict):
        return {k: map_structure(fn, v) for k, v in struct.items()}
    return struct


def add_node(layer, node):
    """Appends `node` to `layer`'s inbound nodes, stamps the outputs' history and returns its index."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(layer, "_inbound_nodes", nodes)
    nodes.append(node)
    index = len(nodes) - 1
    for i, t in enumerate(node.output_tensors):
        t._keras_history = KerasHistory(layer, index, i)
    return index


def _standardize_shape(shape, what="shape"):
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (list, tuple)):
        raise TypeError(f"{what} must be a tuple of ints (None for unknown sizes), got {shape!r}")
    out = []
    for d in shape:
        if d is not None and (not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 0):
            raise ValueError(f"{what} must hold non-negative ints or None, got {tuple(shape)!r}")
        out.append(None if d is None else int(d))
    return tuple(out)


class InputLayer(Layer):
    """The layer behind `Input`: it holds the placeholder a functional graph starts from.

    Args:
        shape: shape of one sample (without the batch axis), e.g. `(28, 28, 1)`.
        batch_size: fixed batch size, or None (any).
        dtype: dtype of the data fed in (default `floatx()`; 'int32' for token ids).
        name: layer name (default 'input_layer', 'input_layer_1', ...).
        batch_shape: full shape including the batch axis (instead of `shape` + `batch_size`).
        input_shape: Keras 2 spelling of `shape`.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None,
                 input_shape=None, sparse=None, **kwargs):
        if sparse:
            raise ValueError("sparse inputs are not supported")
        shape = shape if shape is not None else input_shape
        if batch_shape is not None:
            if shape is not None:
                raise ValueError("Give InputLayer either `shape` or `batch_shape`, not both")
            batch_shape = _standardize_shape(batch_shape, "batch_shape")
            if not batch_shape:
                raise ValueError("batch_shape needs at least the batch axis, got ()")
        else:
            if shape is None:
                raise ValueError("Input needs a `shape` (the shape of one sample, e.g. shape=(784,))")
            batch_shape = (batch_size,) + _standardize_shape(shape)
        kwargs.pop("trainable", None)
        dtype = backend.parse_dtype(dtype).name if dtype is not None else backend.floatx()
        super().__init__(name=name, dtype=dtype if np.dtype(dtype).kind == "f" else None, **kwargs)
        self.input_dtype = dtype
        self.batch_shape = batch_shape
        self.built = True
        tensor = KerasTensor(batch_shape, dtype=dtype, name=self.name)
        add_node(self, Node(self, outputs=tensor))
        object.__setattr__(self, "input", tensor)
        object.__setattr__(self, "output", tensor)

    @property
    def shape(self):
        """The full input shape, batch axis included."""
        return self.batch_shape

    def forward(self, x):
        return x

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.input_dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, tensor=None,
          sparse=None):
    """Starts a functional graph (or opens a Sequential): returns a symbolic `KerasTensor`.

    Args:
        shape: shape of one sample, without the batch axis, e.g. `(28, 28, 1)`; None for any size.
        batch_size: fixed batch size, or None.
        dtype: dtype of the data (default `floatx()`).
        name: name of the input (used to feed a dict of inputs to the model).
        batch_shape: full shape including the batch axis, instead of `shape`.

    Returns:
        A KerasTensor with `.shape == (batch_size,) + shape`.

    Example:
        >>> inputs = Input(shape=(784,))
        >>> outputs = Dense(10)(Dense(64, activation='relu')(inputs))
        >>> model = Model(inputs, outputs)
    """
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported; pass shape= instead")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, sparse=sparse)
    return layer.output


from kerasish.layers import symbolic_ops  # noqa: E402,F401  (registers TensorOp for loading configs)

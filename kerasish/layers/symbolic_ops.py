"""Math on symbolic tensors: `inp * 2`, `inp[:, :2]`, `ops.exp(inp)` inside functional graphs.

Each such expression is recorded as a call of an auto-created `TensorOp` layer, which applies a
named `kerasish.ops` function. Its config holds the op name and the non-tensor arguments as JSON
(slices and Ellipsis included), so models using it save, load and round-trip through configs.
"""
import numpy as np

from kerasish.layers.base import Layer, unique_name
from kerasish.tensor import Tensor

# The ops a TensorOp may apply (a config from a file can name nothing else).
OPS = ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu",
       "softmax", "sum", "mean", "max", "min", "concatenate", "getitem")

_INPUT, _SLICE, _ELLIPSIS = "__input__", "__slice__", "__ellipsis__"


def _encode(value, inputs):
    """`value` as JSON data; KerasTensors become {'__input__': i} and are appended to `inputs`."""
    from kerasish.layers.input import KerasTensor
    if isinstance(value, KerasTensor):
        inputs.append(value)
        return {_INPUT: len(inputs) - 1}
    if isinstance(value, (list, tuple)):
        return [_encode(v, inputs) for v in value]
    if isinstance(value, slice):
        return {_SLICE: [_encode(v, inputs) for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {_ELLIPSIS: True}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"Symbolic tensors combine only with other symbolic tensors, Python numbers, and "
                    f"(for indexing) ints, slices, Ellipsis and None; got {type(value).__name__}. "
                    "Wrap other math in a Lambda layer")


def _decode(value, inputs):
    """Inverse of `_encode`: lists become tuples (axes, indices), markers become their objects."""
    if isinstance(value, list):
        return tuple(_decode(v, inputs) for v in value)
    if isinstance(value, dict):
        if set(value) == {_INPUT}:
            return inputs[value[_INPUT]]
        if set(value) == {_SLICE}:
            return slice(*_decode(value[_SLICE], inputs))
        if set(value) == {_ELLIPSIS}:
            return Ellipsis
        raise ValueError(f"TensorOp: unexpected argument {value!r}")
    return value


class TensorOp(Layer):
    """A layer applying one `kerasish.ops` function; created by math on symbolic tensors.

    Args:
        op: the name of the function in `kerasish.ops` (one of `OPS`).
        args: positional arguments as JSON data; `{'__input__': i}` stands for the i-th tensor of
            the call's input list, `{'__slice__': [start, stop, step]}` for a slice and
            `{'__ellipsis__': True}` for `...`; lists are passed as tuples.
        kwargs: keyword arguments, encoded the same way.

    Called on a list of tensors. Inputs keep their dtype (no cast to the layer's dtype), as the
    op itself would.

    Example:
        >>> inp = Input(shape=(4,))
        >>> out = inp[:, :2] * 2          # two TensorOp layers: getitem, then mul
    """

    def __init__(self, op, args=(), kwargs=None, **layer_kwargs):
        if op not in OPS:
            raise ValueError(f"TensorOp: unknown op {op!r}; expected one of {list(OPS)}")
        if layer_kwargs.get("name") is None:
            layer_kwargs["name"] = unique_name(op)
        super().__init__(**layer_kwargs)
        self.op = op
        self.args = list(args)
        self.kwargs = dict(kwargs or {})

    def __call__(self, x, *args, **kwargs):
        if getattr(x, "_keras_history", None) is not None or any(
                getattr(t, "_keras_history", None) is not None for t in (x if isinstance(x, list) else ())):
            with np.errstate(all="ignore"):  # shape inference runs on zeros: log(0), 0 / 0 are fine here
                return super().__call__(x, *args, **kwargs)
        return super().__call__(x, *args, **kwargs)

    def _cast_inputs(self, x):
        if isinstance(x, (list, tuple)):
            return [self._cast_inputs(v) for v in x]
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=getattr(x, "dtype", None), device=self.device)
        return x if x.device == self.device else x.to(self.device)

    def forward(self, inputs):
        """`getattr(kerasish.ops, op)(*args, **kwargs)` with the input tensors filled in."""
        from kerasish import ops
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        args = _decode(self.args, inputs)
        kwargs = {k: _decode(v, inputs) for k, v in self.kwargs.items()}
        return getattr(ops, self.op)(*args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(op=self.op, args=self.args, kwargs=self.kwargs)
        return config


def symbolic_op(op, *args, **kwargs):
    """Records `kerasish.ops.<op>(*args, **kwargs)` on symbolic tensors; returns the KerasTensor.

    Used by KerasTensor's operators and by the `kerasish.ops` wrappers given KerasTensors.
    """
    inputs = []
    enc_args = _encode(list(args), inputs)
    enc_kwargs = {k: _encode(v, inputs) for k, v in kwargs.items()}
    return TensorOp(op, enc_args, enc_kwargs)(inputs)


def _basic_index_item(item):
    if isinstance(item, slice):
        return all(_basic_index_item(v) for v in (item.start, item.stop, item.step))
    return item is None or item is Ellipsis or (
        isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)))


def symbolic_getitem(tensor, index):
    """`tensor[index]` on a symbolic tensor; basic indexing only (ints, slices, Ellipsis, None)."""
    index = index if isinstance(index, tuple) else (index,)
    bad = [item for item in index if not _basic_index_item(item)]
    if bad:
        raise TypeError(f"Symbolic tensors support basic indexing only (ints, slices, Ellipsis, None), "
                        f"got {bad[0]!r:.60}; use a Lambda layer for other indexing")
    return symbolic_op("getitem", tensor, index)

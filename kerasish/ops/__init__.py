"""Differentiable functions on Tensors: the lowercase wrappers around each op class.

Each wrapper checks and converts its arguments, then calls `SomeOp.apply`. Python
scalars stay scalars (NumPy's weak scalar rule keeps float32 float32); arrays and
lists become Tensors on the other operand's device.
"""
import operator

import numpy as _np

from kerasish import _config, backend
from kerasish.function import Function as _Function
from kerasish.tensor import Tensor
from kerasish.ops import math as _m
from kerasish.ops import nn as _nn
from kerasish.ops import reduce as _r
from kerasish.ops import shape as _s
from kerasish.ops.symbolic import SymbolicTensor as _Symbolic, symbolic as _symbolic

_SCALARS = (int, float, bool)


def _operands(a, b):
    """Converts a binary op's operands: Tensors stay, scalars stay, arrays become Tensors.

    NumPy scalars (`np.sqrt(d)`, `np.float64(2)`) become Python scalars, so they keep a
    float32 tensor float32 as PyTorch does, instead of promoting it to float64.
    """
    if isinstance(b, _np.generic):
        b = b.item()
    if isinstance(a, _np.generic):
        a = a.item()
    if isinstance(a, Tensor):
        if not isinstance(b, (Tensor, *_SCALARS)):
            b = Tensor(b, device=a.device)
    elif isinstance(b, Tensor):
        if not isinstance(a, _SCALARS):
            a = Tensor(a, device=b.device)
    else:
        a = Tensor(a)
        if not isinstance(b, _SCALARS):
            b = Tensor(b, device=a.device)
    return a, b


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# --- elementwise ----------------------------------------------------------------------
def add(a, b):
    """a + b with broadcasting."""
    return _m.Add.apply(*_operands(a, b))


def sub(a, b):
    """a - b with broadcasting."""
    return _m.Sub.apply(*_operands(a, b))


def mul(a, b):
    """a * b with broadcasting."""
    return _m.Mul.apply(*_operands(a, b))


def div(a, b):
    """a / b with broadcasting."""
    return _m.Div.apply(*_operands(a, b))


def pow(a, b):
    """a ** b with broadcasting."""
    return _m.Pow.apply(*_operands(a, b))


def neg(x):
    """-x."""
    return _m.Neg.apply(_tensor(x))


def exp(x):
    """Elementwise e**x."""
    if isinstance(x, _Symbolic):
        return _symbolic("exp", x)
    return _m.Exp.apply(_tensor(x))


def log(x):
    """Elementwise natural logarithm."""
    if isinstance(x, _Symbolic):
        return _symbolic("log", x)
    return _m.Log.apply(_tensor(x))


def sqrt(x):
    """Elementwise square root."""
    return _m.Sqrt.apply(_tensor(x))


def abs(x):
    """Elementwise absolute value."""
    return _m.Abs.apply(_tensor(x))


def tanh(x):
    """Elementwise hyperbolic tangent."""
    if isinstance(x, _Symbolic):
        return _symbolic("tanh", x)
    return _m.Tanh.apply(_tensor(x))


def sigmoid(x):
    """Elementwise logistic function 1 / (1 + e**-x)."""
    if isinstance(x, _Symbolic):
        return _symbolic("sigmoid", x)
    return _m.Sigmoid.apply(_tensor(x))


def relu(x):
    """Elementwise max(x, 0)."""
    if isinstance(x, _Symbolic):
        return _symbolic("relu", x)
    return _m.ReLU.apply(_tensor(x))


def maximum(a, b):
    """Elementwise maximum (ties send the gradient to `a`)."""
    return _m.Maximum.apply(*_operands(a, b))


def minimum(a, b):
    """Elementwise minimum (ties send the gradient to `a`)."""
    return _m.Minimum.apply(*_operands(a, b))


def clip(x, min=None, max=None):
    """Clamps `x` into [min, max]; the gradient is zero outside."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    return _m.Clip.apply(_tensor(x), lo=min, hi=max)


def where(condition, a, b):
    """Picks `a` where `condition` is true and `b` elsewhere (gradient flows to both)."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    a, b = _operands(a, b)
    like = a if isinstance(a, Tensor) else b
    cond = backend.to_device(cond, like.device) if hasattr(cond, "shape") else cond
    return _m.Where.apply(a, b, condition=cond)


def _untracked(x, method, *args, **kwargs):
    """`x.data.<method>(...)` as a Tensor outside the graph, computed on x's device."""
    with backend.device_scope(x.device):
        return Tensor._wrap(getattr(x.data, method)(*args, **kwargs), False, None)


def astype(x, dtype):
    """`x` cast to `dtype` (the gradient is cast back)."""
    dtype = backend.parse_dtype(dtype)
    x = _tensor(x)
    if x.dtype == dtype:
        return x
    if dtype.kind != "f" and x.requires_grad:
        return _untracked(x, "astype", dtype)
    return _m.Cast.apply(x, dtype=dtype)


def to_device(x, device):
    """`x` copied to `device` (differentiable)."""
    return _m.ToDevice.apply(_tensor(x), device=backend.parse_device(device))


_COMPARISONS = {"less": operator.lt, "less_equal": operator.le, "greater": operator.gt,
                "greater_equal": operator.ge, "equal": operator.eq, "not_equal": operator.ne}


def compare(a, b, op):
    """Elementwise comparison `op` ('less', 'equal', ...): a bool Tensor, no gradient."""
    a, b = _operands(a, b)
    x = a.data if isinstance(a, Tensor) else a
    y = b.data if isinstance(b, Tensor) else b
    device = a.device if isinstance(a, Tensor) else getattr(b, "device", "cpu")
    with backend.device_scope(device):
        return Tensor._wrap(_COMPARISONS[op](x, y), False, None)


# --- reductions -----------------------------------------------------------------------
def sum(x, axis=None, keepdims=False):
    """Sum over `axis` (all axes when None)."""
    if isinstance(x, _Symbolic):
        return _symbolic("sum", x, axis=axis, keepdims=keepdims)
    return _r.Sum.apply(_tensor(x), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all axes when None)."""
    if isinstance(x, _Symbolic):
        return _symbolic("mean", x, axis=axis, keepdims=keepdims)
    return _r.Mean.apply(_tensor(x), axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum over `axis`; tied elements share the gradient."""
    return _r.Max.apply(_tensor(x), axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over `axis`; tied elements share the gradient."""
    return _r.Max.apply(_tensor(x), axis=axis, keepdims=keepdims, minimum=True)


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over `axis` (population variance unless ddof=1)."""
    return _r.Var.apply(_tensor(x), axis=axis, keepdims=keepdims, ddof=ddof)


def argmax(x, axis=None):
    """Indices of the maxima along `axis` (an integer Tensor, no gradient)."""
    return _untracked(_tensor(x), "argmax", axis=axis)


def argmin(x, axis=None):
    """Indices of the minima along `axis` (an integer Tensor, no gradient)."""
    return _untracked(_tensor(x), "argmin", axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along `axis` (all axes when None, as Keras), computed stably."""
    x = _tensor(x)
    m = _untracked(x, "max", axis=axis, keepdims=True)
    out = log(sum(exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else squeeze(out, axis)


# --- shapes ---------------------------------------------------------------------------
def reshape(x, shape):
    """`x` with a new shape (one dimension may be -1)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _s.Reshape.apply(_tensor(x), shape=shape)


def transpose(x, axes=None):
    """Permutes the axes (reverses them when `axes` is None)."""
    return _s.Transpose.apply(_tensor(x), axes=axes)


def squeeze(x, axis=None):
    """Removes size-1 axes (only `axis` when given; it must have size 1)."""
    x = _tensor(x)
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        axes = set()
        for a in (tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)):
            if not -x.ndim <= a < x.ndim:
                raise ValueError(f"squeeze axis {a} is out of range for shape {x.shape}")
            axes.add(a % x.ndim)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"cannot squeeze axis {a} of shape {x.shape}: its size is not 1")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return reshape(x, shape)


def expand_dims(x, axis):
    """Inserts a size-1 axis at `axis`."""
    x = _tensor(x)
    shape = list(x.shape)
    pos = axis if axis >= 0 else x.ndim + 1 + axis
    if not 0 <= pos <= x.ndim:
        raise ValueError(f"expand_dims axis {axis} is out of range for {x.ndim} dimensions")
    shape.insert(pos, 1)
    return reshape(x, shape)


def broadcast_to(x, shape):
    """`x` broadcast to `shape` (gradients are summed back)."""
    return _s.BroadcastTo.apply(_tensor(x), shape=shape)


def flatten(x):
    """A 1-D tensor of all elements."""
    return reshape(x, (-1,))


def _index_array(i, device):
    if isinstance(i, Tensor):
        return i.data
    if isinstance(i, list) or (hasattr(i, "shape") and getattr(i, "ndim", 0) > 0):
        return backend.to_device(i, device)
    return i


def getitem(x, index):
    """`x[index]`: basic and integer-array indexing; repeated indices accumulate in backward."""
    x = _tensor(x)
    if isinstance(index, tuple):
        index = tuple(_index_array(i, x.device) for i in index)
    else:
        index = _index_array(index, x.device)
    return _s.GetItem.apply(x, index=index)


def setitem(x, index, value):
    """`x[index] = value` in place, as PyTorch: differentiable with respect to both.

    Without a graph (no operand requires grad, or inside `no_grad`) the data is written in
    place, so tensors sharing it (`detach()`, `Tensor(array)`) see the change. Otherwise `x`
    becomes the output of the assignment; ops that used `x` before still backpropagate to
    the old values. A leaf that requires grad can be assigned only inside `no_grad`.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"setitem: expected a Tensor to assign into, got {type(x).__name__}")
    if isinstance(index, tuple):
        index = tuple(_index_array(i, x.device) for i in index)
    else:
        index = _index_array(index, x.device)
    tracked = isinstance(value, Tensor) and value.requires_grad
    if not (_config.is_grad_enabled() and (x.requires_grad or tracked)):
        v = value.data if isinstance(value, Tensor) else value
        if isinstance(value, Tensor) and value.device != x.device:
            raise RuntimeError(f"setitem: value is on {value.device} but the tensor is on {x.device}")
        with backend.device_scope(x.device):
            x.data[index] = backend.to_device(v, x.device) if hasattr(v, "shape") else v
        x._mark_written()
        return
    if x.requires_grad and x._ctx is None:
        raise RuntimeError("a leaf Tensor that requires grad is being used in an in-place assignment; "
                           "assign inside `with no_grad():` (as for a parameter update) or compute a "
                           "new tensor instead")
    if not isinstance(value, Tensor):
        value = backend.to_device(value, x.device) if hasattr(value, "shape") else value
    old = Tensor._wrap(x.data, x.requires_grad, x._ctx)
    _Function.assignments += 1
    out = _s.SetItem.apply(old, value, index=index)
    x.data, x._ctx, x.requires_grad = out.data, out._ctx, True


def concatenate(tensors, axis=0):
    """Joins tensors along an existing axis."""
    tensors = list(tensors)
    if any(isinstance(t, _Symbolic) for t in tensors):
        return _symbolic("concatenate", tensors, axis=axis)
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return _s.Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Joins tensors along a new axis."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    return _s.Stack.apply(*tensors, axis=axis)


def pad(x, pad_width, constant_values=0):
    """Pads with a constant (numpy-style `pad_width`)."""
    return _s.Pad.apply(_tensor(x), pad_width=pad_width, constant_values=constant_values)


# --- nn -------------------------------------------------------------------------------
def matmul(a, b):
    """Matrix product with NumPy semantics (1-D, batched, broadcast)."""
    return _nn.MatMul.apply(*_operands(a, b))


def softmax(x, axis=-1):
    """Softmax along `axis`."""
    if isinstance(x, _Symbolic):
        return _symbolic("softmax", x, axis=axis)
    return _nn.Softmax.apply(_tensor(x), axis=axis)


def log_softmax(x, axis=-1):
    """Log-softmax along `axis`, computed stably."""
    return _nn.LogSoftmax.apply(_tensor(x), axis=axis)


def softmax_cross_entropy(logits, target, label_smoothing=0.0, check_labels=True):
    """Per-sample cross-entropy of softmax(logits) vs class indices or probability rows.

    Returns a Tensor of shape `logits.shape[:-1]`; fused and stable (log-sum-exp).
    `check_labels=False` skips the label-range check (a host sync on GPU) when the
    caller has already checked the labels.
    """
    logits = _tensor(logits)
    target = target.data if isinstance(target, Tensor) else backend.to_device(target, logits.device)
    return _nn.SoftmaxCrossEntropy.apply(logits, target, label_smoothing=label_smoothing,
                                         check_labels=check_labels)


from kerasish.ops.conv import avg_pool2d, conv2d, max_pool2d  # noqa: E402

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid",
    "relu", "maximum", "minimum", "clip", "where", "astype", "to_device", "compare",
    "sum", "mean", "max", "min", "var", "argmax", "argmin", "logsumexp",
    "reshape", "transpose", "squeeze", "expand_dims", "broadcast_to", "flatten", "getitem",
    "concatenate", "stack", "pad", "matmul", "softmax", "log_softmax", "softmax_cross_entropy",
    "conv2d", "max_pool2d", "avg_pool2d",
]

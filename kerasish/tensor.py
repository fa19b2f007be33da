"""Tensor: an array (NumPy or CuPy) that records the ops applied to it, and backward()."""
import weakref

import numpy as np

from kerasish import _config, backend


class _ReleasedGraph:
    """Marks a node whose graph was freed by backward(); a second backward raises."""

    inputs = None
    epoch = 0


_RELEASED = _ReleasedGraph()

# id(tensor) -> (Function.assignments after its last in-place write without a graph, weakref to it).
# Kept off the Tensor so that making one costs nothing more; backward looks a tensor up only when
# something was written since the node that used it was recorded (see `_check_saved`).
_WRITES = {}
_WRITES_LIMIT = [1024]


class Tensor:
    """An n-dimensional array with automatic differentiation.

    Args:
        data: list, scalar, numpy/cupy array or Tensor.
        dtype: dtype or name; None keeps integer/bool data and turns floating data into
            `floatx()` (integer data too when `requires_grad=True`).
        device: 'cpu', 'cuda' or 'cuda:N'; None keeps the device of `data` ('cpu' for lists).
        requires_grad: track ops on this tensor so `backward()` fills `grad`.

    Example:
        >>> a = Tensor([1, 2, 3], dtype='float32', requires_grad=True)
        >>> (a * a).sum().backward()
        >>> a.grad
        array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "name", "__weakref__")
    __array_ufunc__ = None  # numpy defers `ndarray + Tensor` to Tensor.__radd__
    __hash__ = object.__hash__

    def __init__(self, data, dtype=None, device=None, requires_grad=False, name=None):
        if isinstance(data, Tensor):
            data = data.data
        on_device = hasattr(data, "shape") and not isinstance(data, np.generic)
        device = backend.parse_device(device if device is not None
                                      else backend.device_of(data) if on_device else "cpu")
        want = None if dtype is None else backend.parse_dtype(dtype)
        arr = backend.to_device(data, device, want)
        if want is None:
            if arr.dtype.kind == "f" or (requires_grad and arr.dtype.kind in "iub"):
                floatx = backend.floatx_dtype()
                if arr.dtype != floatx:
                    with backend.device_scope(device):
                        arr = arr.astype(floatx)
        if requires_grad and arr.dtype.kind not in "fc":
            raise TypeError(f"Only floating-point tensors can require gradients, got dtype {arr.dtype}")
        self.data = arr
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self.name = name

    @classmethod
    def _wrap(cls, array, requires_grad, ctx):
        """Fast constructor for op outputs (no conversion)."""
        t = object.__new__(cls)
        if isinstance(array, np.generic):
            array = np.asarray(array)
        t.data = array
        t._grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t.name = None
        return t

    # --- properties -------------------------------------------------------------------
    @property
    def shape(self):
        """Tuple of dimensions."""
        return self.data.shape

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

    @property
    def size(self):
        """Number of elements."""
        return self.data.size

    @property
    def dtype(self):
        """The numpy dtype of the data."""
        return self.data.dtype

    @property
    def device(self):
        """'cpu' or 'cuda:N'."""
        if type(self.data) is np.ndarray:
            return "cpu"
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        """True for tensors not produced by a tracked op."""
        return self._ctx is None

    @property
    def grad(self):
        """Accumulated gradient (raw array); zeros for a leaf until something accumulates."""
        if self._grad is None and self.requires_grad and self._ctx is None:
            self._grad = backend.get_array_module(self.data).zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            value = value.data if isinstance(value, Tensor) else value
            if value.shape != self.shape:
                raise ValueError(f"grad of shape {value.shape} does not match tensor shape {self.shape}")
        self._grad = value

    @property
    def T(self):
        """The transpose (axes reversed)."""
        return self.transpose()

    # --- autograd ---------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulates d(self)/d(leaf) into every leaf's `.grad`.

        Args:
            grad: seed gradient (Tensor, array or scalar) broadcast to this tensor's
                shape; None seeds with ones.
            retain_graph: keep the graph so backward can run through it again.

        Raises:
            RuntimeError: an op in the graph saved a tensor for its gradient that was then written
                in place (`t += 1` or `t[i] = v` without a graph, `t.assign*`, a parameter update),
                as PyTorch. Not seen: writes to the raw array (`t.data[...] = v`, as PyTorch's
                `.data`) or through another Tensor sharing it (`t.detach()`, `Tensor(t.data)`).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require grad "
                               "(no input had requires_grad=True, or it was made under no_grad)")
        if self.device == "cpu":
            self._backward(grad, retain_graph)
        else:
            with backend.device_scope(self.device):
                self._backward(grad, retain_graph)

    def _backward(self, grad, retain_graph):
        xp = backend.get_array_module(self.data)
        if grad is None:
            seed = xp.ones_like(self.data)
        else:
            g = grad.data if isinstance(grad, Tensor) else grad
            try:
                seed = xp.array(xp.broadcast_to(xp.asarray(g, dtype=self.dtype), self.shape))
            except ValueError:
                raise ValueError(f"backward: grad of shape {getattr(g, 'shape', ())} cannot broadcast "
                                 f"to the tensor's shape {self.shape}") from None
        if self._ctx is None:
            self._accumulate(seed)
            return
        order = self._topological_order()
        grads = {id(self): seed}
        owned = {}  # id -> array: memory already handed to a leaf's grad
        root_device = self._ctx.device
        latest = _Function.assignments
        for node in order:
            g = grads.pop(id(node), None)
            ctx = node._ctx
            if g is not None:
                if ctx.epoch < latest:  # something was written in place since this node was recorded
                    _check_saved(ctx, node)
                if ctx.device == root_device:
                    _backprop_node(ctx, g, grads, owned)
                else:  # a graph spanning devices (through .to()): each node runs on its own
                    with backend.device_scope(ctx.device):
                        _backprop_node(ctx, g, grads, owned)
            if not retain_graph:
                node._ctx = _RELEASED

    def _accumulate(self, g):
        self._grad = g if self._grad is None else self._grad + g

    def _topological_order(self):
        """Nodes from this tensor back to the leaves, each after all its consumers."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            inputs = node._ctx.inputs
            if inputs is None:
                raise RuntimeError(
                    "Trying to backward through the graph a second time: its buffers were freed "
                    "by the first backward(). Pass retain_graph=True to the first call.")
            for inp in inputs:
                if isinstance(inp, Tensor) and inp._ctx is not None and id(inp) not in visited:
                    stack.append((inp, False))
        order.reverse()
        return order

    def zero_grad(self):
        """Resets the gradient (to zeros, lazily)."""
        self._grad = None

    def detach(self):
        """A new tensor sharing data, cut from the graph."""
        return Tensor._wrap(self.data, False, None)

    def requires_grad_(self, flag=True):
        """Sets requires_grad in place and returns self."""
        if flag and self.dtype.kind not in "fc":
            raise TypeError(f"Only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = bool(flag)
        return self

    # --- conversion -------------------------------------------------------------------
    def to(self, device):
        """Returns this tensor on `device` (self if already there); differentiable."""
        device = backend.parse_device(device)
        if device == self.device:
            return self
        return _ops.to_device(self, device)

    def astype(self, dtype):
        """Returns a copy cast to `dtype`; differentiable for float dtypes."""
        return _ops.astype(self, dtype)

    def numpy(self):
        """A host numpy array (copied from the GPU when needed)."""
        return backend.to_numpy(self.data)

    def item(self):
        """The single element as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The data as nested Python lists."""
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        if self.device != "cpu":
            raise TypeError(f"Cannot convert a tensor on {self.device} to numpy implicitly; use .numpy()")
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.dtype}, device='{self.device}'{extra})"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"The truth value of a tensor with {self.size} elements is ambiguous; "
                             "use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # --- operators --------------------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __iadd__(self, other):
        return self._inplace(other, "__iadd__", _ops.add)

    def __isub__(self, other):
        return self._inplace(other, "__isub__", _ops.sub)

    def __imul__(self, other):
        return self._inplace(other, "__imul__", _ops.mul)

    def __itruediv__(self, other):
        return self._inplace(other, "__itruediv__", _ops.div)

    def _inplace(self, other, method, op):
        """`self op= other`: in place without a graph (PyTorch's `p -= lr * p.grad` under
        `no_grad`); with one, a new tracked tensor (the name is rebound)."""
        tracked = _config._mode.enabled and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))
        if not tracked:
            if isinstance(other, Tensor) and other.device != self.device:
                raise RuntimeError(f"{method}: operand is on {other.device} but the tensor is on "
                                   f"{self.device}")
            return self._write_in_place(method, other)
        if self.requires_grad and self._ctx is None:
            raise RuntimeError("a leaf Tensor that requires grad is being used in an in-place operation; "
                               "update parameters inside `with no_grad():`")
        return op(self, other)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.setitem(self, index, value)  # marks an in-place write itself

    def _mark_written(self):
        """Records an in-place write to `data`, so a backward through a node that saved it
        for its gradient raises instead of using the new values (PyTorch's version check).

        Call it after writing `tensor.data` in place yourself (an optimizer step does).
        """
        n = _Function.assignments + 1
        _Function.assignments = n
        _WRITES[id(self)] = (n, weakref.ref(self))
        if len(_WRITES) > _WRITES_LIMIT[0]:
            _forget_dead_writes()

    def __lt__(self, other):
        return _ops.compare(self, other, "less")

    def __le__(self, other):
        return _ops.compare(self, other, "less_equal")

    def __gt__(self, other):
        return _ops.compare(self, other, "greater")

    def __ge__(self, other):
        return _ops.compare(self, other, "greater_equal")

    def __eq__(self, other):
        return _ops.compare(self, other, "equal")

    def __ne__(self, other):
        return _ops.compare(self, other, "not_equal")

    # --- methods (see kerasish.ops for the functions) ---------------------------------
    def exp(self):
        """Elementwise e**x."""
        return _ops.exp(self)

    def log(self):
        """Elementwise natural log."""
        return _ops.log(self)

    def sqrt(self):
        """Elementwise square root."""
        return _ops.sqrt(self)

    def abs(self):
        """Elementwise absolute value."""
        return _ops.abs(self)

    def tanh(self):
        """Elementwise tanh."""
        return _ops.tanh(self)

    def sigmoid(self):
        """Elementwise logistic sigmoid."""
        return _ops.sigmoid(self)

    def relu(self):
        """Elementwise max(x, 0)."""
        return _ops.relu(self)

    def clip(self, min=None, max=None):
        """Clamps values into [min, max]."""
        return _ops.clip(self, min, max)

    def maximum(self, other):
        """Elementwise maximum with another tensor or scalar."""
        return _ops.maximum(self, other)

    def minimum(self, other):
        """Elementwise minimum with another tensor or scalar."""
        return _ops.minimum(self, other)

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over `axis` (all axes when None); PyTorch's `dim=` / `keepdim=` work too."""
        axis, keepdims = _torch_axis(axis, keepdims, dim, keepdim)
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over `axis` (all axes when None); PyTorch's `dim=` / `keepdim=` work too."""
        axis, keepdims = _torch_axis(axis, keepdims, dim, keepdim)
        return _ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Maximum over `axis`; ties share the gradient."""
        return _ops.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        """Minimum over `axis`; ties share the gradient."""
        return _ops.min(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        """Variance over `axis`."""
        return _ops.var(self, axis, keepdims, ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        """Standard deviation over `axis`."""
        return _ops.sqrt(_ops.var(self, axis, keepdims, ddof))

    def argmax(self, axis=None, *, dim=None):
        """Indices of the maxima (no gradient)."""
        return _ops.argmax(self, _torch_axis(axis, False, dim, None)[0])

    def argmin(self, axis=None, *, dim=None):
        """Indices of the minima (no gradient)."""
        return _ops.argmin(self, _torch_axis(axis, False, dim, None)[0])

    def reshape(self, *shape):
        """Same data, new shape (-1 infers one dimension)."""
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        """Permutes axes (reverses them when none are given).

        `t.transpose(1, 0, 2)` or `t.transpose((1, 0, 2))` is NumPy's permutation; two separate
        ints `t.transpose(-2, -1)` swap those two axes, as PyTorch's `transpose(dim0, dim1)`.
        """
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return self.swapaxes(*axes)
        return _ops.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                              else (axes or None))

    def swapaxes(self, axis1, axis2):
        """Exchanges two axes (negative axes count from the end)."""
        perm = list(range(self.ndim))
        try:
            perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
        except IndexError:
            raise ValueError(f"swapaxes: axes ({axis1}, {axis2}) out of range for a tensor of "
                             f"{self.ndim} dimensions") from None
        return _ops.transpose(self, tuple(perm))

    def flatten(self):
        """A 1-D view of all elements."""
        return _ops.reshape(self, (-1,))

    def squeeze(self, axis=None):
        """Removes size-1 axes."""
        return _ops.squeeze(self, axis)

    def expand_dims(self, axis):
        """Inserts a size-1 axis at `axis`."""
        return _ops.expand_dims(self, axis)

    # --- PyTorch spellings -----------------------------------------------------------------
    def view(self, *shape):
        """PyTorch's name for `reshape`."""
        return self.reshape(*shape)

    def permute(self, *dims):
        """PyTorch's name for a transpose by a full permutation: `t.permute(0, 2, 1)`."""
        return _ops.transpose(self, tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], int)
                              else dims)

    def unsqueeze(self, dim):
        """PyTorch's name for `expand_dims`."""
        return self.expand_dims(dim)

    def dim(self):
        """Number of dimensions (PyTorch's name for `ndim`)."""
        return self.ndim

    def float(self):
        """A float32 copy (differentiable)."""
        return self.astype("float32")

    def double(self):
        """A float64 copy (differentiable)."""
        return self.astype("float64")

    # --- Keras variable API ------------------------------------------------------------------
    def assign(self, value):
        """Overwrites the data in place, without recording a graph (Keras's `Variable.assign`)."""
        value = value.data if isinstance(value, Tensor) else value
        with backend.device_scope(self.device):
            self.data[...] = backend.to_device(value, self.device) if hasattr(value, "shape") else value
        self._mark_written()
        return self

    def assign_add(self, value):
        """In-place `+= value` without recording a graph."""
        return self._write_in_place("__iadd__", value)

    def assign_sub(self, value):
        """In-place `-= value` without recording a graph."""
        return self._write_in_place("__isub__", value)

    def _write_in_place(self, method, value):
        """`self.data.<method>(value)` on the tensor's device, recorded as an in-place write."""
        value = value.data if isinstance(value, Tensor) else value
        if hasattr(value, "shape") and not isinstance(value, np.generic):
            value = backend.to_device(value, self.device)
        if self.device == "cpu":
            getattr(self.data, method)(value)
        else:
            with backend.device_scope(self.device):
                getattr(self.data, method)(value)
        self._mark_written()
        return self

    def softmax(self, axis=-1, *, dim=None):
        """Softmax along `axis` (PyTorch's `dim=` works too)."""
        return _ops.softmax(self, _torch_axis(axis if dim is None else None, False, dim, None)[0])

    def log_softmax(self, axis=-1, *, dim=None):
        """Log-softmax along `axis` (PyTorch's `dim=` works too)."""
        return _ops.log_softmax(self, _torch_axis(axis if dim is None else None, False, dim, None)[0])

    def any(self):
        """True if any element is true (no gradient)."""
        return bool(self.data.any())

    def all(self):
        """True if all elements are true (no gradient)."""
        return bool(self.data.all())


def _own(grad, owned):
    """`grad` as an array a leaf may keep: a copy if its memory is shared or broadcast.

    A backward may return `g` itself or a view of it (reshape, transpose, split) to
    several inputs; a leaf must never share memory with another leaf's gradient, and a
    0-stride broadcast view cannot be edited in place (CuPy has no `writeable` flag).
    """
    if isinstance(grad, np.generic):  # numpy returns scalars from 0-d arithmetic
        return np.asarray(grad)
    root = grad if grad.base is None else grad.base
    if id(root) in owned or (0 in grad.strides and grad.size > 1) \
            or not getattr(grad.flags, "writeable", True):
        grad = grad.copy()
        root = grad
    owned[id(root)] = root
    return grad


def _backprop_node(ctx, g, grads, owned):
    """Runs one node's backward and hands its input gradients on (to `grads`, or a leaf's .grad)."""
    in_grads = ctx.backward(g)
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    for inp, ig, need in zip(ctx.inputs, in_grads, ctx.needs_input_grad):
        if not need or ig is None:
            continue
        if inp._ctx is not None and inp._ctx.epoch > ctx.epoch:
            inp = _before_assignments(inp, ctx.epoch)
        if ig.shape != inp.data.shape:
            ig = _reduce_grad(ig, inp.data.shape, ctx)
        if inp._ctx is None:
            inp._grad = _own(ig if inp._grad is None else inp._grad + ig, owned)
        else:
            key = id(inp)
            prev = grads.get(key)
            grads[key] = ig if prev is None else prev + ig


def _check_saved(ctx, out):
    """Raises if `ctx` saved (for its backward) an array written in place after `ctx` was recorded.

    Only tensors written since then through Tensor methods (`+=` & co without a graph, `assign*`,
    `t[i] = v` without a graph, `_mark_written`) are suspects; a suspect counts only if `ctx` holds
    its array or a view of it, so ops that keep nothing of an input (Add) are not affected.
    """
    epoch = ctx.epoch
    get = _WRITES.get
    suspects = []
    for i, t in enumerate(ctx.inputs):
        w = get(id(t))
        if w is not None and w[0] > epoch and w[1]() is t:
            suspects.append((f"input {i}", t, _before_assignments(t, epoch).data))
    w = get(id(out))
    if w is not None and w[0] > epoch and w[1]() is out:
        suspects.append(("output 0", out, out.data))
    if not suspects:
        return
    saved = _saved_roots(ctx)
    for what, t, arr in suspects:
        if saved is None or id(_root(arr)) in saved:
            op = type(ctx).__name__
            named = f" '{t.name}'" if isinstance(t.name, str) else ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: the {t.dtype} tensor{named} of shape {tuple(t.shape)}, {what} of {op}, "
                f"was written in place after {op} saved it for backward (`t += ...` or `t[i] = v` without "
                "a graph, `t.assign*(...)`, or an optimizer step between forward and backward). Call "
                "backward() before the write, or use an out-of-place op (`t = t + 1`) or a copy.")


def _forget_dead_writes():
    """Drops the write records of tensors that no longer exist (bounded memory)."""
    for key in [k for k, (_, ref) in _WRITES.items() if ref() is None]:
        del _WRITES[key]
    _WRITES_LIMIT[0] = max(1024, 2 * len(_WRITES))


def _saved_roots(ctx):
    """ids of the memory owners of the arrays `ctx` keeps on itself (None: cannot tell)."""
    try:
        values = vars(ctx)
    except TypeError:  # a Function with __slots__
        return None
    roots = set()
    for key, v in values.items():
        if key == "inputs":
            continue
        for item in (v.values() if type(v) is dict else v if type(v) in (tuple, list) else (v,)):
            if isinstance(item, Tensor):
                item = item.data
            if hasattr(item, "shape"):
                roots.add(id(_root(item)))
    return roots


def _root(array):
    """The array that owns `array`'s memory (itself unless it is a view)."""
    base = getattr(array, "base", None)
    while base is not None:
        array, base = base, getattr(base, "base", None)
    return array


def _before_assignments(tensor, epoch):
    """The node `tensor` was before the in-place assignments made after `epoch`."""
    while tensor._ctx is not None and tensor._ctx.epoch > epoch:
        tensor = tensor._ctx.inputs[0]
    return tensor


def _torch_axis(axis, keepdims, dim, keepdim):
    """Merges PyTorch's `dim` / `keepdim` into NumPy's `axis` / `keepdims`."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis= or dim=, not both")
        axis = tuple(dim) if isinstance(dim, list) else dim
    return axis, keepdims if keepdim is None else keepdim


def _reduce_grad(grad, shape, ctx):
    """Sums a broadcast gradient to its input's shape, or names the op that got it wrong."""
    try:
        reduced = sum_to(grad, shape) if grad.ndim >= len(shape) else grad
    except ValueError:
        reduced = grad
    if reduced.shape != shape:
        raise RuntimeError(f"{type(ctx).__name__}.backward returned a gradient of shape {grad.shape} "
                           f"for an input of shape {shape}")
    return reduced


def as_tensor(x, like=None):
    """`x` as a Tensor; arrays and scalars are placed on `like`'s device."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x, device=None if like is None else like.device)


from kerasish.function import Function as _Function, sum_to  # noqa: E402
from kerasish import ops as _ops  # noqa: E402  (ops need Tensor defined first)

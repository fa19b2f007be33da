"""The base of every differentiable op.

A `Function` subclass implements `forward(*arrays)` on raw arrays and
`backward(grad)` returning one gradient per input (None where not needed).
`Function.apply` wraps that in Tensors, records the graph node, and is the only
place that decides whether a graph is built at all (see `no_grad`).
"""
import inspect

from kerasish import _config, backend


def sum_to(grad, shape):
    """Sums a broadcast gradient back down to `shape` (leading axes, then size-1 axes)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


class Function:
    """A node of the graph: one op's forward and backward.

    Subclasses set whatever they need for backward on `self` in `forward`
    (save shapes rather than arrays where that is enough) and read
    `self.needs_input_grad` in `backward` to skip gradients nobody needs.
    """

    inputs = ()
    needs_input_grad = ()
    device = "cpu"  # set per node when its inputs live elsewhere; backward runs in its scope
    # In-place assignments made so far in this process (`t[i] = v` with a graph, and every write
    # without one: `t += 1`, `assign*`); each graph node records the count at its creation, so
    # backward can tell which nodes saw a tensor before an assignment, and which saved arrays were
    # written after they were saved (Tensor._written, tensor._check_saved).
    epoch = 0
    assignments = 0

    def forward(self, *arrays):
        """Computes the output array from input arrays."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def backward(self, grad):
        """Returns the gradients w.r.t. each input (a tuple, or one array for one input)."""
        raise NotImplementedError(f"{type(self).__name__} has no backward()")

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Runs the op on Tensors (non-Tensor inputs are constants) and links the graph."""
        fn = cls(**kwargs) if kwargs else cls()
        arrays = []
        needs = []
        device = None
        for x in inputs:
            if isinstance(x, Tensor):
                if device is None:
                    device = x.device
                elif x.device != device:
                    _raise_mixed_devices(cls, inputs)
                arrays.append(x.data)
                needs.append(x.requires_grad)
            else:
                arrays.append(x)
                needs.append(False)
        try:
            if device is None or device == "cpu":
                out = fn.forward(*arrays)
            else:
                with backend.device_scope(device):
                    out = fn.forward(*arrays)
        except ValueError as exc:
            shapes = ", ".join(str(getattr(a, "shape", type(a).__name__)) for a in arrays)
            raise ValueError(f"{cls.__name__}: {exc} (input shapes: {shapes})") from None
        except TypeError as exc:
            if isinstance(inspect.getattr_static(cls, "forward"), staticmethod):
                raise TypeError(
                    f"{cls.__name__}.forward is a @staticmethod taking ctx (PyTorch's autograd.Function "
                    "style). In kerasish, forward(self, *arrays) and backward(self, grad) are ordinary "
                    "methods on raw arrays: keep what backward needs on self (self.x = x) instead of "
                    "ctx.save_for_backward, and call MyOp.apply(tensor, ...)") from exc
            raise
        if type(out) is tuple or type(out) is list:
            raise TypeError(f"{cls.__name__}.forward returned a {type(out).__name__}; a Function has one "
                            "output array (write one Function per output, or return them concatenated)")
        if _config._mode.enabled and True in needs:
            fn.inputs = inputs
            fn.needs_input_grad = needs
            fn.epoch = Function.assignments
            if device is not None and device != "cpu":
                fn.device = device
            return Tensor._wrap(out, True, fn)
        return Tensor._wrap(out, False, None)


def _raise_mixed_devices(cls, inputs):
    devices = [x.device for x in inputs if isinstance(x, Tensor)]
    raise RuntimeError(
        f"{cls.__name__}: inputs are on different devices ({', '.join(sorted(set(devices)))}); "
        "move them to one device first with tensor.to(device) or model.set_device(device)")


from kerasish.tensor import Tensor  # noqa: E402  (tensor imports function lazily too)

"""Global autograd switch, shared by `Function.apply` and `no_grad`."""
import functools

grad_enabled = True


class no_grad:
    """Context manager and decorator: nothing inside builds a graph.

    Example:
        >>> with no_grad():
        ...     y = model(x)          # y.requires_grad is False
    """

    def __enter__(self):
        global grad_enabled
        self._prev = grad_enabled
        grad_enabled = False
        return self

    def __exit__(self, *exc):
        global grad_enabled
        grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)
        return wrapper


class enable_grad(no_grad):
    """Context manager and decorator that turns graph building back on inside `no_grad`."""

    def __enter__(self):
        global grad_enabled
        self._prev = grad_enabled
        grad_enabled = True
        return self

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fn(*args, **kwargs)
        return wrapper


def is_grad_enabled():
    """True unless inside `no_grad`."""
    return grad_enabled

"""Autograd switch, shared by `Function.apply` and `no_grad`; one per thread, as in PyTorch."""
import functools
import threading


class _GradMode(threading.local):
    enabled = True  # every new thread starts with gradients on


_mode = _GradMode()


class no_grad:
    """Context manager and decorator: nothing inside builds a graph (in this thread).

    Both `@no_grad()` and `@no_grad` decorate a function.

    Example:
        >>> with no_grad():
        ...     y = model(x)          # y.requires_grad is False
    """

    _enabled_inside = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self._enabled_inside
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        cls = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)
        return wrapper


class enable_grad(no_grad):
    """Context manager and decorator that turns graph building back on inside `no_grad`."""

    _enabled_inside = True


def is_grad_enabled():
    """True unless inside `no_grad` (in the calling thread)."""
    return _mode.enabled

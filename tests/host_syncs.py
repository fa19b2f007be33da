"""Counts device -> host transfers on the 'fake' test device (each one is a GPU sync on CuPy).

Usage:
    with count_host_syncs() as syncs:
        loss(y_true, pred).backward()
    assert syncs.count == 1
"""
import contextlib

import fake_device
from fake_device import FakeArray

_CONVERSIONS = ("__float__", "__int__", "__bool__", "__index__", "get")
_METHODS = ("item", "tolist")


class _Counter:
    count = 0


@contextlib.contextmanager
def count_host_syncs():
    """Counts float()/int()/bool()/.item()/.tolist()/.get()/asnumpy on fake-device arrays."""
    counter = _Counter()
    saved = {name: FakeArray.__dict__[name] for name in _CONVERSIONS + ("__getattr__",)}
    saved_asnumpy = fake_device.fake_numpy.__dict__.get("asnumpy")

    def counting(fn):
        def wrapper(*args, **kwargs):
            counter.count += 1
            return fn(*args, **kwargs)
        return wrapper

    def getattr_(self, name):
        value = saved["__getattr__"](self, name)
        return counting(value) if name in _METHODS else value

    try:
        for name in _CONVERSIONS:
            setattr(FakeArray, name, counting(saved[name]))
        FakeArray.__getattr__ = getattr_
        fake_device.fake_numpy.asnumpy = counting(type(fake_device.fake_numpy).asnumpy)
        yield counter
    finally:
        for name, fn in saved.items():
            setattr(FakeArray, name, fn)
        if saved_asnumpy is None:
            del fake_device.fake_numpy.asnumpy
        else:
            fake_device.fake_numpy.asnumpy = saved_asnumpy
